"""Embedder wrappers for measurement: one that times every encode call, one that returns random vectors."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from matcher.embed import Embedder


class TimingEmbedder(Embedder):
    """The real embedder, recording (side, texts, chars, seconds) per call: globally and per thread.

    With `base`, it shares that embedder's loaded model instead of loading its own.
    """

    def __init__(self, model: str | None = None, *, base: Embedder | None = None, **kwargs: Any) -> None:
        super().__init__(base.spec.model_id if base else model, **kwargs)
        self._base = base
        if base is not None:
            self.spec = base.spec
            self.batch_size = base.batch_size
        self.calls: list[tuple[str, int, int, float]] = []
        self._local = threading.local()

    @property
    def model(self) -> Any:
        return self._base.model if self._base is not None else super().model

    def _timed(self, side: str, texts: Sequence[str], encode: Any) -> np.ndarray:
        start = time.perf_counter()
        out = encode(texts)
        seconds = time.perf_counter() - start
        call = (side, len(texts), sum(len(t) for t in texts), seconds)
        self.calls.append(call)
        log = getattr(self._local, "log", None)
        if log is not None:
            log.append((side, list(texts), seconds))
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._timed("queries", texts, super().encode_queries)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._timed("documents", texts, super().encode_documents)

    def begin(self) -> None:
        """Start recording this thread's calls (texts included)."""
        self._local.log = []

    def take(self) -> list[tuple[str, list[str], float]]:
        log, self._local.log = getattr(self._local, "log", []), None
        return log or []

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for side, n, chars, seconds in self.calls:
            s = out.setdefault(side, {"calls": 0, "texts": 0, "chars": 0, "seconds": 0.0})
            s["calls"] += 1
            s["texts"] += n
            s["chars"] += chars
            s["seconds"] = round(s["seconds"] + seconds, 3)
        return out


class RandomEmbedder(Embedder):
    """Same model id and weights hash as the real model (so the index loads with it), but documents get seeded
    random unit vectors and the model is never loaded. Only for latency at sizes too big to embed here."""

    def __init__(self, model: str | None = None, *, dimension: int = 384, seed: int = 0) -> None:
        super().__init__(model)
        self._dimension = dimension
        self._rng = np.random.default_rng(seed)
        self._lock_rng = threading.Lock()

    @property
    def dimension(self) -> int:
        return self._dimension

    def _random(self, n: int) -> np.ndarray:
        with self._lock_rng:
            vectors = self._rng.standard_normal((n, self._dimension), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # unit rows, like the real embedder's
        return vectors

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._random(len(texts))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._random(len(texts))


def warm(embedder: Embedder) -> dict[str, Any]:
    """Load the model and run a first encode (outside any timing); report how long that took."""
    start = time.perf_counter()
    embedder.encode_documents(["warm up: senior python developer, remote", "second text " * 40])
    embedder.encode_queries(["Skills: python, sql"])
    if isinstance(embedder, TimingEmbedder):
        embedder.calls.clear()
    return {"model_load_s": round(time.perf_counter() - start, 3)}
