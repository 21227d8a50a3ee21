"""`matcher migrate`: a folder into Milvus Lite and back, no re-embedding, same answers everywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.engine import Matcher
from tests.conftest import ROOT, SEEDS
from tests.helpers import SCORE_TOLERANCE, FakeEmbedder
from tests.milvus_helpers import SKIP_REASON, lite_version

LITE = lite_version()
pytestmark = pytest.mark.skipif(LITE is None, reason=SKIP_REASON)
QUERIES = [{"skills": ["go", "postgres", "aws"]}, {"text": "Designer with Figma and user research, remote"},
           {"skills": ["python"], "filters": {"include_archived": True, "company": "a"}},
           {"skills": ["react", "typescript"], "filters": {"tags_any": ["javascript"]}}]


def answers(where: str | Path) -> list[list[tuple[str, float]]]:
    m = Matcher.load(where, embedder=FakeEmbedder())
    return [[(r.posting_id, r.score) for r in m.match(q.get("text"), q.get("skills"), k=10, filters=q.get("filters"))]
            for q in QUERIES]


def test_migrate_a_folder_into_milvus_lite_and_back(tmp_path: Path) -> None:
    print(f"engine: Milvus Lite {LITE} embedded")
    folder = tmp_path / "index"
    Matcher.open(folder, embedder=FakeEmbedder()).index([SEEDS])
    milvus = f"milvus-lite://{tmp_path}/milvus.db"
    runner = CliRunner()
    moved = runner.invoke(app, ["migrate", "--from", str(folder), "--to", milvus, "-q"])
    assert moved.exit_code == 0, moved.output
    assert "count check passed" in moved.output
    back = runner.invoke(app, ["migrate", "--from", milvus, "--to", str(tmp_path / "back"), "-q"])
    assert back.exit_code == 0, back.output
    again = runner.invoke(app, ["migrate", "--from", str(folder), "--to", milvus, "-q"])
    assert again.exit_code == 1 and "already holds an index" in again.output and "--replace" in again.output
    expected = answers(folder)
    # A new process on a Lite file another process wrote (its collections stay released until loaded again).
    other = f"milvus-lite://{tmp_path}/other.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "matcher.cli", "migrate", "--from", str(folder), "--to", other, "-q"],
                   check=True, cwd=ROOT, env=env, timeout=300, capture_output=True)
    reopened = subprocess.run(
        [sys.executable, "-c", "import sys; from matcher.engine import Matcher; from tests.helpers import FakeEmbedder; "
         "print(len(Matcher.load(sys.argv[1], embedder=FakeEmbedder())))", other],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert reopened.returncode == 0, reopened.stderr[-500:]
    assert int(reopened.stdout.split()[-1]) == len(Matcher.load(folder, embedder=FakeEmbedder()))
    for where in (milvus, tmp_path / "back"):
        got = answers(where)
        assert [[pid for pid, _ in q] for q in got] == [[pid for pid, _ in q] for q in expected]
        assert all(abs(a[1] - b[1]) <= SCORE_TOLERANCE for qa, qb in zip(got, expected, strict=True)
                   for a, b in zip(qa, qb, strict=True))
