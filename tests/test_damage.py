"""A damaged index file of any kind gives one clear error (what, where, what to do), from the library and the CLI,
never a traceback; the folder is left as it was."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from matcher.engine import Matcher
from matcher.errors import IndexDamaged
from tests.conftest import ROOT


@pytest.fixture()
def pristine(seed_index: Path) -> Path:
    """The session's real seed index (the CLI opens it with the default model)."""
    return seed_index


def segment(folder: Path) -> Path:
    name = json.loads((folder / "manifest.json").read_text())["segments"][0]["name"]
    return folder / "segments" / name


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3])


DAMAGE: dict[str, Callable[[Path], None]] = {
    "manifest: not JSON": lambda f: (f / "manifest.json").write_text("{not json"),
    "manifest: a missing segment": lambda f: shutil.rmtree(segment(f)),
    "segment.json: truncated": lambda f: truncate(segment(f) / "segment.json"),
    "arrays.bin: truncated": lambda f: truncate(segment(f) / "arrays.bin"),
    "arrays.bin: missing": lambda f: (segment(f) / "arrays.bin").unlink(),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_damage_is_one_clear_error(pristine: Path, tmp_path: Path, kind: str, embedder) -> None:
    folder = tmp_path / "index"
    shutil.copytree(pristine, folder)
    DAMAGE[kind](folder)
    with pytest.raises(IndexDamaged, match=r"the index at .* is damaged: .*; rebuild it with `matcher index"):
        Matcher.load(folder, embedder=embedder)
    result = subprocess.run([sys.executable, "-m", "matcher.cli", "info", "--index", str(folder)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "is damaged" in lines[0], result.stderr


def test_a_damaged_stored_posting_is_reported_when_read(pristine: Path, tmp_path: Path, embedder) -> None:
    folder = tmp_path / "index"
    shutil.copytree(pristine, folder)
    docs = segment(folder) / "docs.jsonl"
    docs.write_bytes(b"x" * len(docs.read_bytes()))  # same size, garbage inside
    m = Matcher.load(folder, embedder=embedder)
    with pytest.raises(IndexDamaged, match="stored posting"):
        m.match(skills=["python"], k=3)
