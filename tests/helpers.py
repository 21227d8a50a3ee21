"""Test helpers (imported by tests, not by conftest): a deterministic fake embedder for tests where vectors do not
matter (storage, write paths, surfaces, faults), and small posting builders."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matcher.embed import Embedder

FAKE_DIMENSION = 32


class FakeEmbedder(Embedder):
    """Unit vectors derived from a hash of each text: same text, same vector; no model is loaded."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def model_id(self) -> str:
        return "fake-hash-embedder"

    @property
    def model_hash(self) -> str:
        return "fake"

    @property
    def dimension(self) -> int:
        return FAKE_DIMENSION

    @property
    def max_seq_length(self) -> int:
        return 256

    def _encode(self, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
        out = np.empty((len(texts), FAKE_DIMENSION), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8], "little")
            vector = np.random.default_rng(seed).standard_normal(FAKE_DIMENSION).astype(np.float32)
            out[i] = vector / np.linalg.norm(vector)
        return out


def markdown(title: str = "Backend developer", body: str = "We build APIs in Go and Postgres.", **meta: Any) -> str:
    """A posting as a Markdown file's text: YAML front matter (title plus `meta`), then the body."""
    import yaml

    front = yaml.safe_dump({"title": title, **meta}, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n\n{body}\n"


def write_posting(folder: Path, posting_id: str, **kwargs: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{posting_id}.md"
    path.write_text(markdown(**kwargs), encoding="utf-8")
    return path
