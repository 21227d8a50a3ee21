"""The write path: `matcher index` adds and updates but never removes unless asked, never empties the index by
accident, and holds the write lock only to commit (so a live write is not stuck behind a long build)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from matcher.engine import Matcher
from matcher.errors import InvalidInput
from tests.conftest import ROOT, SEEDS
from tests.helpers import FakeEmbedder, posting, write_posting


class SlowEmbedder(FakeEmbedder):
    """A fake embedder that takes its time, like the real model on a big build."""

    def _encode(self, texts, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.002 * len(texts) + 0.02)
        return super()._encode(texts, **kwargs)


@pytest.fixture()
def seeded(tmp_path: Path) -> Matcher:
    m = Matcher.open(tmp_path / "index", embedder=FakeEmbedder())
    m.index([SEEDS])
    m.upsert([posting("api-written-1", "Go Developer")])
    return m


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "matcher.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_index_adds_and_updates_but_keeps_postings_it_was_not_given(seeded: Matcher, tmp_path: Path) -> None:
    before = len(seeded)
    one = write_posting(tmp_path / "more", "extra-posting-1", title="Rust Engineer")
    report = seeded.index([one.parent])
    assert (report.indexed, report.removed, report.stale) == (1, 0, before)
    assert len(seeded) == before + 1 and "api-written-1" in seeded.view.where


def test_prune_removes_what_is_absent_but_never_empties_without_consent(seeded: Matcher, tmp_path: Path) -> None:
    one = write_posting(tmp_path / "only", "the-only-one", title="Rust Engineer")
    report = seeded.index([one.parent], prune=True)
    assert report.removed == len(SEEDS_IDS(seeded)) and set(seeded.view.where) == {"the-only-one"}
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="no valid postings"):
        seeded.index([tmp_path / "empty"], prune=True)
    assert set(seeded.view.where) == {"the-only-one"}


def SEEDS_IDS(m: Matcher) -> set[str]:  # noqa: N802 - reads like a constant at the call site
    return {p.stem for p in SEEDS.glob("*.md") if p.name.lower() != "readme.md"} | {"api-written-1"}


def test_sync_with_prune_refuses_to_empty_the_index_unless_allowed(seeded: Matcher) -> None:
    with pytest.raises(InvalidInput, match="remove every posting"):
        seeded.sync([], prune=True)
    assert len(seeded) > 30
    seeded.sync([], prune=True, allow_empty=True)
    assert len(seeded) == 0 and seeded.version


def test_cli_index_of_an_empty_or_all_rejected_folder_fails_and_changes_nothing(writable_index: Path,
                                                                               tmp_path: Path) -> None:
    seeded = Matcher.load(writable_index)
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = tmp_path / "bad"
    (bad / "broken.md").parent.mkdir()
    (bad / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    version = seeded.version
    for folder in (empty, bad):
        result = cli("index", str(folder), "--index", str(seeded.index_dir), "--prune", "-q")
        assert result.returncode != 0 and "nothing was changed" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    again = Matcher.load(seeded.index_dir)
    assert again.version == version and len(again) == len(seeded)


def test_a_write_during_a_long_build_waits_only_for_a_commit(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    Matcher.open(folder, embedder=FakeEmbedder()).upsert([posting("first", "Go Developer")])
    builder = Matcher.open(folder, embedder=SlowEmbedder())
    builder.config = builder.config.__class__(segments=builder.config.segments.__class__(batch_postings=4))
    build = threading.Thread(target=builder.index, args=([SEEDS],))
    build.start()
    time.sleep(0.3)
    writer = Matcher.open(folder, embedder=FakeEmbedder())
    waits = []
    while build.is_alive() and len(waits) < 5:
        start = time.perf_counter()
        writer.upsert([posting(f"live-{len(waits)}", "Support Engineer")])
        waits.append(time.perf_counter() - start)
        time.sleep(0.1)
    build.join()
    assert len(waits) >= 2, "the build finished before the test could write during it"
    assert max(waits) < 1.0, waits
    final = Matcher.load(folder, embedder=FakeEmbedder())
    assert {f"live-{i}" for i in range(len(waits))} <= set(final.view.where) and "first" in final.view.where


def test_any_text_a_posting_was_accepted_with_reads_back_unchanged(tmp_path: Path) -> None:
    # Stored postings are read back with orjson (what it would refuse, the standard library reads instead).
    from matcher.index.segment import _loads

    m = Matcher.open(tmp_path / "index", embedder=FakeEmbedder())
    odd = posting("odd", "Go Developer", body="Go \U0001F600 services, quotes \" and \\ back\tslashes, \x00 NUL, \u2028 é")
    m.upsert([odd])
    assert Matcher.load(tmp_path / "index", embedder=FakeEmbedder()).get("odd").body == odd.body
    assert _loads(json.dumps({"body": "a\ud800b"}).encode()) == {"body": "a\ud800b"}  # orjson refuses this one
