"""Shared fixtures: a session-wide real embedder, a small real index over a few postings, the shared corpus."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = Path(os.environ.get("MATCHER_SHARED", ROOT.parent / "shared"))
CROCODER = SHARED / "data" / "postings" / "crocoder"


def needs_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not CROCODER.is_dir(), reason=f"shared corpus not found at {CROCODER} (../shared is absent)")


@pytest.fixture(scope="session")
def embedder():
    from matcher.embed import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """A real index over the shipped seeds, built once per session (copy it before writing to it)."""
    from matcher.engine import Matcher

    folder = tmp_path_factory.mktemp("seed-index")
    Matcher.open(folder, embedder=embedder).index([SEEDS])
    return folder


@pytest.fixture()
def seed_matcher(seed_index: Path, embedder):
    from matcher.engine import Matcher

    return Matcher.load(seed_index, embedder=embedder)


@pytest.fixture()
def writable_index(seed_index: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(seed_index, target)
    return target
