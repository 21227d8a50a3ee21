"""The FAISS vector store against brute force on random vectors (no model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from matcher.index.store import FaissStore, VectorStore


def unit(rng: np.random.Generator, n: int, d: int = 32) -> np.ndarray:
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_search_matches_brute_force_and_filters(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    vectors, queries = unit(rng, 500), unit(rng, 5)
    ids = np.arange(500, dtype=np.int64) * 10 + 3
    store = FaissStore(32)
    assert isinstance(store, VectorStore)
    store.add(ids, vectors)
    scores, found = store.search(queries, 10)
    expected = ids[np.argsort(-(queries @ vectors.T), axis=1)[:, :10]]
    assert (found == expected).all()
    allowed = ids[::7]
    _, found = store.search(queries, 10, allowed=allowed)
    sims = queries @ vectors[::7].T
    assert (found == allowed[np.argsort(-sims, axis=1)[:, :10]]).all()
    assert store.remove([ids[0], ids[1], 999_999]) == 2 and len(store) == 498
    np.testing.assert_allclose(store.vectors(np.array([ids[5], ids[2]])), vectors[[5, 2]])
    store.save(tmp_path / "s.faiss")
    again = FaissStore.load(tmp_path / "s.faiss")
    assert len(again) == 498 and (again.search(queries, 3)[1] == store.search(queries, 3)[1]).all()
