"""One version of a Milvus-held index, behind the same `View` methods ranking uses on segments.

The view is a list of in-memory chunks of posting rows (`matcher.milvus.listing`) with a live mask each: the
base `View` reads them as segments for filters, tags, families and exact BM25 (the same code and arithmetic as
the FAISS store, no round trip). Milvus is asked for what only it holds: the dense passage search (with the
filter as a Milvus expression inside the search) and the vectors and stored records of the candidates, read by
primary key. Rows are immutable apart from their `died` mark, so what a process caches by row number (stored
records, vectors, tag vectors) never goes stale: replicas share no state but Milvus.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

from matcher.config import IndexShape
from matcher.filters import Filters
from matcher.index.manifest import Manifest, SegmentRef
from matcher.index.segment import StoredDoc
from matcher.index.view import Fetched, Products, Ref, Rows, View, Where
from matcher.milvus import schema
from matcher.milvus.listing import Chunk, compact
from matcher.postings import Posting

ROW_STRIDE = 4096  # passage row number = doc * ROW_STRIDE + passage index


class Mask(np.ndarray):
    """Allowed positions of a chunk, carrying the Milvus expression they came from (pushed into searches)."""

    expr: str = ""
    original: np.ndarray | None = None

    def __array_finalize__(self, obj: Any) -> None:
        self.expr = getattr(obj, "expr", "")
        self.original = getattr(obj, "original", None)


class MilvusView(View):
    """A consistent, read-only version of a Milvus index (see the module docstring)."""

    def __init__(self, store: Any, meta: dict[str, Any], chunks: list[Chunk], live: list[np.ndarray],
                 tag_vectors: dict[str, np.ndarray], shape: IndexShape) -> None:
        self.store = store
        self.client, self.prefix = store.client, store.prefix
        self.meta = meta
        self.at = int(meta["writes"])
        self.shape = shape
        self.segments = chunks  # type: ignore[assignment]
        self.live = live
        self.deleted = [np.flatnonzero(~m) for m in live]
        self.tag_vectors = tag_vectors
        self.where = Where(chunks, live)  # type: ignore[arg-type]
        self.n_docs = sum(int(m.sum()) for m in live)
        total = sum(c.doclen_total - float(c.doclen[dead].sum()) for c, dead in zip(chunks, self.deleted, strict=True))
        self.avgdl = total / self.n_docs if self.n_docs else 1.0
        self.manifest = Manifest(model_id=meta["model_id"], model_hash=meta["model_hash"], dimension=meta["dimension"],
                                 shape=meta["shape"], segments=(SegmentRef("milvus", self.n_docs),),
                                 generation=int(meta["generation"]), writes=self.at, postings=self.n_docs,
                                 passages=int(meta.get("passages", 0)), created=meta.get("created", ""))

    def advanced(self, meta: dict[str, Any], rows: Sequence[dict[str, Any]], died: Sequence[int],
                 tag_vectors: dict[str, np.ndarray]) -> MilvusView:
        """The next version: this one plus `rows` (born in it) minus the rows numbered `died` (no Milvus read)."""
        chunks, live = list(self.segments), list(self.live)
        if rows:
            chunks.append(Chunk(rows))
            live.append(np.ones(len(rows), dtype=bool))
        copied: set[int] = set()
        for doc in died:
            ref = _find(chunks, live, int(doc))
            if ref is not None:
                s, d = ref
                if s not in copied:  # copy on first change: older views keep their masks
                    live[s] = live[s].copy()
                    copied.add(s)
                live[s][d] = False
        chunks, live = compact(chunks, live)  # type: ignore[arg-type]
        return MilvusView(self.store, meta, chunks, live, tag_vectors, self.shape)

    def ref_of(self, doc: int) -> Ref | None:
        """The live position of Milvus row `doc` in this view, if any."""
        return _find(self.segments, self.live, doc)  # type: ignore[arg-type]

    def docs_of(self, refs: Sequence[Ref]) -> list[int]:
        return [int(self.segments[s].docs[d]) for s, d in refs]  # type: ignore[attr-defined]

    # -- tags -------------------------------------------------------------------------------------------------
    def known_tag_vectors(self) -> set[str]:
        return set(self.tag_vectors)

    @cached_property
    def tag_table(self) -> tuple[tuple[str, ...], np.ndarray]:
        names = tuple(t for t in self.vocab.tags if t in self.tag_vectors)
        dim = self.manifest.dimension
        matrix = np.stack([self.tag_vectors[t] for t in names]).astype(np.float32) if names \
            else np.zeros((0, dim), np.float32)
        return names, matrix

    # -- filters ----------------------------------------------------------------------------------------------
    def allowed(self, filters: Filters) -> list[np.ndarray]:
        """The postings passing `filters` (evaluated here, as on segments), each mask carrying the same filter as
        a Milvus expression for the searches that run inside Milvus."""
        vocab = self.vocab
        expr = schema.expression(self.at, filters, [vocab.canonical(t) for t in filters.tags_any],
                                 [vocab.canonical(t) for t in filters.tags_all], self._values)
        out = []
        for mask in super().allowed(filters):
            wrapped = mask.view(Mask)
            wrapped.expr, wrapped.original = expr, mask.copy()
            out.append(wrapped)
        return out

    @cached_property
    def _values(self) -> dict[str, set[str]]:
        """Distinct (lower-cased) values of the text filter fields (for needles LIKE cannot express)."""
        return {name: {v for c in self.segments for v in c.text_fields[name]}  # type: ignore[attr-defined]
                for name in ("job_type", "company", "location")}

    def _expr(self, masks: Sequence[np.ndarray]) -> str:
        """The masks' expression, minus positions the caller switched off since (e.g. `similar`'s own posting)."""
        first = masks[0] if masks else None
        if not isinstance(first, Mask) or not first.expr:
            raise TypeError("masks of a Milvus view come from its allowed()")
        off: list[int] = []
        for chunk, mask in zip(self.segments, masks, strict=True):
            if not isinstance(mask, Mask) or mask.original is None:
                raise TypeError("masks of a Milvus view come from its allowed()")
            off += chunk.docs[np.flatnonzero(mask.original & ~np.asarray(mask))].tolist()  # type: ignore[attr-defined]
        return f"{first.expr} and doc not in [{', '.join(map(str, off))}]" if off else first.expr

    # -- retrieval --------------------------------------------------------------------------------------------
    def dense_hits(self, queries: np.ndarray, n: int, masks: Sequence[np.ndarray], nprobe: int,
                   keep: Products | None = None) -> set[Ref]:
        """Postings owning one of the `n` passages nearest any query vector, the filter inside the search.

        All query vectors go in one search call. As `View.dense_hits`: similarities rounded to 1e-6, ties at the
        cut broken by posting id and passage, so Milvus returns the same postings as the FAISS store (a query whose
        n-th hit is tied with the next is asked again for more).
        """
        if not len(queries) or not self.n_docs or not any(m.any() for m in masks):
            return set()
        expr = self._expr(masks)
        vectors = np.asarray(queries, dtype=np.float32)
        limits = dict.fromkeys(range(len(vectors)), n)
        out: set[Ref] = set()
        while limits:
            limit = min(max(limits.values()) + 1, 16_384)
            pending = sorted(limits)
            results = self.client.search(self._name("passages"), data=[vectors[q].tolist() for q in pending],
                                         anns_field="vector", limit=limit, filter=expr,
                                         output_fields=["doc", "row"], search_params={"metric_type": "IP"})
            for q, hits in zip(pending, results, strict=True):
                found = []
                for h in hits:
                    ref = self.ref_of(int(h["entity"]["doc"]))
                    if ref is not None:
                        found.append((-round(float(h["distance"]), 6), self.posting_id(ref),
                                      int(h["entity"]["row"]) % ROW_STRIDE, ref))
                found.sort()
                # Complete when fewer came back than asked, or the first one past the cut is not tied with it.
                if len(hits) < limit or limit >= 16_384 or len(found) <= n or found[n][0] != found[n - 1][0]:
                    out.update(hit[3] for hit in found[:n])
                    del limits[q]
                else:
                    limits[q] = limit * 2
        return out

    # -- fetching ---------------------------------------------------------------------------------------------
    def fetch(self, refs: Sequence[Ref], products: Products | None = None) -> Fetched:
        """Vectors of `refs` (only these postings are read, by primary key; a process caches them by row). Milvus
        searches keep no products (`keep`, `products`: accepted and unused)."""
        dim = self.manifest.dimension
        counts = [int(self.segments[s].n_passages[d]) for s, d in refs]  # type: ignore[attr-defined]
        vectors = self.store.vectors(self.docs_of(refs), counts)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        passages = np.concatenate([v[2] for v in vectors]) if vectors else np.zeros((0, dim), np.float32)
        kinds = np.concatenate([v[3] for v in vectors]) if vectors else np.zeros(0, np.int64)
        heads = np.stack([v[0] for v in vectors]) if vectors else np.zeros((0, dim), np.float32)
        titles = np.stack([v[1] for v in vectors]) if vectors else np.zeros((0, dim), np.float32)
        families = np.asarray([int(np.diff(self.segments[s].family_lists.offsets[d:d + 2])[0]) for s, d in refs],
                              dtype=np.float64)
        return Fetched(list(refs), [self.posting_id(r) for r in refs], offsets, Rows.of(passages), kinds,
                       Rows.of(heads), Rows.of(titles), self.sums(refs, "tag"), families)

    def stored(self, ref: Ref) -> StoredDoc:
        return self.store.record(self.docs_of([ref])[0])

    def _name(self, part: str) -> str:
        return f"{self.prefix}_{part}"


def _find(chunks: Sequence[Chunk], live: Sequence[np.ndarray], doc: int) -> Ref | None:
    for s in range(len(chunks) - 1, -1, -1):
        d = chunks[s].local.get(doc)
        if d is not None and live[s][d]:
            return (s, d)
    return None


def stored_doc(record: dict[str, Any]) -> StoredDoc:
    return StoredDoc(Posting.from_dict(record["posting"]), tuple(record["tags"]),
                     tuple((int(s), int(e), str(k)) for s, e, k in record["passages"]))


class RecordCache(OrderedDict):
    """Values by row number (rows never change, so no entry goes stale), least recently used out."""

    def __init__(self, size: int = 4096) -> None:
        super().__init__()
        self.size = size

    def put(self, doc: int, value: Any) -> None:
        self[doc] = value
        if len(self) > self.size:
            self.popitem(last=False)
