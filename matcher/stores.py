"""Which store backs an index: a folder (FAISS segments, the default) or Milvus (`milvus://HOST:PORT[/PREFIX]`,
`milvus-lite:///PATH[#PREFIX]`). The engine asks here; nothing else knows the schemes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SCHEMES = ("milvus://", "milvus-lite://")


def is_remote(location: str | Path) -> bool:
    return str(location).startswith(SCHEMES)


def location(index: str | Path, store: str | None = None) -> str | Path:
    """The index to open: `store` (or MATCHER_STORE) when given, else the folder `index`."""
    chosen = store or os.environ.get("MATCHER_STORE") or None
    return chosen if chosen else index


def open_store(where: str | Path, **options: Any) -> Any:
    """A store over `where` (not yet opened): `SegmentStore` for a folder, `MilvusStore` for a Milvus URL."""
    if is_remote(where):
        from matcher.milvus.store import MilvusStore

        return MilvusStore(str(where), **options)
    from matcher.index.store import SegmentStore

    return SegmentStore(Path(where), **options)
