"""The manifest: the one file that says which segments are live, which of their postings are deleted, and what
the index was built with. Replacing it (write, fsync, rename, fsync the folder) is the commit point of every write.

Corpus statistics that scores need (document frequencies of terms and tags, document lengths) are exact sums
over the live postings: each segment stores its own counts and the reader subtracts the deleted postings' share,
so a score never depends on how the index got to hold its postings (no drift until a merge, unlike engines that
keep counting deleted documents).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from matcher import __version__
from matcher.errors import IndexMismatch, IndexMissing
from matcher.index.segment import FORMAT, damaged, fsync_dir

MANIFEST = "manifest.json"


class LegacyIndex(IndexMismatch):
    """The folder holds an index in the old single-snapshot format (convert it with `matcher upgrade`)."""


@dataclass(frozen=True)
class SegmentRef:
    """A live segment and the local numbers of its deleted postings (sorted)."""

    name: str
    docs: int
    deleted: tuple[int, ...] = ()

    @property
    def live(self) -> int:
        return self.docs - len(self.deleted)


@dataclass(frozen=True)
class Manifest:
    """What an index holds (segments, deletions, totals) and what it was built with."""

    model_id: str
    model_hash: str
    dimension: int
    shape: dict[str, object]
    segments: tuple[SegmentRef, ...] = ()
    generation: int = 0  # every commit (writes and merges); readers reload when it moves
    writes: int = 0  # commits that changed the postings (merges do not): the version users see
    postings: int = 0
    passages: int = 0
    retired: tuple[tuple[str, float], ...] = ()  # merged-away segments and when (kept a while for slow readers)
    format_version: int = FORMAT
    matcher_version: str = __version__
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    @property
    def version(self) -> str:
        """The index version users see: it moves with every write of postings, not with merges (which change
        how postings are stored, never an answer)."""
        return f"v{self.writes}"

    def next(self, segments: tuple[SegmentRef, ...], passages: int,
             retired: tuple[tuple[str, float], ...] | None = None, *, write: bool = True) -> Manifest:
        return replace(self, segments=segments, generation=self.generation + 1, writes=self.writes + int(write),
                       postings=sum(s.live for s in segments), passages=passages,
                       retired=self.retired if retired is None else retired,
                       created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), matcher_version=__version__)

    def to_json(self) -> str:
        data = asdict(self)
        data["segments"] = [{"name": s.name, "docs": s.docs, "deleted": list(s.deleted)} for s in self.segments]
        data["retired"] = [list(r) for r in self.retired]
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        try:
            data = json.loads(text)
            segments = tuple(SegmentRef(s["name"], int(s["docs"]), tuple(int(x) for x in s["deleted"]))
                             for s in data.pop("segments"))
            retired = tuple((str(n), float(t)) for n, t in data.pop("retired", []))
            known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
            return cls(segments=segments, retired=retired, **known)
        except (ValueError, KeyError, TypeError) as exc:
            raise damaged(where, f"{MANIFEST} cannot be read ({exc})") from None

    def check(self, model_id: str, model_hash: str, shape: dict[str, object]) -> None:
        """Raise IndexMismatch naming what differs between this index and the configured model and shape."""
        if self.format_version != FORMAT:
            raise IndexMismatch(f"index format {self.format_version} is not the format this matcher reads ({FORMAT}); "
                                "rebuild it with `matcher index`")
        if self.model_id != model_id or self.model_hash != model_hash:
            raise IndexMismatch(
                f"index was built with model {self.model_id!r} (weights {self.model_hash}), but the configured model "
                f"is {model_id!r} (weights {model_hash}); use --model {self.model_id} or rebuild with `matcher index`")
        differ = sorted(k for k in {*shape, *self.shape} if shape.get(k) != self.shape.get(k))
        if differ:
            raise IndexMismatch(f"index was built with other settings ({', '.join(f'{k}={self.shape.get(k)!r}' for k in differ)}"
                                f"; configured: {', '.join(f'{k}={shape.get(k)!r}' for k in differ)}); rebuild it")


def read(root: Path) -> Manifest:
    """The committed manifest of the index at `root`, or IndexMissing / IndexDamaged saying what to do."""
    path = root / MANIFEST
    if root.exists() and not root.is_dir():
        raise IndexMissing(f"--index {root} is a file, not an index folder")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if (root / "CURRENT").exists():
            raise LegacyIndex(f"the index at {root} has the old single-snapshot format; convert it without "
                                f"re-embedding with `matcher upgrade --index {root}`") from None
        raise IndexMissing(f"no index at {root}: build one with `matcher index PATHS --index {root}`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise damaged(root, f"{MANIFEST} cannot be read ({exc})") from None
    return Manifest.from_json(text, root)


def write(root: Path, manifest: Manifest) -> None:
    """Commit `manifest`: durable and atomic (a crash leaves the previous manifest or this one, never half)."""
    tmp = root / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(manifest.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, root / MANIFEST)
        fsync_dir(root)
    finally:
        tmp.unlink(missing_ok=True)
