"""The one dense product on the query path: what numpy would give (to float32 rounding), on memory-mapped and
read-only matrices too, and the empty cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from matcher.cosine import cosines


def test_cosines_match_numpy_on_a_read_only_memory_map(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows = rng.standard_normal((1000, 384)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    np.save(tmp_path / "rows.npy", rows)
    mapped = np.load(tmp_path / "rows.npy", mmap_mode="r")
    queries = rows[[3, 500, 999]] + np.float32(0.01)
    got = cosines(queries, mapped)
    assert got.shape == (3, 1000) and got.dtype == np.float32
    np.testing.assert_allclose(got, queries @ rows.T, atol=1e-5)
    assert np.argmax(got[0]) == 3 and np.argmax(got[2]) == 999


def test_cosines_of_nothing_are_empty() -> None:
    rows = np.ones((4, 8), dtype=np.float32)
    assert cosines(np.zeros((0, 8), dtype=np.float32), rows).shape == (0, 4)
    assert cosines(np.ones((2, 8), dtype=np.float32), rows[:0]).shape == (2, 0)
