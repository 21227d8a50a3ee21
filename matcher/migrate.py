"""Move an index between stores (a folder and Milvus, either way) without re-embedding: postings, vectors, tags,
term counts are copied as they are, in batches, then the target is checked against the source (counts and ids)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from matcher.config import IndexShape
from matcher.errors import IndexDamaged, IndexMissing, InvalidInput
from matcher.index.docs import IndexDoc, Prepared
from matcher.index.view import View
from matcher.stores import is_remote, open_store

BATCH = 256


@dataclass(frozen=True)
class MigrateReport:
    postings: int
    passages: int
    seconds: float
    version: str


def _peek(where: str | Path) -> tuple[str, str, dict[str, Any]]:
    """Model id, model hash and shape an index was built with (to open both stores with the same)."""
    if is_remote(where):
        from matcher.milvus.store import MilvusStore

        probe = MilvusStore(str(where), model_id="", model_hash="", dimension=None)
        meta = probe._meta()
        if meta is None:
            raise IndexMissing(f"no index in Milvus at {where}")
        return meta["model_id"], meta["model_hash"], dict(meta["shape"])
    from matcher.index import manifest

    found = manifest.read(Path(where))
    return found.model_id, found.model_hash, dict(found.shape)


def _docs(view: View, refs: Sequence[tuple[int, int]]) -> Iterator[IndexDoc]:
    """The postings at `refs` as documents ready to write anywhere (their vectors and term counts copied)."""
    fetched = view.fetch(refs)
    terms = _terms(view, refs)
    for i, ref in enumerate(refs):
        stored = view.stored(ref)
        seg = view.segments[ref[0]]
        prepared = Prepared(stored.posting, stored.passages, stored.tags, tuple(seg.family_lists.of(ref[1])), terms[i])
        rows = slice(int(fetched.offsets[i]), int(fetched.offsets[i + 1]))
        yield IndexDoc(prepared, np.array(fetched.passages[rows]), np.array(fetched.heads[i]), np.array(fetched.titles[i]))


def _tag_vectors(view: View) -> dict[str, np.ndarray]:
    from matcher.milvus.view import MilvusView

    if isinstance(view, MilvusView):
        return dict(view.tag_vectors)
    return {t: v for seg in view.segments for t, v in seg.tag_vectors.items()}


def _terms(view: View, refs: Sequence[tuple[int, int]]) -> list[Counter[str]]:
    """Term counts of `refs` (segments and Milvus chunks both keep them as a CSR matrix over their own terms)."""
    names: dict[int, list[str]] = {}
    out = []
    for s, d in refs:
        seg = view.segments[s]
        words = names.setdefault(s, list(seg.terms))
        row = seg.tf[d]
        out.append(Counter({words[int(i)]: int(c) for i, c in zip(row.indices, row.data, strict=True)}))
    return out


def migrate(source: str | Path, target: str | Path, *, replace: bool = False, progress: bool = True) -> MigrateReport:
    """Copy the index at `source` into `target` (empty, or emptied first with `replace` when it is Milvus)."""
    if str(source) == str(target):
        raise InvalidInput("--from and --to name the same index")
    started = time.perf_counter()
    model_id, model_hash, shape = _peek(source)
    options = {"model_id": model_id, "model_hash": model_hash, "dimension": None, "shape": IndexShape(**shape)}
    src = open_store(source, **options).open(must_exist=True)
    dst = open_store(target, **options)
    if is_remote(target) and replace:
        dst.drop()
    dst.open(must_exist=False)
    if dst.loaded and len(dst.reader()):
        hint = " (--replace empties it first)" if is_remote(target) else "; give an empty or new folder"
        raise InvalidInput(f"{target} already holds an index of {len(dst.reader())} postings{hint}")
    view = src.reader()
    refs = [view.where[pid] for pid in sorted(view.where)]
    tag_vectors = _tag_vectors(view)
    passages = 0
    with tqdm(total=len(refs), desc="postings", unit="posting", disable=not progress, file=sys.stderr) as bar:
        for start in range(0, len(refs), BATCH):
            docs = list(_docs(view, refs[start:start + BATCH]))
            dst.upsert(docs, tag_vectors if start == 0 else {})
            passages += sum(len(d.passage_vectors) for d in docs)
            bar.update(len(docs))
    if not refs:
        dst.upsert([], tag_vectors)
    moved = dst.reader()
    if set(moved.where) != set(view.where) or len(moved) != len(view):
        raise IndexDamaged(f"count check failed: {len(view)} postings in {source}, {len(moved)} in {target}")
    if hasattr(dst, "merge"):
        dst.merge(force=True)
    if hasattr(dst, "lease"):
        dst.lease.release(dirty=False)  # committed: the next writer need not wait for it to lapse
    return MigrateReport(len(moved), passages, round(time.perf_counter() - started, 2), moved.version)
