"""The index folder: immutable version sub-folders and a `CURRENT` pointer swapped atomically.

Layout: DIR/CURRENT (name of the live version), DIR/versions/<name>/ (manifest.json and the parts).
A writer fills a new version folder, fsyncs it, then replaces CURRENT with os.replace, so a crash at any
point leaves the previous version live and loadable. Old versions are pruned, keeping the previous one.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

from matcher.errors import IndexMissing

POINTER = "CURRENT"
VERSIONS = "versions"
KEEP_VERSIONS = 2


def current_version(root: Path) -> Path:
    """The live version folder, or IndexMissing with what to do about it."""
    pointer = root / POINTER
    if not pointer.is_file():
        raise IndexMissing(f"no index at {root}: build one with `matcher index PATHS --index {root}`")
    path = root / VERSIONS / pointer.read_text().strip()
    if not (path / "manifest.json").is_file():
        raise IndexMissing(f"index at {root} points to {path.name}, which is incomplete; rebuild with `matcher index`")
    return path


def new_version(root: Path) -> Path:
    """Create an empty, uniquely named version folder to write into."""
    # UTC to the nanosecond, so names sort in publish order (prune keeps the newest) even for several a second.
    now = time.time_ns()
    name = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9)) + f".{now % 10**9:09d}-" + uuid.uuid4().hex[:8]
    path = root / VERSIONS / (name + ".tmp")
    path.mkdir(parents=True)
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(root: Path, staging: Path) -> Path:
    """Make a fully written staging folder the live version (atomic), then prune old versions."""
    for file in staging.rglob("*"):
        if file.is_file():
            with file.open("rb") as fh:
                os.fsync(fh.fileno())
    final = staging.with_name(staging.name.removesuffix(".tmp"))
    staging.rename(final)
    _fsync_dir(final.parent)
    tmp_pointer = root / f".{POINTER}.{uuid.uuid4().hex[:8]}"
    tmp_pointer.write_text(final.name + "\n")
    with tmp_pointer.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp_pointer, root / POINTER)
    _fsync_dir(root)
    prune(root, keep=final.name)
    return final


def prune(root: Path, keep: str) -> None:
    """Delete unfinished staging folders and all but the newest KEEP_VERSIONS versions (never `keep`)."""
    versions = root / VERSIONS
    if not versions.is_dir():
        return
    done = sorted((p for p in versions.iterdir() if not p.name.endswith(".tmp")), key=lambda p: p.name)
    old = [p for p in done[:-KEEP_VERSIONS] if p.name != keep]
    stale = [p for p in versions.iterdir() if p.name.endswith(".tmp") and time.time() - p.stat().st_mtime > 3600]
    for path in old + stale:
        shutil.rmtree(path, ignore_errors=True)
