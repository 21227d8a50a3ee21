"""Chunks: a process's in-memory copy of the small fields of Milvus posting rows, shaped like a segment.

A chunk holds rows that never change (a row's only mutable field, `died`, lives in each view's live mask), so a
view is a list of chunks plus one live mask per chunk, exactly as a segment view is (`matcher.index.view.View`
reads chunks as it reads segments: ids, filter columns, tags, families, term counts for exact BM25). A write adds
one chunk built from the rows it inserted and switches off the rows it replaced: it costs what it changes, with no
read of the collection. Another process catches up by reading only the rows born or died since its version.
Chunks are merged in memory when there are many (`compact`), dropping rows no view of the new list can see.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from matcher.index.segment import NO_TIME, Segment, _flat, _Lists

# The row fields a chunk keeps (vectors and stored records stay in Milvus, read per candidate).
LISTED = ["doc", "posting_id", "title", "content_hash", "job_type", "company", "location", "ts", "has_ts", "archived",
          "tags", "families", "terms", "tfs", "doclen", "n_passages"]
KEPT = [k for k in LISTED if k not in ("terms", "tfs")]
MAX_CHUNKS = 12  # more than this after a write: the smallest ones are merged
MERGE_CHUNKS = 6
_names = itertools.count()


class Chunk(Segment):
    """Immutable rows of the docs collection, with the arrays `View` reads from a segment (a segment held in
    memory: it shares Segment's derived statistics; vectors and stored records are read from Milvus instead)."""

    def __init__(self, rows: Sequence[dict[str, Any]]) -> None:  # no folder: Segment.__init__ is not called
        self.name = f"milvus-{next(_names)}"
        self.docs = np.asarray([int(r["doc"]) for r in rows], dtype=np.int64)
        self.ids: list[str] = [r["posting_id"] for r in rows]
        self.titles_text: list[str] = [r["title"] for r in rows]
        self.content_hash: list[str] = [r["content_hash"] for r in rows]
        self.archived = np.asarray([bool(r["archived"]) for r in rows], dtype=bool)
        self.timestamp = np.asarray([int(r["ts"]) if r["has_ts"] else NO_TIME for r in rows], dtype=np.int64)
        self.doclen = np.asarray([r["doclen"] for r in rows], dtype=np.float32)
        self.n_passages = np.asarray([int(r["n_passages"]) for r in rows], dtype=np.int64)
        self.text_fields: dict[str, list[str]] = {k: [r[k] for r in rows] for k in ("job_type", "company", "location")}
        self.tag_lists = _Lists(*_flat([list(r["tags"]) for r in rows]))
        self.family_lists = _Lists(*_flat([list(r["families"]) for r in rows]))
        terms: dict[str, int] = {}
        cols = [terms.setdefault(t, len(terms)) for r in rows for t in r["terms"]]
        counts = np.fromiter((c for r in rows for c in r["tfs"]), dtype=np.float32, count=len(cols))
        indptr = np.concatenate([[0], np.cumsum([len(r["terms"]) for r in rows])]).astype(np.int64)
        self.terms = terms
        self.tf = sp.csr_matrix((counts, np.asarray(cols, dtype=np.int32), indptr), shape=(len(rows), len(terms)))
        self.tf.sort_indices()
        # Kept for merging chunks, without the term lists (the CSR above holds them, far smaller than Python lists).
        self._fields = [{k: r[k] for k in KEPT} for r in rows]

    def row(self, i: int) -> dict[str, Any]:
        """Row `i` as it was read (term lists rebuilt from the counts), to build a merged chunk from."""
        names = self._term_names
        start, stop = int(self.tf.indptr[i]), int(self.tf.indptr[i + 1])
        return {**self._fields[i], "terms": [names[j] for j in self.tf.indices[start:stop].tolist()],
                "tfs": [int(c) for c in self.tf.data[start:stop].tolist()]}

    @cached_property
    def _term_names(self) -> list[str]:
        return list(self.terms)

    @cached_property
    def local(self) -> dict[int, int]:
        """Milvus row number -> local position."""
        return {int(d): i for i, d in enumerate(self.docs.tolist())}


def compact(chunks: list[Chunk], live: list[np.ndarray]) -> tuple[list[Chunk], list[np.ndarray]]:
    """Merge the smallest chunks (live rows only) once there are more than MAX_CHUNKS; others are shared as is."""
    if len(chunks) <= MAX_CHUNKS:
        return chunks, live
    order = sorted(range(len(chunks)), key=lambda i: int(live[i].sum()))
    chosen = set(order[:MERGE_CHUNKS])
    rows = [chunks[i].row(j) for i in sorted(chosen) for j in np.flatnonzero(live[i]).tolist()]
    kept = [i for i in range(len(chunks)) if i not in chosen]
    merged = Chunk(rows)
    return [chunks[i] for i in kept] + [merged], [live[i] for i in kept] + [np.ones(len(merged), dtype=bool)]
