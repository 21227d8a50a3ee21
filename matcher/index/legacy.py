"""Convert an index in the old single-snapshot format (CURRENT + versions/) into segments, without re-embedding.

Only the vectors are carried over; everything derived from the text (passage spans, tags, role families, term
counts) is worked out again, so the converted index equals one built from scratch with the same model.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from matcher.config import MatcherConfig
from matcher.errors import IndexDamaged, IndexMissing
from matcher.index.docs import IndexDoc, prepare
from matcher.index.store import SegmentStore
from matcher.passages import split_passages
from matcher.postings import Posting


def _faiss(path: Path):  # type: ignore[no-untyped-def]
    import faiss

    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexDamaged(f"{path} cannot be read ({exc}); rebuild the index with `matcher index`") from None


def _old_version(root: Path) -> Path:
    pointer = root / "CURRENT"
    if not pointer.is_file():
        raise IndexMissing(f"{root} holds no index in the old format (no CURRENT pointer)")
    version = root / "versions" / pointer.read_text().strip()
    if not (version / "postings.jsonl").is_file():
        raise IndexDamaged(f"the old index at {root} points to {version.name}, which is incomplete")
    return version


def _entries(version: Path) -> Iterator[dict]:
    with (version / "postings.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def upgrade(root: Path, store: SegmentStore, config: MatcherConfig, *, progress: bool = False) -> int:
    """Write the old index's postings into `store` (same folder), then remove the old files. Returns postings."""
    version = _old_version(root)
    passages, heads, titles = (_faiss(version / f"{part}.faiss") for part in ("passages", "heads", "titles"))
    tag_index = _faiss(version / "tags.faiss")
    tag_names = json.loads((version / "vocab.json").read_text())["tag_names"]
    tag_vectors = {name: tag_index.reconstruct(i) for i, name in enumerate(tag_names)}
    entries = list(_entries(version))
    bar = tqdm(total=len(entries), desc="postings", unit="posting", disable=not progress, file=sys.stderr)
    batch: list[IndexDoc] = []
    for entry in entries:
        posting = Posting.from_dict(entry["posting"])
        prepared = prepare(posting, config.shape)
        spans = [(s, e, kind) for _, s, e, kind in entry["passages"]]
        if [(p.start, p.end, p.kind) for p in prepared.passages] != spans and \
                [(p.start, p.end, p.kind) for p in split_passages(posting.body)] != spans:
            raise IndexDamaged(f"posting {posting.id}: its stored passages differ from how this version cuts the "
                               "text; rebuild the index with `matcher index` instead")
        vectors = np.stack([passages.reconstruct(int(pid)) for pid, *_ in entry["passages"]])
        num = int(entry["num"])
        batch.append(IndexDoc(prepared, vectors, heads.reconstruct(num), titles.reconstruct(num)))
        if len(batch) >= config.segments.batch_postings:
            store.upsert(batch, tag_vectors)
            tag_vectors = {}
            bar.update(len(batch))
            batch = []
    if batch or tag_vectors:
        store.upsert(batch, tag_vectors)
        bar.update(len(batch))
    bar.close()
    store.merge(force=True)
    count = len(store.reader())
    if count != len(entries):
        raise IndexDamaged(f"converted {count} postings but the old index holds {len(entries)}; the old files are kept")
    (root / "CURRENT").unlink()
    shutil.rmtree(root / "versions", ignore_errors=True)
    return count
