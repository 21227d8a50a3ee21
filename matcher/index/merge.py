"""The merge policy (which segments to compact) and the merge itself (copy live postings; no re-embedding)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from matcher.config import SegmentPolicy
from matcher.index.docs import IndexDoc, Prepared
from matcher.index.manifest import SegmentRef
from matcher.index.view import View


def choose_merge(segments: Sequence[SegmentRef], policy: SegmentPolicy, *, force: bool = False) -> list[str]:
    """Names of the segments to merge now, or [] (tiered, like Lucene's and tantivy's log merge policies).

    - `force`: everything into one segment (when there is more than one, or deletions to drop);
    - a segment whose deleted share passes `max_deleted_share` is rewritten, with small ones no bigger than it;
    - `merge_factor` segments of one size tier (powers of merge_factor in live postings) merge;
    - above `max_segments`, the smallest merge until the count is back under the cap.
    """
    if not segments:
        return []
    if force:
        return [s.name for s in segments] if len(segments) > 1 or segments[0].deleted else []
    by_size = sorted(segments, key=lambda s: (s.live, s.name))
    dirty = [s for s in segments if s.docs and len(s.deleted) / s.docs > policy.max_deleted_share]
    if dirty:
        # Companions no bigger than the biggest dirty segment (or merge_factor postings): cleaning a small segment
        # must never rewrite the biggest one, or one PUT and DELETE would cost a rewrite of the corpus.
        limit = max(max(s.live for s in dirty), policy.merge_factor)
        small = [s for s in by_size if s not in dirty and s.live <= limit][: max(0, policy.merge_factor - len(dirty))]
        return [s.name for s in (*dirty, *small)]
    tiers: dict[int, list[SegmentRef]] = defaultdict(list)
    for s in by_size:
        tiers[int(math.log(max(s.live, 1), policy.merge_factor))].append(s)
    for tier in sorted(tiers):
        if len(tiers[tier]) >= policy.merge_factor:
            return [s.name for s in tiers[tier][: policy.merge_factor]]
    if len(segments) > policy.max_segments:
        return [s.name for s in by_size[: max(2, len(segments) - policy.max_segments + 1)]]
    return []


def merged_docs(view: View, names: Sequence[str]) -> tuple[list[IndexDoc], dict[str, np.ndarray], list[tuple[str, int]]]:
    """The live postings of segments `names` as documents (vectors copied), their tag vectors, and their sources."""
    docs: list[IndexDoc] = []
    sources: list[tuple[str, int]] = []
    tag_vectors: dict[str, np.ndarray] = {}
    wanted = set(names)
    for seg, live in zip(view.segments, view.live, strict=True):
        if seg.name not in wanted:
            continue
        tag_vectors.update(seg.tag_vectors)
        terms = list(seg.terms)
        for d in np.flatnonzero(live).tolist():
            stored = seg.stored(d)
            row = seg.tf[d]
            counts = Counter({terms[int(i)]: int(c) for i, c in zip(row.indices, row.data, strict=True)})
            prepared = Prepared(stored.posting, stored.passages, stored.tags, tuple(seg.family_lists.of(d)), counts)
            start, end = seg.passage_rows(d)
            docs.append(IndexDoc(prepared, np.array(seg.passages[start:end]), np.array(seg.heads[d]),
                                 np.array(seg.titles[d])))
            sources.append((seg.name, d))
    return docs, tag_vectors, sources
