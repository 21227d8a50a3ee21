"""The store: where postings, their vectors and statistics live, behind a narrow interface.

`Store` is what the engine needs from a backend: upsert / delete documents, a `reader()` for one consistent
version (search with filters as data, fetch of a few postings, count), and `refresh()`. Nothing hands out the
whole corpus. `SegmentStore` is the embedded default: immutable segments in a folder (FAISS / NumPy search),
a manifest committed atomically, merges in the background. Another engine implements the same protocol and runs
the same conformance tests (tests/test_store_conformance.py).

Writers in several processes take turns on an flock held only while committing (milliseconds): embedding and
writing a segment happen before, outside it.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: writers are serialised within one process only
    fcntl = None  # type: ignore[assignment]

from matcher.config import DEFAULT_POLICY, DEFAULT_SHAPE, IndexShape, SegmentPolicy
from matcher.errors import IndexDamaged, IndexMissing, write_failure
from matcher.index import manifest as manifests
from matcher.index.docs import IndexDoc
from matcher.index.manifest import Manifest, SegmentRef
from matcher.index.merge import choose_merge, merged_docs
from matcher.index.segment import Segment, write_segment
from matcher.index.view import View

WRITE_LOCK = ".write-lock"
ORPHAN_SECONDS = 3600.0  # a segment folder no manifest names is removed at this age (a crashed write)


class Store(Protocol):
    """What the engine needs from a backend (FAISS segments here; an external engine can implement it too)."""

    def reader(self) -> View: ...

    def refresh(self) -> bool: ...

    def upsert(self, docs: Sequence[IndexDoc], tag_vectors: dict[str, np.ndarray]) -> Manifest: ...

    def delete(self, posting_ids: Sequence[str]) -> Manifest: ...

    def known_tags(self) -> set[str]: ...


class SegmentStore:
    """Segments in a folder, committed through a manifest. Thread-safe; several processes may share the folder."""

    def __init__(self, root: Path, *, model_id: str, model_hash: str, dimension: int | None,
                 shape: IndexShape = DEFAULT_SHAPE, policy: SegmentPolicy = DEFAULT_POLICY) -> None:
        self.root = Path(root)
        self.model_id, self.model_hash, self.dimension = model_id, model_hash, dimension
        self.shape, self.policy = shape, policy
        self._segments: dict[str, Segment] = {}
        self._view: View | None = None
        self._lock = threading.RLock()
        self._merging = threading.Lock()

    # -- reading ----------------------------------------------------------------------------------------------
    def open(self, *, must_exist: bool) -> SegmentStore:
        try:
            self._load_latest()
        except (IndexMissing, manifests.LegacyIndex):
            if must_exist:
                raise
        return self

    def _load_latest(self, manifest: Manifest | None = None) -> View:
        """Load the newest manifest; a segment merged away meanwhile means a newer manifest exists: read again."""
        for attempt in range(5):
            manifest = manifest or manifests.read(self.root)
            try:
                return self._load(manifest)
            except IndexDamaged:
                if attempt == 4 or manifests.read(self.root).generation == manifest.generation:
                    raise  # the committed manifest itself names a missing segment: real damage
                manifest = None
                time.sleep(0.02)
        raise AssertionError("unreachable")

    def _load(self, manifest: Manifest) -> View:
        manifest.check(self.model_id, self.model_hash, self.shape.as_dict())
        for ref in manifest.segments:
            if ref.name not in self._segments:
                self._segments[ref.name] = Segment(self.root, ref.name)
        live = {ref.name for ref in manifest.segments}
        self._segments = {name: seg for name, seg in self._segments.items() if name in live}
        view = View(manifest, self._segments, self.shape)
        self._view = view
        self.dimension = manifest.dimension
        return view

    def reader(self) -> View:
        if self._view is None:
            raise IndexMissing(f"no index at {self.root}: build one with `matcher index PATHS --index {self.root}`")
        return self._view

    @property
    def loaded(self) -> bool:
        return self._view is not None

    def refresh(self) -> bool:
        """Load the manifest another process committed, reusing the segments already open; True if it moved."""
        try:
            manifest = manifests.read(self.root)
        except IndexMissing:
            return False
        if self._view is not None and manifest.generation == self._view.manifest.generation:
            return False
        with self._lock:
            self._load_latest(manifest)
            return True

    def known_tags(self) -> set[str]:
        return self._view.known_tag_vectors() if self._view is not None else set()

    # -- writing ----------------------------------------------------------------------------------------------
    @contextmanager
    def _committing(self) -> Iterator[Manifest | None]:
        """Hold the folder's write lock (threads and processes) with the newest committed manifest loaded."""
        with self._lock:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                handle = (self.root / WRITE_LOCK).open("a")
            except OSError as exc:
                raise write_failure(exc, self.root) from None
            with handle:
                if fcntl is not None:
                    fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
                try:
                    current = manifests.read(self.root)
                except (IndexMissing, manifests.LegacyIndex):
                    current = None
                if current is not None and (self._view is None or
                                            self._view.manifest.generation != current.generation):
                    self._load(current)
                yield current

    def ensure_writable(self) -> None:
        """Fail now, with one clear error, if this folder cannot take a write (before any embedding is spent)."""
        try:
            (self.root / "segments").mkdir(parents=True, exist_ok=True)
            with (self.root / WRITE_LOCK).open("a"):
                pass
            probe = self.root / "segments" / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise write_failure(exc, self.root) from None

    def _empty_manifest(self, dimension: int) -> Manifest:
        return Manifest(model_id=self.model_id, model_hash=self.model_hash, dimension=dimension,
                        shape=self.shape.as_dict())

    def _publish(self, manifest: Manifest) -> Manifest:
        try:
            manifests.write(self.root, manifest)
        except OSError as exc:
            raise write_failure(exc, self.root) from None
        self._load(manifest)
        return manifest

    def _write(self, docs: Sequence[IndexDoc], tag_vectors: dict[str, np.ndarray], dim: int, ivf: object = None) -> str:
        try:
            return write_segment(self.root, docs, tag_vectors, dim, ivf)
        except OSError as exc:
            raise write_failure(exc, self.root) from None

    def upsert(self, docs: Sequence[IndexDoc], tag_vectors: dict[str, np.ndarray]) -> Manifest:
        """Add or replace `docs` (by posting id) in one commit: a new segment, and deletions of older copies."""
        if not docs and not tag_vectors:
            return self.reader().manifest
        dim = int(docs[0].head.shape[0]) if docs else int(next(iter(tag_vectors.values())).shape[0])
        big = sum(len(d.prepared.passages) for d in docs) > self.policy.ann_min_passages
        ivf = _ivf(docs, self.policy) if big else None  # index type by size: exact search below the threshold
        name = self._write(docs, tag_vectors, dim, ivf)  # outside the lock: a segment is invisible until committed
        replaced = {d.posting.id for d in docs}
        try:
            with self._committing() as current:
                base = current or self._empty_manifest(dim)
                view = self._view if current is not None else None
                refs = _with_deleted(base.segments, view, replaced)
                seg = Segment(self.root, name)
                self._segments[name] = seg
                segments = (*refs, SegmentRef(name, len(seg)))
                published = self._publish(base.next(segments, self._passages(segments)))
                if published.generation % 16 == 0:
                    self._collect_garbage(published)
                return published
        except BaseException:
            shutil.rmtree(self.root / "segments" / name, ignore_errors=True)
            raise

    def delete(self, posting_ids: Sequence[str]) -> Manifest:
        """Mark postings deleted (one manifest commit; their segments are rewritten by a later merge)."""
        with self._committing() as current:
            if current is None:
                raise IndexMissing(f"no index at {self.root}: nothing to delete")
            refs = _with_deleted(current.segments, self._view, set(posting_ids))
            return self._publish(current.next(refs, self._passages(refs)))

    # -- merging ----------------------------------------------------------------------------------------------
    def merge(self, *, force: bool = False) -> bool:
        """Compact segments the policy picks (all of them with `force`); reads and writes go on meanwhile."""
        if not self._merging.acquire(blocking=False):
            return False
        try:
            view = self.reader() if self._view is not None else None
            if view is None:
                return False
            chosen = choose_merge(view.manifest.segments, self.policy, force=force)
            if not chosen:
                return False
            docs, tag_vectors, sources = merged_docs(view, chosen)
            ivf = _ivf(docs, self.policy) if sum(len(d.prepared.passages) for d in docs) > self.policy.ann_min_passages else None
            name = self._write(docs, tag_vectors, view.manifest.dimension, ivf)
            with self._committing() as current:
                assert current is not None
                present = {r.name: r for r in current.segments}
                if not all(n in present for n in chosen):  # another merge got there first
                    shutil.rmtree(self.root / "segments" / name, ignore_errors=True)
                    return False
                # Postings deleted or replaced while we merged stay deleted in the merged segment.
                gone = {(n, d) for n in chosen for d in present[n].deleted}
                deleted = tuple(i for i, source in enumerate(sources) if source in gone)
                seg = Segment(self.root, name)
                self._segments[name] = seg
                kept = tuple(r for r in current.segments if r.name not in set(chosen))
                merged_ref = SegmentRef(name, len(seg), deleted)
                now = time.time()
                retired = tuple(r for r in current.retired if now - r[1] < self.policy.retire_seconds)
                retired += tuple((n, now) for n in chosen)
                segments = (*kept, merged_ref)
                published = self._publish(current.next(segments, self._passages(segments), retired, write=False))
                self._collect_garbage(published)
            return True
        finally:
            self._merging.release()

    def _passages(self, segments: Sequence[SegmentRef]) -> int:
        return sum(int(self._segments[r.name].meta["passages"]) for r in segments)

    def _collect_garbage(self, current: Manifest) -> int:
        """Remove what no manifest needs. The caller holds the write lock, so no commit is in flight.

        Merged-away segments go `retire_seconds` after the merge (a reader in another process may still be opening
        them: it retries with the newer manifest). Folders no manifest ever named are a crashed or in-progress
        write: a writer writes its segment before it takes the lock, so they go only when an hour old.
        """
        now = time.time()
        keep = {r.name for r in current.segments}
        retired = {n: at for n, at in current.retired}
        removed = 0
        folder = self.root / "segments"
        for path in folder.iterdir() if folder.is_dir() else ():
            name = path.name.removesuffix(".tmp")
            if name in keep:
                continue
            try:
                age = now - (retired[name] if name in retired else path.stat().st_mtime)
            except OSError:
                continue
            if age > (self.policy.retire_seconds if name in retired else ORPHAN_SECONDS):
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        return removed


def _with_deleted(segments: Iterable[SegmentRef], view: View | None, ids: set[str]) -> tuple[SegmentRef, ...]:
    """`segments` with every live posting whose id is in `ids` marked deleted."""
    if view is None or not ids:
        return tuple(segments)
    extra: dict[str, set[int]] = {}
    for pid in ids:
        ref = view.where.get(pid)
        if ref is not None:
            extra.setdefault(view.segments[ref[0]].name, set()).add(ref[1])
    return tuple(SegmentRef(r.name, r.docs, tuple(sorted({*r.deleted, *extra.get(r.name, ())})))
                 for r in segments)


def _ivf(docs: Sequence[IndexDoc], policy: SegmentPolicy) -> object:
    """An IVF index over the docs' passages (row ids = passage rows), trained on a sample of them."""
    import faiss

    vectors = np.ascontiguousarray(np.concatenate([d.passage_vectors for d in docs]), dtype=np.float32)
    n, dim = vectors.shape
    nlist = max(16, int(4 * np.sqrt(n)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(n, size=min(n, nlist * 64), replace=False)]
    index.train(sample)
    index.add_with_ids(vectors, np.arange(n, dtype=np.int64))
    return index


class FaissFlat:
    """Every live passage of a view in one FAISS IndexFlatIP (ids = row numbers): a baseline for benchmarks."""

    def __init__(self, index: object, owners: list[str]) -> None:
        self.index = index
        self.owners = owners

    def __len__(self) -> int:
        return len(self.owners)

    @classmethod
    def of(cls, view: View) -> FaissFlat:
        import faiss

        refs = sorted(view.where.values())
        fetched = view.fetch(refs)
        index = faiss.IndexFlatIP(view.manifest.dimension)
        index.add(np.ascontiguousarray(fetched.passages))
        owners = [fetched.posting_ids[i] for i in np.repeat(np.arange(len(refs)), np.diff(fetched.offsets))]
        return cls(index, owners)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)  # type: ignore[attr-defined]
