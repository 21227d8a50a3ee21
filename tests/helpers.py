"""Test helpers (imported by tests, not by conftest): a deterministic fake embedder and posting builders."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from matcher.postings import Posting

DIM = 32
_WORD = re.compile(r"\w+")


class FakeEmbedder:
    """Deterministic bag-of-words hashing vectors (unit length): similar texts get similar vectors, no model.

    For storage, write-path and surface tests, where what matters is that vectors are stable, not meaningful.
    """

    model_id = "fake-hash-32"
    model_hash = "fake0001"
    dimension = DIM
    max_seq_length = 256

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(DIM, dtype=np.float32)
        for word in _WORD.findall(text.lower()) or ["<empty>"]:
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            v[h % DIM] += 1.0 if (h >> 32) & 1 else -1.0
        norm = np.linalg.norm(v)
        return v / norm if norm else np.eye(DIM, dtype=np.float32)[0]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_documents(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])


def posting(pid: str, title: str = "Backend Engineer", body: str = "", **fields: object) -> Posting:
    """A valid posting with a content hash (as the parsers make them)."""
    body = body or f"We build {title.lower()} things with Python, Go and PostgreSQL.\n\nYou will ship APIs."
    return Posting(id=pid, title=title, body=body, **fields).with_hash()  # type: ignore[arg-type]
