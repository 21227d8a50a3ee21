"""Writes: work out what changed, embed it outside any lock, then commit it to the store in one short step.

A posting whose content hash is already live is not embedded again. Large writes are committed in batches, so a
killed `matcher index` keeps every batch it committed and a rerun starts where it stopped.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from matcher.config import MatcherConfig
from matcher.embed import Embedder
from matcher.index.docs import embed, prepare
from matcher.index.store import SegmentStore
from matcher.postings import Posting
from matcher.skills import default_vocabulary
from matcher.skills.catalog import CATALOG


@dataclass(frozen=True)
class WriteStats:
    """What a write did: postings indexed (new or changed), unchanged (already live, same content), removed."""

    indexed: int
    unchanged: int
    removed: int
    passages_embedded: int
    seconds: float
    version: str = ""


def changed(store: SegmentStore, postings: Sequence[Posting]) -> list[Posting]:
    """The postings that are not live with the same content (the last of a repeated id counts)."""
    latest = {p.id: p for p in postings}
    if not store.loaded:
        return list(latest.values())
    view = store.reader()
    out = []
    for p in latest.values():
        ref = view.where.get(p.id)
        if ref is None or view.segments[ref[0]].content_hash[ref[1]] != p.content_hash:
            out.append(p)
    return out


def _tag_vectors(tags: set[str], store: SegmentStore, embedder: Embedder) -> dict[str, np.ndarray]:
    """Vectors for tags the index has none for (the whole catalog on the first write). A tag's vector depends on
    its name alone, so which segment holds it never changes an answer."""
    known = store.known_tags()
    wanted = set(tags) | ({s.tag for s in CATALOG} if not known else set())
    missing = sorted(wanted - known)
    if not missing:
        return {}
    names = default_vocabulary()
    vectors = embedder.encode_documents([names.name(t) for t in missing])
    return dict(zip(missing, vectors, strict=True))


def upsert(store: SegmentStore, embedder: Embedder, postings: Sequence[Posting], config: MatcherConfig,
           *, progress: bool = False) -> WriteStats:
    """Add or replace `postings`; embeds only what changed, commits every `batch_postings` postings."""
    started = time.perf_counter()
    fresh = changed(store, postings)
    unchanged = len({p.id for p in postings}) - len(fresh)
    batch = config.segments.batch_postings
    store.ensure_writable()
    embedded = 0
    with tqdm(total=len(fresh), desc="postings", unit="posting", disable=not progress or not fresh,
              file=sys.stderr) as bar:
        for start in range(0, len(fresh), batch):
            prepared = [prepare(p, config.shape) for p in fresh[start:start + batch]]
            docs = embed(prepared, embedder, config.shape)
            tags = _tag_vectors({t for p in prepared for t in p.tags}, store, embedder)
            store.upsert(docs, tags)
            embedded += sum(len(p.passages) for p in prepared)
            bar.update(len(prepared))
    if not store.loaded:  # nothing was new, and no index yet: an empty one, so the folder can be served
        store.upsert([], _tag_vectors(set(), store, embedder))
    version = store.reader().version if store.loaded else ""
    return WriteStats(len(fresh), unchanged, 0, embedded, time.perf_counter() - started, version)


def delete(store: SegmentStore, posting_ids: Sequence[str]) -> WriteStats:
    started = time.perf_counter()
    manifest = store.delete(posting_ids)
    return WriteStats(0, 0, len(set(posting_ids)), 0, time.perf_counter() - started, manifest.version)
