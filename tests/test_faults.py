"""Faults through the public API (library and HTTP), true whatever the index format: a write that hits a full
disk, and a read-only index folder. Each fails with a clear error, keeps the previous version live and loadable,
and reads go on. The fault is set up in a child process (a file-size limit; no right to write)."""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from matcher.engine import Matcher
from tests.conftest import ROOT
from tests.helpers import FakeEmbedder, write_posting

EXISTING = "job-0"


@pytest.fixture()
def index(tmp_path: Path) -> Path:
    for i in range(3):
        write_posting(tmp_path / "src", f"job-{i}", title=f"Python developer {i}", hashtags="#python")
    Matcher.open(tmp_path / "index", embedder=FakeEmbedder()).index([tmp_path / "src"])
    return tmp_path / "index"


def run_child(index: Path, setup: Callable[[], None], *args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-m", "tests.fault_child", str(index), EXISTING, *args], preexec_fn=setup,
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_unchanged_and_loadable(index: Path, version: object) -> None:
    again = Matcher.load(index, embedder=FakeEmbedder())
    assert again.version == version and len(again) == 3
    assert again.get(EXISTING).id == EXISTING and len(again.match(skills=["python"], k=3)) == 3


def test_a_write_that_fills_the_disk_fails_clearly_and_keeps_the_previous_version(index: Path) -> None:
    # The new posting's segment is larger than this; a delete (a manifest of a few hundred bytes) would fit, so
    # this child does not delete.
    limit = 64 * 1024

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = run_child(index, small_disk)
    library = out["library"]
    assert library["status"] == 507 and library["code"] == "index_write_failed"  # type: ignore[index]
    assert "File too large" in library["message"] and "disk is full" in library["message"]  # type: ignore[index]
    assert out["library_reads"] is True
    put = out["put"]
    assert put["status"] == 507 and put["code"] == "index_write_failed"  # type: ignore[index]
    assert "the disk is full" in put["message"] and "previous version is still live" in put["message"]  # type: ignore[index]
    assert (out["get_status"], out["match_status"]) == (200, 200)
    assert out["ready_version"] == out["version_before"]
    assert_unchanged_and_loadable(index, out["version_before"])


def _drop_file_permission_override() -> None:
    """As root, permission bits do not bind; drop the capabilities that bypass them (CAP_DAC_*) for the child."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone from the exec'ed child
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_a_read_only_index_refuses_writes_clearly_and_keeps_serving(index: Path) -> None:
    paths = [index, *index.rglob("*")]
    modes = {p: p.stat().st_mode for p in paths}
    for path in paths:
        path.chmod(stat.S_IMODE(modes[path]) & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        out = run_child(index, _drop_file_permission_override, "delete")
    except subprocess.SubprocessError as exc:  # e.g. root in a container without CAP_SETPCAP
        pytest.skip(f"cannot make the folder read-only for a child process here: {exc}")
    finally:
        for path, mode in modes.items():
            path.chmod(stat.S_IMODE(mode))
    if out["folder_writable"]:
        pytest.skip("the folder stayed writable for the child (permission bits do not bind here)")
    library = out["library"]
    assert library["code"] == "index_write_failed" and "Permission denied" in library["message"]  # type: ignore[index]
    assert out["library_reads"] is True
    put = out["put"]
    assert put["status"] == 503 and put["code"] == "index_write_failed"  # type: ignore[index]
    assert "read-only" in put["message"] and "previous version is still live" in put["message"]  # type: ignore[index]
    assert out["delete_status"] == 503
    assert (out["get_status"], out["match_status"]) == (200, 200)
    assert_unchanged_and_loadable(index, out["version_before"])
