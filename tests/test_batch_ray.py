"""`matcher batch --ray` gives, line for line, the file the local batch writes (skips when Ray is not installed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.batch import run_batch
from matcher.engine import Matcher
from tests.conftest import ROOT, SEEDS
from tests.helpers import BATCH_LINES, FakeEmbedder

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'matcher[ray]')")

LINES = [
    *BATCH_LINES,
    *(json.dumps({"id": f"s{i}", "skills": skills}) for i, skills in enumerate(
        [["react", "typescript"], ["python", "pandas", "sql"], ["kubernetes", "terraform", "aws"], ["sales"],
         ["figma", "ux research"], ["rust"], ["java", "spring"], ["go"]] * 3)),
    json.dumps({"id": "last", "text": "Data engineer: Spark, Airflow, dbt; a decade of pipelines."}),
]


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ray-index")
    Matcher.open(folder, embedder=FakeEmbedder()).index([SEEDS])
    return folder


@pytest.fixture(scope="module")
def local_ray():
    from matcher import batch_ray

    # Workers import this checkout (and tests.helpers for the fake embedder) whatever the caller's PYTHONPATH.
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    yield batch_ray
    ray.shutdown()


def test_ray_batch_equals_the_local_batch_line_for_line(fake_index: Path, local_ray, tmp_path: Path) -> None:
    """Engine: Ray Data (local cluster, 2 actors); the seeds index with a fake embedder."""
    matcher = Matcher.load(fake_index, embedder=FakeEmbedder())
    local = [json.dumps(row, ensure_ascii=False) for row in run_batch(matcher, LINES, k=5, base=tmp_path)]
    opener = local_ray.Opener(str(fake_index), embedder=FakeEmbedder,
                              options=local_ray.options(5, False, True, tmp_path))
    remote = list(local_ray.run_ray_batch(opener, LINES, actors=2))
    assert [line for line, _ in remote] == local
    assert [failed for _, failed in remote] == ["error" in json.loads(line) for line in local]
    assert sum(failed for _, failed in remote) == 4 and len(remote) == len(LINES) - 1
    assert json.loads(remote[1][0])["error"]["details"]["line"] == 2
    print(f"engine: ray {ray.__version__} (local, 2 actors)")


@pytest.mark.model
def test_cli_batch_ray_writes_the_local_file(seed_index: Path, local_ray, tmp_path: Path) -> None:
    """Engine: Ray Data (local cluster, 2 actors); the seeds index with the real model, through `matcher batch`."""
    from typer.testing import CliRunner

    from matcher.cli import app

    infile = tmp_path / "in.jsonl"
    infile.write_text("\n".join(LINES[:12]) + "\n", encoding="utf-8")
    runner = CliRunner()
    local = runner.invoke(app, ["batch", str(infile), "--out", str(tmp_path / "local.jsonl"), "--index", str(seed_index)])
    remote = runner.invoke(app, ["batch", str(infile), "--out", str(tmp_path / "ray.jsonl"), "--index", str(seed_index),
                                 "--ray"])
    assert local.exit_code == remote.exit_code == 1  # some lines fail, on purpose
    assert "4 of 11 line(s) failed" in remote.output
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
