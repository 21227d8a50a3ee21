"""Test helpers (imported by tests, not by conftest): a deterministic fake embedder for tests where vectors do not
matter (storage, write paths, surfaces, faults), and small posting builders."""

from __future__ import annotations

import hashlib
import json
import re
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matcher.embed import Embedder
from matcher.postings import Posting

# Batch input lines, good and bad (bad JSON, wrong types, unknown filter, nothing to match), in a fixed order.
BATCH_LINES = (
    json.dumps({"id": "a", "skills": ["golang", "postgres"]}),
    "{broken",
    json.dumps({"id": "b", "text": "Customer support specialist, Zendesk, empathy", "filters": {"job_type": "other"}}),
    json.dumps({"id": "c", "skills": "not a list"}),
    "",
    json.dumps({"id": "d", "skills": ["figma"], "filters": {"colour": "red"}}),
    json.dumps({"id": "e"}),
)

FAKE_DIMENSION = 32
_WORD = re.compile(r"\w+")


class FakeEmbedder(Embedder):
    """Bag-of-words hashing vectors (unit length): the same text gives the same vector, texts sharing words get
    similar vectors, and no model is loaded. `texts` counts what was encoded (to check what a write re-embeds)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

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

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(FAKE_DIMENSION, dtype=np.float32)
        for word in _WORD.findall(text.lower()) or ["<empty>"]:
            h = int.from_bytes(hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")
            v[h % FAKE_DIMENSION] += 1.0 if (h >> 32) & 1 else -1.0
        norm = np.linalg.norm(v)
        return v / norm if norm else np.eye(FAKE_DIMENSION, dtype=np.float32)[0]

    def _encode(self, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
        self.texts += len(texts)
        out = np.empty((len(texts), FAKE_DIMENSION), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._vector(text)
        return out


def posting(pid: str, title: str = "Backend Engineer", body: str = "", **fields: object) -> Posting:
    """A valid posting with a content hash (as the parsers make them)."""
    body = body or f"We build {title.lower()} things with Python, Go and PostgreSQL.\n\nYou will ship APIs."
    return Posting(id=pid, title=title, body=body, **fields).with_hash()  # type: ignore[arg-type]


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


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Scores are shown rounded to 6 decimals. The same cosine computed by two kernels (a search's whole-segment product,
# a candidate's own rows, another engine) can differ in its last float32 bits and so round to neighbouring values:
# one unit in the last shown place (1e-6, plus the float slack of that difference itself).
SCORE_TOLERANCE = 1e-6 + 1e-9
