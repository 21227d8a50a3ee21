"""The index folder's atomic publish (pure file logic, no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.errors import IndexMissing
from matcher.index import folder


def make_version(root: Path, content: str) -> Path:
    staging = folder.new_version(root)
    (staging / "manifest.json").write_text(content)
    return staging


def test_publish_swaps_pointer_and_prunes(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="matcher index"):
        folder.current_version(tmp_path)
    names = []
    for i in range(4):
        names.append(folder.publish(tmp_path, make_version(tmp_path, str(i))).name)
        assert (folder.current_version(tmp_path) / "manifest.json").read_text() == str(i)
    left = sorted(p.name for p in (tmp_path / "versions").iterdir())
    assert left == sorted(names[-2:])


def test_unpublished_staging_leaves_previous_live(tmp_path: Path) -> None:
    folder.publish(tmp_path, make_version(tmp_path, "old"))
    make_version(tmp_path, "half-written")  # a crash before publish
    assert (folder.current_version(tmp_path) / "manifest.json").read_text() == "old"
