"""Every CLI command given bad input: one clear line on stderr, a non-zero exit, never a traceback.

The commands run in-process (typer's CliRunner) over an index built with the fake embedder, except where a real
subprocess matters (the `matcher` script's own output); `--model` points at the fake model's id nowhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from tests.helpers import write_posting

runner = CliRunner()


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m matcher.cli ARGS` in a child process, with this checkout first on the path."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "matcher.cli", *args], capture_output=True, text=True, env=full_env,
                          timeout=120, cwd=ROOT)


def assert_one_line_failure(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout and "╭" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.lower().startswith("error")]
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a real index file layout (built with the fake embedder; commands refuse its model)."""
    from matcher.engine import Matcher
    from tests.helpers import FakeEmbedder

    root = tmp_path_factory.mktemp("cli")
    write_posting(root / "src", "a-job", hashtags="#python")
    Matcher.open(root / "index", embedder=FakeEmbedder()).index([root / "src"])
    return root / "index"


def test_bad_settings_and_ports_fail_before_loading_anything(tmp_path: Path) -> None:
    assert_one_line_failure(cli("serve", "--index", str(tmp_path), env={"MATCHER_PORT": "abc"}),
                            "MATCHER_PORT", "integer")
    assert_one_line_failure(cli("serve", "--index", str(tmp_path), env={"MATCHER_WARM_UP": "maybe"}),
                            "MATCHER_WARM_UP", "boolean")
    assert_one_line_failure(cli("serve", "--index", str(tmp_path), env={"MATCHER_MAX_K": "5000"}), "MATCHER_MAX_K")
    assert_one_line_failure(cli("serve", "--index", str(tmp_path), env={"MATCHER_PORT": "70000"}), "MATCHER_PORT")
    assert_one_line_failure(cli("serve", "--port", "70000", "--index", str(tmp_path)), "port 70000 is out of range")


def test_index_option_pointing_at_a_file_or_nowhere_writable(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    for command in (["index", "seeds"], ["info"], ["match", "--skills", "go"], ["similar", "x"], ["serve"],
                    ["upgrade"]):
        assert_one_line_failure(cli(*command, "--index", str(afile)), f"--index {afile} is a file")
    assert_one_line_failure(cli("index", "seeds", "--index", str(afile / "below")))
    assert_one_line_failure(cli("index", "seeds", "--index", "/proc/no-such-index"), "/proc/no-such-index")


def test_missing_index_fails_every_reading_command(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing")
    assert_one_line_failure(cli("info", "--index", missing), "no index at", "does not exist")
    assert_one_line_failure(cli("match", "--skills", "go", "--index", missing), "no index at")
    assert_one_line_failure(cli("similar", "x", "--index", missing), "no index at")
    assert_one_line_failure(cli("upgrade", "--index", missing), missing)
    (tmp_path / "empty").mkdir()
    assert_one_line_failure(cli("info", "--index", str(tmp_path / "empty")), "no index at")


def test_batch_bad_paths(tmp_path: Path, fake_index: Path) -> None:
    infile = tmp_path / "in.jsonl"
    infile.write_text(json.dumps({"id": "a", "skills": ["go"]}) + "\n")
    assert_one_line_failure(cli("batch", str(infile), "--out", str(tmp_path / "no" / "out.jsonl"),
                                "--index", str(fake_index)), "the folder", "does not exist")
    assert_one_line_failure(cli("batch", str(tmp_path / "nope.jsonl"), "--index", str(fake_index)), "no such file")
    assert_one_line_failure(cli("batch", str(tmp_path), "--index", str(fake_index)), "folder")


def test_usage_errors_are_one_line(tmp_path: Path, fake_index: Path) -> None:
    assert_one_line_failure(cli("match", "--skills", "go", "-k", "0", "--index", str(fake_index)), "-k")
    assert_one_line_failure(cli("match", "--skills", "go", "--nonsense"), "--nonsense")
    assert_one_line_failure(cli("index", "--index", str(tmp_path / "new"), "does-not-exist/"), "no such file or folder")
    assert_one_line_failure(cli("match", "--index", str(fake_index)), "give a CV")
    assert_one_line_failure(cli("match", "--text", "x" * 100_001, "--index", str(fake_index)), "text", "100000")
    assert_one_line_failure(cli("info", "--index", str(fake_index)), "fake-hash-embedder", "rebuild")


def test_library_errors_are_one_line_in_process(seed_index: Path) -> None:
    from matcher.cli import app

    cases = {("match", "--skills", "go", "--posted-after", "someday"): "posted_after",
             ("match", "--skills", "go", "--tags-any", ",".join(f"t{i}" for i in range(200))): "hashtags",
             ("similar", "no-such-posting"): "no posting"}
    for args, expected in cases.items():
        out = runner.invoke(app, [*args, "--index", str(seed_index)])
        assert out.exit_code == 1 and out.exception is None or isinstance(out.exception, SystemExit), out.exception
        lines = out.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], out.output


def test_filter_options_carry_the_library_names(seed_index: Path) -> None:
    from matcher.cli import app

    def ids(*args: str) -> list[str]:
        out = runner.invoke(app, ["match", "--skills", "python", "-k", "20", "--json", "--index", str(seed_index),
                                  "--include-archived", *args])
        assert out.exit_code == 0, out.output
        return [r["posting_id"] for r in json.loads(out.stdout)["results"]]

    assert ids("--posted-after", "2021-01-01") == ids("--since", "2021-01-01")
    assert ids("--posted-before", "2021-01-01") == ids("--until", "2021-01-01")
    assert ids("--posted-after", "2021-01-01") != ids()
    assert ids("--tags-any", "python,golang") == ids("--tag", "python", "--tag", "golang")
    assert ids("--tags-all", "python", "--tags-all", "django") == ids("--tag", "python", "--tag", "django",
                                                                        "--all-tags")
