"""One version of a Milvus-held index, behind the same `View` methods ranking uses on segments.

The view lists its live postings' small fields once (ids, tags, families, document lengths, filter columns):
that is the whole corpus as one logical segment 0, ref `(0, position)`. Filters, dense search, term statistics,
vectors and stored records are asked of Milvus, with the version in every expression, so a view keeps answering
for its version while writers go on. Rows are immutable apart from their `died` mark, so what a process caches
by row number (stored records, tag vectors) never goes stale: replicas share no state but Milvus.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from matcher.config import IndexShape
from matcher.filters import Filters
from matcher.index.manifest import Manifest, SegmentRef
from matcher.index.segment import NO_TIME, StoredDoc, _flat, _Lists
from matcher.index.view import Fetched, Ref, View
from matcher.milvus import schema
from matcher.postings import Posting

LISTED = ["doc", "posting_id", "title", "content_hash", "job_type", "company", "location", "ts", "has_ts", "archived",
          "tags", "families", "doclen"]


class Mask(np.ndarray):
    """Allowed positions of a view, carrying the Milvus expression they came from (pushed into searches)."""

    expr: str = ""
    original: np.ndarray | None = None

    def __array_finalize__(self, obj: Any) -> None:
        self.expr = getattr(obj, "expr", "")
        self.original = getattr(obj, "original", None)


class Listing:
    """The live postings of a version as one logical segment (what `View`'s tag and family code reads)."""

    name = "milvus"

    def __init__(self, rows: list[dict[str, Any]], tag_vectors: dict[str, np.ndarray]) -> None:
        rows.sort(key=lambda r: r["posting_id"])
        self.docs = np.asarray([r["doc"] for r in rows], dtype=np.int64)
        self.ids: list[str] = [r["posting_id"] for r in rows]
        self.titles_text: list[str] = [r["title"] for r in rows]
        self.content_hash: list[str] = [r["content_hash"] for r in rows]
        self.archived = np.asarray([bool(r["archived"]) for r in rows], dtype=bool)
        self.timestamp = np.asarray([r["ts"] if r["has_ts"] else NO_TIME for r in rows], dtype=np.int64)
        self.doclen = np.asarray([r["doclen"] for r in rows], dtype=np.float32)
        self.values = {name: {r[name] for r in rows} for name in ("job_type", "company", "location")}
        self.tag_lists = _Lists(*_flat([list(r["tags"]) for r in rows]))
        self.family_lists = _Lists(*_flat([list(r["families"]) for r in rows]))
        self.tag_vectors = tag_vectors

    def __len__(self) -> int:
        return len(self.ids)


class MilvusView(View):
    """A consistent, read-only version of a Milvus index (see the module docstring)."""

    def __init__(self, store: Any, meta: dict[str, Any], rows: list[dict[str, Any]],
                 tag_vectors: dict[str, np.ndarray], shape: IndexShape) -> None:
        self.store = store
        self.client, self.prefix = store.client, store.prefix
        self.at = int(meta["writes"])
        self.shape = shape
        listing = Listing(rows, tag_vectors)
        self.segments = [listing]  # type: ignore[list-item]
        self.live = [np.ones(len(listing), dtype=bool)]
        self.deleted = [np.zeros(0, dtype=np.int64)]  # a version holds live rows only
        self.position = {int(d): i for i, d in enumerate(listing.docs.tolist())}
        self.where = {pid: (0, i) for i, pid in enumerate(listing.ids)}
        self.n_docs = len(listing)
        self.avgdl = float(listing.doclen.sum()) / self.n_docs if self.n_docs else 1.0
        self.manifest = Manifest(model_id=meta["model_id"], model_hash=meta["model_hash"], dimension=meta["dimension"],
                                 shape=meta["shape"], segments=(SegmentRef("milvus", self.n_docs),),
                                 generation=int(meta["generation"]), writes=self.at, postings=self.n_docs,
                                 passages=int(meta.get("passages", 0)), created=meta.get("created", ""))

    def _name(self, part: str) -> str:
        return f"{self.prefix}_{part}"

    # -- statistics -------------------------------------------------------------------------------------------
    def df(self, term: str) -> int:
        """Live postings containing `term`, counted by Milvus over this version (exact)."""
        rows = self.client.query(self._name("docs"), output_fields=["count(*)"],
                                 filter=f"{schema.live(self.at)} and array_contains(terms, {schema.literal(term)})")
        return int(rows[0]["count(*)"])

    def known_tag_vectors(self) -> set[str]:
        return set(self.segments[0].tag_vectors)

    # -- filters ----------------------------------------------------------------------------------------------
    def allowed(self, filters: Filters) -> list[np.ndarray]:
        """The postings passing `filters`, as Milvus evaluates their expression (kept with the mask)."""
        vocab = self.vocab
        expr = schema.expression(self.at, filters, [vocab.canonical(t) for t in filters.tags_any],
                                 [vocab.canonical(t) for t in filters.tags_all], self.segments[0].values)
        mask = np.zeros(self.n_docs, dtype=bool)
        for row in schema.query_all(self.client, self._name("docs"), expr, ["doc"]):
            pos = self.position.get(int(row["doc"]))
            if pos is not None:
                mask[pos] = True
        out = mask.view(Mask)
        out.expr, out.original = expr, mask.copy()
        return [out]

    def _expr(self, mask: np.ndarray) -> str:
        """The mask's expression, minus positions the caller switched off since (e.g. `similar`'s own posting)."""
        if not isinstance(mask, Mask) or not mask.expr or mask.original is None:
            raise TypeError("masks of a Milvus view come from its allowed()")
        off = np.flatnonzero(mask.original & ~np.asarray(mask))
        if len(off):
            return f"{mask.expr} and doc not in [{', '.join(str(int(d)) for d in self.segments[0].docs[off])}]"
        return mask.expr

    # -- retrieval --------------------------------------------------------------------------------------------
    def dense_hits(self, queries: np.ndarray, n: int, masks: Sequence[np.ndarray], nprobe: int) -> set[Ref]:
        """Postings owning one of the `n` passages nearest any query vector, the filter inside the search.

        As `View.dense_hits`: similarities rounded to 1e-6, ties at the cut broken by posting id and passage, so
        Milvus returns the same postings as the FAISS store (it is asked for more until the n-th is no tie).
        """
        if not len(queries) or not self.n_docs or not masks[0].any():
            return set()
        expr, ids = self._expr(masks[0]), self.segments[0].ids
        out: set[Ref] = set()
        for query in np.asarray(queries, dtype=np.float32):
            limit = n
            while True:
                hits = self.client.search(self._name("passages"), data=[query.tolist()], anns_field="vector",
                                          limit=min(limit + 1, 16_384), filter=expr, output_fields=["doc", "row"],
                                          search_params={"metric_type": "IP"})[0]
                found = [(-round(float(h["distance"]), 6), ids[self.position[int(h["entity"]["doc"])]],
                          int(h["entity"]["row"]) % 4096, self.position[int(h["entity"]["doc"])])
                         for h in hits if int(h["entity"]["doc"]) in self.position]
                found.sort()
                # Complete when fewer came back than asked, or the first one past the cut is not tied with it.
                if len(hits) <= limit or limit >= 16_383 or len(found) <= n or found[n][0] != found[n - 1][0]:
                    break
                limit *= 2
            out.update((0, hit[3]) for hit in found[:n])
        return out

    def bm25(self, terms: Counter[str], masks: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Exact BM25 (Lucene variant) over this version's live postings: one query returns every live posting
        holding a query term with its counts, which gives the document frequencies and the scores at once."""
        k1, b = self.shape.bm25_k1, self.shape.bm25_b
        scores = np.zeros(self.n_docs, dtype=np.float64)
        mask = np.asarray(masks[0])
        if not terms or not mask.any():
            return [scores]
        wanted = ", ".join(schema.literal(t) for t in terms)
        rows = schema.query_all(self.client, self._name("docs"),
                                f"{schema.live(self.at)} and array_contains_any(terms, [{wanted}])", ["doc"])
        docs = [int(r["doc"]) for r in rows if int(r["doc"]) in self.position]
        found: list[tuple[int, dict[str, int]]] = []
        df: Counter[str] = Counter()
        for doc, all_counts in zip(docs, self.store.term_counts(docs), strict=True):
            counts = {t: all_counts[t] for t in terms if t in all_counts}
            df.update(counts.keys())
            found.append((self.position[doc], counts))
        idf = {t: float(np.log(1 + (self.n_docs - n + 0.5) / (n + 0.5))) for t, n in df.items()}
        doclen = self.segments[0].doclen
        for pos, counts in found:
            if mask[pos]:
                norm = k1 * (1 - b + b * float(doclen[pos]) / self.avgdl)
                # Terms in the query's order, as View.bm25 adds them (the same float sums).
                scores[pos] = sum(idf[t] * terms[t] * counts[t] / (counts[t] + norm) for t in terms if t in counts)
        return [scores]

    def bm25_of(self, terms: Counter[str], refs: Sequence[Ref]) -> np.ndarray:
        """BM25 of `refs`: picked from `bm25`, which reads every posting holding a query term in one query."""
        scores = self.bm25(terms, [np.ones(self.n_docs, dtype=bool)])[0]
        return np.asarray([scores[d] for _, d in refs], dtype=np.float64)

    # -- fetching ---------------------------------------------------------------------------------------------
    def fetch(self, refs: Sequence[Ref]) -> Fetched:
        """Vectors of `refs` (only these postings are read; rows a process read before come from its cache)."""
        dim = self.manifest.dimension
        docs = [int(self.segments[0].docs[d]) for _, d in refs]
        vectors = self.store.vectors(docs)
        counts = [len(v[2]) for v in vectors]
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        passages = np.concatenate([v[2] for v in vectors]) if vectors else np.zeros((0, dim), np.float32)
        kinds = np.concatenate([v[3] for v in vectors]) if vectors else np.zeros(0, np.int64)
        heads = np.stack([v[0] for v in vectors]) if vectors else np.zeros((0, dim), np.float32)
        titles = np.stack([v[1] for v in vectors]) if vectors else np.zeros((0, dim), np.float32)
        lists = self.segments[0].family_lists
        positions = np.asarray([d for _, d in refs], dtype=np.int64)
        families = (lists.offsets[positions + 1] - lists.offsets[positions]).astype(np.float64) if len(refs) \
            else np.zeros(0)
        return Fetched(list(refs), [self.segments[0].ids[d] for _, d in refs], offsets, passages, kinds, heads, titles,
                       self.sums(refs, "tag"), families)

    def stored(self, ref: Ref) -> StoredDoc:
        doc = int(self.segments[0].docs[ref[1]])
        return self.store.record(doc)


def stored_doc(record: dict[str, Any]) -> StoredDoc:
    return StoredDoc(Posting.from_dict(record["posting"]), tuple(record["tags"]),
                     tuple((int(s), int(e), str(k)) for s, e, k in record["passages"]))


class RecordCache(OrderedDict):
    """Values by row number (rows never change, so no entry goes stale), least recently used out."""

    def __init__(self, size: int = 4096) -> None:
        super().__init__()
        self.size = size

    def put(self, doc: int, value: StoredDoc) -> None:
        self[doc] = value
        if len(self) > self.size:
            self.popitem(last=False)
