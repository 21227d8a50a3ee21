"""The compiled BM25 sums: the floats NumPy's passes give (same order of additions), both ways of reading the
counts agree exactly, and they still run where no cache folder can be written."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from matcher.index import kernels


def _counts(seed: int) -> tuple[sp.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    tf = sp.random(300, 500, density=0.05, format="csr", random_state=seed, dtype=np.float32)
    tf.data = np.ceil(tf.data * 5).astype(np.float32)
    norm = 1.2 * (0.25 + 0.75 * rng.uniform(0.2, 3.0, 300))
    return tf, norm


def test_column_and_row_sums_give_numpys_floats() -> None:
    tf, norm = _counts(3)
    csc = tf.tocsc()
    terms = [7, 3, 450, 12, 99, 300]  # query order, not index order
    weights = np.linspace(0.5, 3.0, len(terms))
    starts, stops = csc.indptr[terms].astype(np.int64), csc.indptr[np.asarray(terms) + 1].astype(np.int64)
    got = kernels.bm25_by_columns(starts, stops, weights, csc.indices, csc.data, norm, tf.shape[0])
    docs = np.concatenate([csc.indices[a:z] for a, z in zip(starts, stops, strict=True)])
    counts = np.concatenate([csc.data[a:z] for a, z in zip(starts, stops, strict=True)]).astype(np.float64)
    weight = np.repeat(weights, stops - starts)
    assert np.array_equal(got, np.bincount(docs, weight * counts / (counts + norm[docs]), minlength=tf.shape[0]))

    rank = np.full(tf.shape[1], -1, dtype=np.int64)
    weight_of = np.zeros(tf.shape[1])
    rank[terms], weight_of[terms] = np.arange(len(terms)), weights
    some = np.asarray([0, 5, 17, 299, 150], dtype=np.int64)
    rows = kernels.bm25_by_rows(tf.indptr, tf.indices, tf.data, some, rank, weight_of, norm, len(terms))
    assert np.array_equal(rows, got[some]) and got[some].any()


def test_compiled_in_memory_when_no_cache_can_be_written(monkeypatch: pytest.MonkeyPatch) -> None:
    import numba

    real = numba.njit

    def no_cache(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("cache"):
            raise RuntimeError("cannot cache function: no locator available")
        return real(*args, **kwargs)

    monkeypatch.setattr(numba, "njit", no_cache)
    monkeypatch.setattr(kernels, "_compiled", {})
    one = np.asarray([1.0])
    assert kernels.bm25_by_columns(np.asarray([0]), np.asarray([1]), one, np.asarray([0], dtype=np.int32),
                                   one.astype(np.float32), one, 1).tolist() == [0.5]


def test_row_dots_read_chosen_rows_in_place_including_read_only_maps(tmp_path) -> None:
    rng = np.random.default_rng(5)
    matrix = rng.standard_normal((400, 384)).astype(np.float32)
    path = tmp_path / "m.bin"
    matrix.tofile(path)
    mapped = np.asarray(np.memmap(path, dtype=np.float32, mode="r", shape=matrix.shape))  # read-only, like a segment
    queries = rng.standard_normal((5, 384)).astype(np.float32)
    rows = np.asarray([399, 0, 17, 17, 250], dtype=np.int64)
    for source in (matrix, mapped):
        got = kernels.row_dots(queries, source, rows)
        assert got.shape == (5, 5) and got.dtype == np.float32
        assert np.allclose(got, matrix[rows] @ queries.T, atol=1e-4)
    # Each dot product adds up in one fixed order: a row gives the same float wherever it is asked for.
    assert np.array_equal(kernels.row_dots(queries, mapped, rows)[2], kernels.row_dots(queries, matrix, rows[2:3])[0])
    assert kernels.row_dots(queries, matrix, np.zeros(0, dtype=np.int64)).shape == (0, 5)


def test_rows_from_several_matrices_land_where_asked() -> None:
    from matcher.index.view import Rows

    rng = np.random.default_rng(8)
    a, b = (rng.standard_normal((50, 16)).astype(np.float32) for _ in range(2))
    queries = rng.standard_normal((3, 16)).astype(np.float32)
    rows = Rows([(a, np.asarray([4, 9]), np.asarray([0, 3])), (b, np.asarray([1, 2]), np.asarray([1, 2]))], 4, 16)
    whole = np.stack([a[4], b[1], b[2], a[9]])
    assert np.array_equal(rows.array(), whole)
    assert np.allclose(rows.dots(queries), whole @ queries.T, atol=1e-5)
    assert np.array_equal(Rows.of(whole).array(), whole)


def test_rows_read_products_a_search_already_computed_only_for_the_same_query() -> None:
    from matcher.index.view import Rows

    rng = np.random.default_rng(9)
    a = rng.standard_normal((30, 16)).astype(np.float32)
    queries = rng.standard_normal((2, 16)).astype(np.float32)
    product = np.full((2, 30), 7.0, dtype=np.float32)  # stands out from any real cosine
    rows = Rows([(a, np.asarray([3, 5]), None)], 2, 16, known=(queries, [product]))
    assert np.array_equal(rows.dots(queries), np.full((2, 2), 7.0))  # read, not recomputed
    assert np.allclose(rows.dots(queries.copy()), a[[3, 5]] @ queries.T, atol=1e-5)  # other vectors: computed


def test_exact_search_cut_is_the_cut_of_every_score_rounded() -> None:
    from types import SimpleNamespace

    from matcher.index.view import _search

    rng = np.random.default_rng(4)
    # Coarse vectors: many passages tie, at the cut too (as identical boilerplate does in a real corpus).
    passages = rng.integers(-2, 3, size=(600, 8)).astype(np.float32)
    passages /= np.maximum(np.linalg.norm(passages, axis=1, keepdims=True), 1e-6)
    queries = rng.integers(-2, 3, size=(4, 8)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    seg = SimpleNamespace(passages=passages, ivf=None)
    ties = 0
    for n, rows_ok in ((7, None), (50, None), (40, rng.random(600) < 0.5), (900, None)):
        found, product = _search(seg, queries, n, rows_ok, 1)  # type: ignore[arg-type]
        rounded = np.round(product, 6)
        if rows_ok is not None:
            rounded[:, ~rows_ok] = -np.inf
        allowed = len(passages) if rows_ok is None else int(rows_ok.sum())
        for row, (scores, rows) in zip(rounded, found, strict=True):
            kth = np.sort(row)[::-1][min(n, allowed) - 1]
            expected = np.flatnonzero((row >= kth) & np.isfinite(row))
            assert np.array_equal(rows, expected) and np.array_equal(scores, row[expected])
            ties += len(rows) > min(n, allowed)  # every passage tied at the cut comes back
    assert ties
