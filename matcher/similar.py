"""Similar jobs: postings close to a given one in content, title and tags."""

from __future__ import annotations

import numpy as np

from matcher.explain import informative, passage_text
from matcher.index.snapshot import Snapshot
from matcher.layout import KIND_DAMP, Layout
from matcher.results import SimilarResult
from matcher.scoring import MIN_INFORMATIVE, dense_scores

WEIGHTS = {"semantic": 0.6, "title": 0.2, "tags": 0.2}


def _profile_vector(layout: Layout, position: int, kinds: list[str]) -> np.ndarray:
    """Mean of the posting's non-boilerplate passage vectors (all of them if every one is boilerplate)."""
    start, end = int(layout.offsets[position]), int(layout.offsets[position + 1])
    rows = [start + i for i, kind in enumerate(kinds) if kind not in KIND_DAMP] or list(range(start, end))
    vector = layout.matrix[rows].mean(axis=0)
    return (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)[None, :]


def _weighted_jaccard(a: set[str], b: set[str], weight) -> float:  # type: ignore[no-untyped-def]
    union = sum(weight(t) for t in a | b)
    return sum(weight(t) for t in a & b) / union if union else 0.0


def similar_to(snapshot: Snapshot, layout: Layout, posting_id: str, allowed: np.ndarray, k: int) -> list[SimilarResult]:
    """Rank `allowed` postings (layout positions) by similarity to `posting_id`, excluding itself."""
    source = snapshot.entries[posting_id]
    position = layout.position[posting_id]
    positions = allowed[allowed != position]
    query = _profile_vector(layout, position, [p.kind for p in source.passages])
    semantic, best_row = dense_scores(query, layout, positions)
    title = np.clip(layout.titles[positions] @ layout.titles[position], 0.0, 1.0)
    vocab = snapshot.vocab
    mine = set(informative(source.tags, vocab, MIN_INFORMATIVE))
    others = [set(informative(snapshot.entries[layout.posting_ids[p]].tags, vocab, MIN_INFORMATIVE)) for p in positions]
    tags = np.asarray([_weighted_jaccard(mine, o, vocab.weight) for o in others], dtype=np.float64)
    parts = {"semantic": semantic, "title": title, "tags": tags}
    total = sum(WEIGHTS[n] * v for n, v in parts.items())
    order = np.argsort(-total, kind="stable")[:k]
    results = []
    for i in order:
        entry = snapshot.entries[layout.posting_ids[positions[i]]]
        components = {n: round(float(WEIGHTS[n] * parts[n][i]), 6) for n in parts}
        theirs = others[i]
        results.append(SimilarResult(
            posting_id=entry.posting.id, title=entry.posting.title, company=entry.posting.company,
            url=entry.posting.url, score=round(sum(components.values()), 6), components=components,
            shared_tags=tuple(t for t in informative(source.tags, vocab, MIN_INFORMATIVE) if t in theirs),
            only_in_source=tuple(t for t in informative(source.tags, vocab, MIN_INFORMATIVE) if t not in theirs),
            only_in_similar=tuple(t for t in informative(entry.tags, vocab, MIN_INFORMATIVE) if t not in mine),
            passage=passage_text(entry, layout, int(best_row[i])),
        ))
    return results
