"""A consistent, read-only view of one manifest: its open segments, live postings and exact corpus statistics.

Id spaces (never mixed): a *posting id* is the user's string id; a *ref* `(s, d)` is posting `d` (local doc
number) of the view's segment `s`; a *passage row* is a row of one segment's passage matrix. Refs are only valid
within one view: a merge renumbers everything, so nothing outside a view keeps them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from matcher.config import IndexShape
from matcher.cosine import cosines
from matcher.filters import Filters
from matcher.index.kernels import bm25_by_columns, bm25_by_rows, row_dots
from matcher.index.manifest import Manifest
from matcher.index.segment import NO_TIME, Segment, StoredDoc, ranges
from matcher.skills import Vocabulary
from matcher.skills.catalog import CATALOG

Ref = tuple[int, int]
Groups = dict[int, tuple[np.ndarray, np.ndarray]]  # segment -> (positions in a list of refs, local docs)


@dataclass
class Products:
    """Cosines a query already has against whole segments: exact search computes every passage's, and scoring
    reads its candidates' from here instead of computing them again (`View.dense_hits` fills it)."""

    queries: np.ndarray  # the query vectors they were computed for
    by_segment: dict[int, np.ndarray] = field(default_factory=dict)  # segment -> (len(queries), its passages)


class Rows:
    """Chosen rows of one or more matrices, read where they lie (a segment's memory-mapped vectors): row `dst[i]`
    of the whole is row `src[i]` of its block's matrix. Their cosines with a few query vectors need no copy, and
    none at all where `known` has them already."""

    def __init__(self, blocks: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | None]], n: int, dim: int,
                 known: tuple[np.ndarray, Sequence[np.ndarray | None]] | None = None) -> None:
        self.blocks = list(blocks)  # (matrix, src rows, dst rows; None: all rows, in order)
        self.n, self.dim = n, dim
        self.known = known  # (query vectors, per block: their products with the block's whole matrix, or None)

    @classmethod
    def of(cls, matrix: np.ndarray) -> Rows:
        """All rows of one matrix, in order (vectors already in memory)."""
        return cls([(matrix, np.arange(len(matrix), dtype=np.int64), None)], len(matrix), matrix.shape[1])

    def __len__(self) -> int:
        return self.n

    def dots(self, queries: np.ndarray) -> np.ndarray:
        """(rows, len(queries)) float32: each row against each query vector (cosines for unit vectors)."""
        known = self.known[1] if self.known is not None and self.known[0] is queries else [None] * len(self.blocks)

        def block(i: int) -> np.ndarray:
            matrix, src, _ = self.blocks[i]
            product = known[i]
            return row_dots(queries, matrix, src) if product is None else np.take(product, src, axis=1).T

        if len(self.blocks) == 1 and self.blocks[0][2] is None:
            return block(0)
        out = np.zeros((self.n, len(queries)), dtype=np.float32)
        for i, (_, _, dst) in enumerate(self.blocks):
            out[dst] = block(i)
        return out

    def array(self) -> np.ndarray:
        """The rows gathered into one (rows, dim) array (for the few callers that need the vectors themselves)."""
        if len(self.blocks) == 1 and self.blocks[0][2] is None:
            return np.take(self.blocks[0][0], self.blocks[0][1], axis=0)
        out = np.zeros((self.n, self.dim), dtype=np.float32)
        for matrix, src, dst in self.blocks:
            out[dst] = np.take(matrix, src, axis=0)
        return out


@dataclass
class Fetched:
    """What scoring needs for a set of postings, in the order asked: vectors and what their tags weigh."""

    refs: list[Ref]
    posting_ids: Sequence[str]
    offsets: np.ndarray  # (n+1,) rows offsets[i]:offsets[i+1] of `passage_rows` belong to posting i
    passage_rows: Rows  # unit vectors
    kinds: np.ndarray  # (rows,) passage kind codes (segment.KINDS)
    head_rows: Rows  # (n, dim)
    title_rows: Rows  # (n, dim)
    tag_total: np.ndarray  # (n,) summed informativeness of each posting's tags
    families: np.ndarray  # (n,) number of role families each posting's title names
    groups: Groups | None = None  # `refs` by segment, for further reads of the same postings

    def __len__(self) -> int:
        return len(self.refs)

    @cached_property
    def passages(self) -> np.ndarray:
        return self.passage_rows.array()

    @cached_property
    def heads(self) -> np.ndarray:
        return self.head_rows.array()

    @cached_property
    def titles(self) -> np.ndarray:
        return self.title_rows.array()


class PostingIds(Sequence[str]):
    """The posting ids of refs, looked up when asked (a query reads a few of its hundreds of candidates' ids)."""

    def __init__(self, segments: Sequence[Segment], refs: Sequence[Ref]) -> None:
        self._segments, self._refs = segments, refs

    def __getitem__(self, i):  # type: ignore[no-untyped-def,override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        s, d = self._refs[i]
        return self._segments[s].ids[d]

    def __len__(self) -> int:
        return len(self._refs)


class Where(Mapping[str, Ref]):
    """posting id -> ref of its live copy, looked up in each segment's own id table (newest segment first)."""

    def __init__(self, segments: Sequence[Segment], live: Sequence[np.ndarray]) -> None:
        self._segments, self._live = segments, live
        self._len = sum(int(m.sum()) for m in live)

    def __getitem__(self, posting_id: str) -> Ref:
        for s in range(len(self._segments) - 1, -1, -1):
            d = self._segments[s].doc_of.get(posting_id)
            if d is not None and self._live[s][d]:
                return (s, d)
        raise KeyError(posting_id)

    def __iter__(self) -> Iterator[str]:
        for seg, mask in zip(self._segments, self._live, strict=True):
            ids = seg.ids
            for d in np.flatnonzero(mask).tolist():
                yield ids[d]

    def items(self) -> Iterator[tuple[str, Ref]]:  # type: ignore[override]
        for s, (seg, mask) in enumerate(zip(self._segments, self._live, strict=True)):
            ids = seg.ids
            for d in np.flatnonzero(mask).tolist():
                yield ids[d], (s, d)

    def values(self) -> Iterator[Ref]:  # type: ignore[override]
        for _, ref in self.items():
            yield ref

    def __len__(self) -> int:
        return self._len


class View:
    """Segments named by one manifest, with deletions applied. Immutable once built; a write makes a new view."""

    def __init__(self, manifest: Manifest, segments: Mapping[str, Segment], shape: IndexShape) -> None:
        self.manifest = manifest
        self.shape = shape
        self.segments: list[Segment] = [segments[ref.name] for ref in manifest.segments]
        self.live: list[np.ndarray] = []
        self.deleted: list[np.ndarray] = []
        for ref, seg in zip(manifest.segments, self.segments, strict=True):
            mask = np.ones(len(seg), dtype=bool)
            dead = np.asarray(ref.deleted, dtype=np.int64)
            mask[dead] = False
            self.live.append(mask)
            self.deleted.append(dead)
        # Built from per-segment parts that outlive a view, so a one-posting write costs little whatever the size.
        self.where = Where(self.segments, self.live)
        self.n_docs = sum(len(seg) - len(dead) for seg, dead in zip(self.segments, self.deleted, strict=True))
        total = sum(seg.doclen_total - float(seg.doclen[dead].sum())
                    for seg, dead in zip(self.segments, self.deleted, strict=True))
        self.avgdl = total / self.n_docs if self.n_docs else 1.0

    def __len__(self) -> int:
        return self.n_docs

    @property
    def version(self) -> str:
        return self.manifest.version

    # -- statistics -------------------------------------------------------------------------------------------
    @cached_property
    def _live_df(self) -> list[np.ndarray]:
        """Per segment: live postings containing each local term."""
        out = []
        for seg, dead in zip(self.segments, self.deleted, strict=True):
            df = seg.df
            if len(dead):
                df = df - np.bincount(seg.tf[dead].indices, minlength=len(seg.terms))
            out.append(df)
        return out

    def df(self, term: str) -> int:
        """Live postings containing `term` (exact, whatever the history of writes)."""
        return int(sum(df[i] for seg, df in zip(self.segments, self._live_df, strict=True)
                       if (i := seg.terms.get(term)) is not None))

    def tag_postings(self, include_archived: bool = True) -> Counter[str]:
        """Live postings carrying each tag (archived ones too, unless told otherwise)."""
        counts: Counter[str] = Counter()
        for seg, dead in zip(self.segments, self.deleted, strict=True):
            lists = seg.tag_lists
            per_tag = lists.counts(include_archived, seg.archived)
            gone = dead if include_archived else dead[~seg.archived[dead]]
            if len(gone):
                rows, _ = ranges(lists.offsets, gone)
                per_tag = per_tag - np.bincount(lists.ids[rows], minlength=len(lists.names))
            for tag_id in np.flatnonzero(per_tag).tolist():
                counts[lists.names[tag_id]] += int(per_tag[tag_id])
        return counts

    @cached_property
    def vocab(self) -> Vocabulary:
        """The catalog plus every live tag, with document frequencies over live postings."""
        counts = self.tag_postings()
        catalog = {s.tag for s in CATALOG}
        return Vocabulary(CATALOG, counts, self.n_docs, extra=set(counts) - catalog)

    @cached_property
    def tag_table(self) -> tuple[tuple[str, ...], np.ndarray]:
        """The vocabulary's tags that have a vector, and those vectors (for semantic neighbours of a skill)."""
        vectors: dict[str, np.ndarray] = {}
        for seg in self.segments:
            vectors.update(seg.tag_vectors)
        names = tuple(t for t in self.vocab.tags if t in vectors)
        dim = self.manifest.dimension
        matrix = np.stack([vectors[t] for t in names]).astype(np.float32) if names else np.zeros((0, dim), np.float32)
        return names, matrix

    def known_tag_vectors(self) -> set[str]:
        return {t for seg in self.segments for t in seg.tag_vectors}

    # -- filters ----------------------------------------------------------------------------------------------
    def allowed(self, filters: Filters) -> list[np.ndarray]:
        """Per segment, the live postings that pass `filters` (tags resolved through the vocabulary)."""
        vocab = self.vocab
        any_tags = [vocab.canonical(t) for t in filters.tags_any]
        all_tags = [vocab.canonical(t) for t in filters.tags_all]
        out = []
        for seg, live in zip(self.segments, self.live, strict=True):
            mask = live.copy()
            if not filters.include_archived:
                mask &= ~seg.archived
            for name in ("job_type", "company", "location"):
                want = getattr(filters, name)
                if want:
                    mask &= _contains(seg, name, want.lower())
            if filters.posted_after is not None:
                mask &= (seg.timestamp != NO_TIME) & (seg.timestamp >= filters.posted_after)
            if filters.posted_before is not None:
                mask &= (seg.timestamp != NO_TIME) & (seg.timestamp < filters.posted_before)
            inverted = seg.tag_lists.inverted
            if any_tags:
                hit = np.zeros(len(seg), dtype=bool)
                for tag in any_tags:
                    hit[inverted.get(tag, [])] = True
                mask &= hit
            for tag in all_tags:
                hit = np.zeros(len(seg), dtype=bool)
                hit[inverted.get(tag, [])] = True
                mask &= hit
            out.append(mask)
        return out

    def count(self, masks: Sequence[np.ndarray]) -> int:
        return int(sum(int(m.sum()) for m in masks))

    # -- retrieval --------------------------------------------------------------------------------------------
    def dense_hits(self, queries: np.ndarray, n: int, masks: Sequence[np.ndarray], nprobe: int,
                   keep: Products | None = None) -> set[Ref]:
        """Postings owning one of the `n` passages closest to any query vector (exact, or IVF in big segments).

        Similarities are rounded to 1e-6 and ties broken by posting id and passage, so the same postings come back
        whichever segments hold them (identical boilerplate passages tie exactly). `keep`: where to leave the
        products an exact search computes over a whole segment, for scoring to read.
        """
        if not len(queries) or not self.n_docs:
            return set()
        # Per query vector, per segment: (scores, segment, docs, passage rows)
        per_row: list[list[tuple[np.ndarray, int, np.ndarray, np.ndarray]]] = [[] for _ in range(len(queries))]
        for s, (seg, mask) in enumerate(zip(self.segments, masks, strict=True)):
            if not mask.any():
                continue
            # Rows of allowed postings; None when all are (spelling that out costs ~2 ms per query at 100,000).
            rows_ok = None if mask.all() else np.repeat(mask, np.diff(seg.passage_offsets))
            found, product = _search(seg, queries, n, rows_ok, nprobe)
            if keep is not None and product is not None and keep.queries is queries:
                keep.by_segment[s] = product
            for q, (scores, rows) in enumerate(found):
                per_row[q].append((scores, s, np.searchsorted(seg.passage_offsets, rows, side="right") - 1, rows))
        out: set[Ref] = set()
        for parts in per_row:
            out.update(self._best_hits(parts, n))
        return out

    def _best_hits(self, parts: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]], n: int) -> list[Ref]:
        """The owners of one query vector's `n` best passages over all segments; passages tied at the cut go by
        (posting id, passage), so which segment holds a posting never decides."""
        if not parts:
            return []
        scores = np.concatenate([p[0] for p in parts])
        segs = np.concatenate([np.full(len(p[0]), p[1], dtype=np.int64) for p in parts])
        docs = np.concatenate([p[2] for p in parts]).astype(np.int64)
        if len(scores) <= n:
            return list(zip(segs.tolist(), docs.tolist(), strict=True))
        kth = np.partition(scores, len(scores) - n)[len(scores) - n]
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)
        chosen = above.tolist()
        if len(tied):
            rows = np.concatenate([p[3] for p in parts])
            keyed = sorted((self.segments[s].ids[d], int(r - self.segments[s].passage_offsets[d]), s, d, i)
                           for s, d, r, i in zip(segs[tied].tolist(), docs[tied].tolist(), rows[tied].tolist(),
                                                 tied.tolist(), strict=True))
            chosen += [key[4] for key in keyed[:n - len(above)]]
        return list(zip(segs[chosen].tolist(), docs[chosen].tolist(), strict=True))

    @cached_property
    def _length_norms(self) -> list[np.ndarray]:
        """Per segment and posting: BM25's length normalisation k1 * (1 - b + b * length / average length)."""
        k1, b = self.shape.bm25_k1, self.shape.bm25_b
        return [k1 * (1 - b + b * np.asarray(seg.doclen, dtype=np.float64) / self.avgdl) for seg in self.segments]

    @cached_property
    def _df_cache(self) -> dict[str, int]:
        return {}  # a view never changes, so its frequencies never go stale; at most one entry per term

    @cached_property
    def _idf_cache(self) -> dict[str, float]:
        return {}  # as `_df_cache`; -1.0 for a term in no live posting

    def dfs(self, terms: Iterable[str]) -> dict[str, int]:
        """`df` of each term (remembered by the view: the common words of CVs recur in every query)."""
        cache = self._df_cache
        for t in terms:
            if t not in cache:
                cache[t] = self.df(t)
        return {t: cache[t] for t in terms}

    def idfs(self, terms: Iterable[str]) -> dict[str, float]:
        """BM25's idf, log(1 + (N - df + 0.5) / (df + 0.5)), of each term found in a live posting (remembered)."""
        cache, out = self._idf_cache, {}
        for t in terms:
            idf = cache.get(t)
            if idf is None:
                df = self.dfs((t,))[t]
                idf = cache[t] = math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)) if df > 0 else -1.0
            if idf > 0:
                out[t] = idf
        return out

    def bm25(self, terms: Counter[str], masks: Sequence[np.ndarray],
             idf: Mapping[str, float] | None = None) -> list[np.ndarray]:
        """Per segment, the exact BM25 (Lucene variant) of the query terms for every posting (0 where masked);
        `idf`: `idfs(terms)` (or more), when the caller has it."""
        idf = self.idfs(terms) if idf is None else idf
        out = []
        for seg, mask, norm in zip(self.segments, masks, self._length_norms, strict=True):
            csc = seg.tf_csc
            # Each term's postings are one contiguous slice of the column-major arrays, read in query-term order
            # whatever the segment's layout.
            columns = [(i, idf[t] * c) for t, c in terms.items() if t in idf and (i := seg.terms.get(t)) is not None]
            if not columns or not mask.any():
                out.append(np.zeros(len(seg), dtype=np.float64))
                continue
            ids, weights = zip(*columns, strict=True)
            at = np.asarray(ids, dtype=np.int64)
            scores = bm25_by_columns(csc.indptr[at].astype(np.int64), csc.indptr[at + 1].astype(np.int64),
                                     np.asarray(weights, dtype=np.float64), csc.indices, csc.data, norm, len(seg))
            scores[~mask] = 0.0
            out.append(scores)
        return out

    def bm25_of(self, terms: Counter[str], refs: Sequence[Ref], idf: Mapping[str, float] | None = None) -> np.ndarray:
        """The exact BM25 of each ref, the value `bm25` gives it, read from these postings' own term counts only
        (`idf` as for `bm25`)."""
        idf = self.idfs(terms) if idf is None else idf
        present = [t for t in terms if t in idf]  # query-term order, the order `bm25` sums in
        out = np.zeros(len(refs), dtype=np.float64)
        for s, (positions, docs) in self._groups(refs).items():
            seg = self.segments[s]
            weight = np.zeros(len(seg.terms) + 1, dtype=np.float64)
            rank = np.full(len(seg.terms) + 1, -1, dtype=np.int64)
            for r, t in enumerate(present):
                i = seg.terms.get(t)
                if i is not None:
                    weight[i], rank[i] = idf[t] * terms[t], r
            out[positions] = bm25_by_rows(seg.tf.indptr, seg.tf.indices, seg.tf.data, docs, rank, weight,
                                          self._length_norms[s], len(present))
        return out

    def with_tags(self, weights: Mapping[str, float], masks: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per segment, the summed `weights` of the tags each allowed posting carries."""
        out = []
        for seg, mask in zip(self.segments, masks, strict=True):
            total = np.zeros(len(seg), dtype=np.float64)
            inverted = seg.tag_lists.inverted
            for tag, w in weights.items():
                docs = inverted.get(tag)
                if docs is not None and w:
                    total[docs] += w
            total[~mask] = 0.0
            out.append(total)
        return out

    def top(self, per_segment: Sequence[np.ndarray], n: int) -> list[Ref]:
        """The `n` refs with the highest positive values, ties broken by posting id (history-independent)."""
        cands = [(-float(v[d]), self.segments[s].ids[d], (s, int(d)))
                 for s, v in enumerate(per_segment) for d in _top_positive(v, n)]
        return [ref for _, _, ref in sorted(cands)[:n]]

    # -- fetching ---------------------------------------------------------------------------------------------
    def _groups(self, refs: Sequence[Ref]) -> Groups:
        """segment -> (positions in `refs`, local docs), for vectorised reads per segment."""
        if not refs:
            return {}
        table = np.asarray(refs, dtype=np.int64).reshape(len(refs), 2)
        out = {}
        for s in np.unique(table[:, 0]).tolist():
            positions = np.flatnonzero(table[:, 0] == s)
            out[s] = (positions, table[positions, 1])
        return out

    def _weights(self, s: int, part: str, weights: Mapping[str, float] | None) -> np.ndarray:
        """Per local name id of segment `s` (tags or families): its weight (`None`: each tag's informativeness)."""
        lists = self.segments[s].tag_lists if part == "tag" else self.segments[s].family_lists
        if weights is None:
            return self._tag_weights[s]
        out = np.zeros(len(lists.names), dtype=np.float64)
        for name, w in weights.items():
            i = lists.index.get(name)
            if i is not None:
                out[i] = w
        return out

    @cached_property
    def _tag_weights(self) -> list[np.ndarray]:
        weight = self.vocab.weight
        return [np.asarray([weight(t) for t in seg.tag_lists.names], dtype=np.float64) for seg in self.segments]

    def sums(self, refs: Sequence[Ref], part: str, weights: Mapping[str, float] | None = None,
             groups: Groups | None = None) -> np.ndarray:
        """For each ref, the summed weights of its tags (`part="tag"`) or role families (`"family"`); `groups`:
        `refs` by segment when the caller has them (`Fetched.groups`)."""
        out = np.zeros(len(refs), dtype=np.float64)
        for s, (positions, docs) in (self._groups(refs) if groups is None else groups).items():
            seg = self.segments[s]
            lists = seg.tag_lists if part == "tag" else seg.family_lists
            out[positions] = lists.sums(docs, self._weights(s, part, weights))
        return out

    def fetch(self, refs: Sequence[Ref], products: Products | None = None) -> Fetched:
        """Where the vectors of `refs` lie, their passage kinds and tag weights, in that order (only these postings
        are read; the vectors stay in place until scoring reads them). `products`: cosines the query's search
        already computed, which scoring then reads instead."""
        dim = self.manifest.dimension
        groups = self._groups(refs)
        counts = np.zeros(len(refs), dtype=np.int64)
        families = np.zeros(len(refs), dtype=np.float64)
        for s, (positions, docs) in groups.items():
            seg = self.segments[s]
            counts[positions] = seg.passage_offsets[docs + 1] - seg.passage_offsets[docs]
            families[positions] = seg.family_lists.offsets[docs + 1] - seg.family_lists.offsets[docs]
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        kinds = np.empty(int(offsets[-1]), dtype=np.uint8)
        passages, heads, titles = [], [], []
        whole = len(groups) == 1  # refs from one segment come in order: no scatter
        for s, (positions, docs) in groups.items():
            seg = self.segments[s]
            src, _ = ranges(seg.passage_offsets, docs)
            dst = None if whole else ranges(offsets, positions)[0]
            kinds[slice(None) if dst is None else dst] = seg.passage_kinds[src]
            passages.append((seg.passages, src, dst))
            heads.append((seg.heads, docs, None if whole else positions))
            titles.append((seg.titles, docs, None if whole else positions))
        known = None if products is None else \
            (products.queries, [products.by_segment.get(s) for s in groups])  # in `passages`' block order
        listed = list(refs)
        return Fetched(listed, PostingIds(self.segments, listed), offsets,
                       Rows(passages, len(kinds), dim, known),
                       kinds, Rows(heads, len(refs), dim), Rows(titles, len(refs), dim),
                       self.sums(refs, "tag", groups=groups), families, groups)

    def posting_id(self, ref: Ref) -> str:
        return self.segments[ref[0]].ids[ref[1]]

    def stored(self, ref: Ref) -> StoredDoc:
        s, d = ref
        return self.segments[s].stored(d)

    def title(self, ref: Ref) -> str:
        return self.segments[ref[0]].titles_text[ref[1]]

    def tags(self, ref: Ref) -> list[str]:
        return self.segments[ref[0]].tag_lists.of(ref[1])


def _top_positive(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n largest positive values, and of every value tied with the n-th (the caller cuts ties)."""
    positive = np.flatnonzero(values > 0)
    if len(positive) <= n:
        return positive
    kth = np.partition(values[positive], len(positive) - n)[len(positive) - n]
    return positive[values[positive] >= kth]


def _contains(seg: Segment, field: str, needle: str) -> np.ndarray:
    """Case-insensitive substring test over a text column, evaluated once per distinct value."""
    values = seg.text_fields[field]
    distinct: dict[str, bool] = {}
    return np.fromiter((distinct.setdefault(v, needle in v.lower()) if v not in distinct else distinct[v]
                        for v in values), dtype=bool, count=len(values))


def _search(seg: Segment, queries: np.ndarray, n: int, rows_ok: np.ndarray | None,
            nprobe: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray | None]:
    """Per query: the segment's best passages (rounded scores, rows): the top n and every passage tied with the
    n-th, so a tie at the cut is settled by the caller (by posting id), not by where a passage is stored; and,
    from an exact search, every passage's cosine (len(queries), passages).
    `rows_ok`: the passages allowed, None when all are (the caller leaves it out then)."""
    n_rows = len(seg.passages)
    total = n_rows if rows_ok is None else int(rows_ok.sum())
    k = min(n, total)
    if seg.ivf is not None:
        import faiss

        # A selector that lets every row through still costs ~40% of the search: leave it out then.
        bits = None if rows_ok is None else np.packbits(rows_ok, bitorder="little")  # alive while FAISS reads it
        selector = None if bits is None else faiss.IDSelectorBitmap(n_rows, faiss.swig_ptr(bits))
        params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        # A few query vectors search ~2x faster on one OpenMP thread than on two (the threads' start-up dominates).
        # The thread count is shared with torch, so it is restored for the next embedding.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, rows = seg.ivf.search(np.ascontiguousarray(queries, dtype=np.float32), k, params=params)
        finally:
            faiss.omp_set_num_threads(threads)
        return [(np.round(sc[r >= 0], 6), r[r >= 0].astype(np.int64)) for sc, r in zip(scores, rows, strict=True)], None
    product = cosines(queries, seg.passages)  # rows and queries are unit vectors
    sims = product if rows_ok is None else np.where(rows_ok, product, -np.inf)  # `product` stays whole for scoring
    out = []
    if k < n_rows:
        # The cut on rounded scores is the rounded raw cut (rounding keeps order), so only passages within rounding
        # of it are rounded: the same passages as rounding all, without rounding all.
        cuts = np.partition(sims, n_rows - k, axis=1)[:, n_rows - k]
        # The cut is rounded as the scores are, in float32 (rounding it as a Python float can land one unit apart).
        for row, cut, rounded_cut in zip(sims, cuts.tolist(), np.round(cuts, 6), strict=True):
            near = np.flatnonzero(row >= cut - 2e-6)
            rounded = np.round(row[near], 6)
            keep = rounded >= rounded_cut
            out.append((rounded[keep], near[keep]))
    else:
        for row in sims:
            rows = np.flatnonzero(np.isfinite(row))
            out.append((np.round(row[rows], 6), rows))
    return out, product
