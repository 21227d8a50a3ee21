"""Vector stores: a small interface (add, remove, search with an id filter, save, load) and FAISS behind it.

Vectors are L2-normalised by the embedder, so the inner-product index ranks by cosine similarity.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

import faiss
import numpy as np

_SEARCH_LOCK = threading.Lock()


@runtime_checkable
class VectorStore(Protocol):
    """What the engine needs from a vector index; a distributed engine can implement it too."""

    dimension: int

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: Iterable[int]) -> int: ...

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...

    def matrix(self) -> np.ndarray: ...

    def vectors(self, ids: np.ndarray) -> np.ndarray: ...

    def ids(self) -> np.ndarray: ...

    def save(self, path: Path) -> None: ...


class FaissStore:
    """Exact inner-product search (IndexIDMap2 over IndexFlatIP) with external int64 ids.

    Flat is exact and, at the sizes one machine serves (up to ~10^5-10^6 passages), fast enough; the id map
    gives `remove` and `reconstruct`. Filtered search uses an id selector, so a filter never loses results.
    """

    def __init__(self, dimension: int, index: faiss.Index | None = None) -> None:
        self.dimension = dimension
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._positions: dict[int, int] | None = None

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"expected vectors of shape (n, {self.dimension}), got {vectors.shape}")
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        self._index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
        self._positions = None

    def remove(self, ids: Iterable[int]) -> int:
        arr = np.fromiter(ids, dtype=np.int64)
        if not len(arr):
            return 0
        self._positions = None
        return int(self._index.remove_ids(faiss.IDSelectorBatch(arr)))

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def _matrix(self) -> np.ndarray:
        flat = faiss.downcast_index(self._index.index)
        n = int(flat.ntotal)
        if n == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return faiss.rev_swig_ptr(flat.get_xb(), n * self.dimension).reshape(n, self.dimension)

    def matrix(self) -> np.ndarray:
        """Every stored vector in store order, as a read-only view of the index's memory (no copy).

        Valid while this store lives and is not modified: snapshots never modify theirs (builds copy), and
        whoever keeps the view must keep the store (a `Layout` keeps its snapshot's).
        """
        view = self._matrix()
        view.flags.writeable = False
        return view

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors for `ids` (a copy), in the order given."""
        if self._positions is None:
            self._positions = {int(i): pos for pos, i in enumerate(self.ids())}
        rows = [self._positions[int(i)] for i in ids]
        return self._matrix()[rows].copy()

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row; ids are -1 past the end. `allowed` restricts to those ids."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(k, len(self))) if len(self) else 1
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64)))
        # One OpenMP thread for small query batches: on small indexes threads cost ~10x (MEASURED.md).
        with _SEARCH_LOCK:
            previous = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(1 if len(queries) < 16 else previous)
            try:
                scores, ids = self._index.search(queries, k, params=params)
            finally:
                faiss.omp_set_num_threads(previous)
        return scores, ids

    def copy(self) -> FaissStore:
        return FaissStore(self.dimension, faiss.clone_index(self._index))

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> FaissStore:
        index = faiss.read_index(str(path))
        return cls(int(index.d), index)
