"""`matcher serve --workers 2` as a user runs it: readiness tells the live version whichever worker answers, the
metrics counters never go backwards, and stopping it leaves no process and no metrics folder behind."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import ROOT
from tests.helpers import free_port

KEY = "workers-key"


def healthz_count(metrics: str) -> float:
    pattern = r'^matcher_http_requests_total\{[^}]*route="/healthz"[^}]*\} ([0-9.e+]+)$'
    return sum(float(v) for v in re.findall(pattern, metrics, flags=re.M))


@pytest.mark.timeout(240)
def test_two_workers_tell_the_truth_and_leak_nothing(seed_index: Path, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    shutil.copytree(seed_index, folder)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TMPDIR": str(scratch),
           "MATCHER_API_KEYS": KEY, "MATCHER_WARM_UP": "false", "MATCHER_REFRESH_SECONDS": "3600",
           "MATCHER_ACCESS_LOG": "false"}
    server = subprocess.Popen([sys.executable, "-m", "matcher.cli", "serve", "--index", str(folder), "--workers", "2",
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.5)
        children = psutil.Process(server.pid).children(recursive=True)
        assert len([c for c in children if "python" in c.name().lower()]) >= 2
        assert [p.name for p in scratch.iterdir()][0].startswith("matcher-metrics-")

        with httpx.Client(base_url=base, timeout=30) as http:
            seen, answered = [], 0
            for _ in range(30):  # new connections, so both workers answer some of these
                for _ in range(3):
                    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
                    answered += 1
                seen.append(healthz_count(httpx.get(f"{base}/metrics", timeout=10).text))
            assert seen == sorted(seen), seen  # never backwards, whichever worker answered the scrape
            assert seen[-1] >= answered

            versions = {httpx.get(f"{base}/readyz", timeout=30).json()["version"] for _ in range(6)}
            assert len(versions) == 1
            written = http.delete("/v1/postings/backend-developer-sketch-gPFMI",
                                  headers={"Authorization": f"Bearer {KEY}"})
            assert written.status_code == 200, written.text
            for _ in range(10):
                ready = httpx.get(f"{base}/readyz", timeout=60).json()
                assert ready["version"] == written.json()["version"], ready
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    gone = psutil.wait_procs(children, timeout=10)[1]
    assert not gone, f"worker processes left running: {gone}"
    assert list(scratch.iterdir()) == [], "the metrics folder was left behind"
