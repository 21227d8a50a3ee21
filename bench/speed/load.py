"""`load`: `matcher serve` on loopback under 8 readers and a writer for a fixed time, then it stops by itself.

For one worker and for `--workers 2`: requests, errors (must be 0), p50 / p99 per kind, and the server's RSS
(supervisor and workers) after a warm-up and at the end (growth should stay within 10%). The index is a fresh copy
of the shipped seeds' index for each run; the writer alternates PUT and DELETE of its own postings, so the corpus
stays the same size and any growth is the service's own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.speed.common import REPO, WORK, fmt, log, mb, table
from bench.speed.http import free_port, server_rss, wait_ready

KEY = "load-test-key"
READERS = 8
SECONDS = {"full": 60.0, "quick": 8.0}
WARM_UP_S = {"full": 10.0, "quick": 3.0}
SKILLS = [["python", "django", "postgres"], ["go", "kubernetes"], ["react", "typescript"], ["figma", "ux"],
          ["sql", "tableau"], ["aws", "terraform", "docker"], ["java", "spring"], ["customer support", "zendesk"]]


def seed_index() -> Path:
    """The seeds' index, built once (with the real model) and copied for each run; rebuilt if it cannot be loaded
    (say, a folder left by an older index format)."""
    from matcher.engine import Matcher
    from matcher.errors import MatcherError

    folder = WORK / "load-seed-index"
    try:
        Matcher.load(folder)
        return folder
    except MatcherError:
        shutil.rmtree(folder, ignore_errors=True)
    log("building the seeds' index")
    Matcher.open(folder).index([REPO / "seeds"])
    return folder


class Service:
    """`matcher serve --workers N` on 127.0.0.1 in a subprocess, with writes enabled by a key."""

    def __init__(self, index_dir: Path, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(REPO), "MATCHER_API_KEYS": KEY, "MATCHER_ACCESS_LOG": "false",
               "HF_HUB_OFFLINE": "1"}
        command = [sys.executable, "-m", "matcher.cli", "serve", "--index", str(index_dir), "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", str(workers)]
        self.log_path = WORK / f"load-serve-{workers}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO)
        started = time.monotonic()
        try:
            wait_ready(self.proc, self.url, self.log_path)
        except RuntimeError:
            self.stop()
            raise
        self.ready_s = round(time.monotonic() - started, 1)

    def rss(self) -> int:
        return server_rss(self.proc.pid)

    def stop(self) -> dict[str, Any]:
        """SIGINT (Ctrl-C), as a user stops it; then check that no process of the tree is left."""
        import psutil

        try:
            tree = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            tree = []
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        left = psutil.wait_procs(tree, timeout=10)[1]
        self._log.close()
        return {"exit_code": code, "processes_left": len(left)}


class Traffic:
    """Readers and a writer in threads until `stop`; latencies per kind, every non-2xx or exception an error."""

    def __init__(self, url: str, posting_ids: list[str]) -> None:
        self.url, self.posting_ids = url, posting_ids
        self.latency: dict[str, list[float]] = {"match": [], "get": [], "write": []}
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def _record(self, kind: str, started: float, response: Any) -> None:
        elapsed = time.perf_counter() - started
        with self._lock:
            self.latency[kind].append(elapsed)
            if not 200 <= response.status_code < 300:
                self.errors.append(f"{kind} {response.status_code}: {response.text[:160]}")

    def _reader(self, n: int) -> None:
        import httpx

        with httpx.Client(base_url=self.url, timeout=120) as client:
            i = n
            while not self._stop.is_set():
                i += 1
                started = time.perf_counter()
                try:
                    if i % 5:
                        body = {"skills": SKILLS[i % len(SKILLS)], "k": 10, "filters": {"include_archived": True}}
                        self._record("match", started, client.post("/v1/match", json=body))
                    else:
                        pid = self.posting_ids[i % len(self.posting_ids)]
                        self._record("get", started, client.get(f"/v1/postings/{pid}"))
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.errors.append(f"reader: {type(exc).__name__}: {exc}")

    def _writer(self) -> None:
        import httpx

        auth = {"Authorization": f"Bearer {KEY}"}
        with httpx.Client(base_url=self.url, timeout=300, headers=auth) as client:
            i = 0
            while not self._stop.is_set():
                pid = f"load-writer-{i // 2 % 3}"
                started = time.perf_counter()
                try:
                    if i % 2 == 0:
                        body = {"title": f"Load test posting {i}", "hashtags": ["python", "aws"],
                                "body": f"Round {i}: we build Python services on AWS with Postgres and Docker."}
                        self._record("write", started, client.put(f"/v1/postings/{pid}", json=body))
                    else:
                        self._record("write", started, client.delete(f"/v1/postings/{pid}"))
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.errors.append(f"writer: {type(exc).__name__}: {exc}")
                i += 1

    def run(self, seconds: float) -> None:
        threads = [threading.Thread(target=self._reader, args=(n,)) for n in range(READERS)]
        threads.append(threading.Thread(target=self._writer))
        for t in threads:
            t.start()
        time.sleep(seconds)
        self._stop.set()
        for t in threads:
            t.join()


def percentiles(values: list[float]) -> dict[str, Any]:
    import numpy as np

    if not values:
        return {"n": 0, "p50_ms": None, "p99_ms": None}
    ms = np.asarray(values) * 1000
    return {"n": len(values), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1)}


def one_run(workers: int, mode: str) -> dict[str, Any]:
    from matcher.postings import load_postings

    source = seed_index()
    folder = WORK / f"load-index-{workers}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(source, folder)
    posting_ids = [p.id for p in load_postings([REPO / "seeds"]).postings][:20]
    log(f"load: {workers} worker(s), starting matcher serve")
    service = Service(folder, workers)
    out: dict[str, Any] = {"workers": workers, "ready_s": service.ready_s}
    try:
        Traffic(service.url, posting_ids).run(WARM_UP_S[mode])
        out["rss_before_bytes"] = service.rss()
        log(f"load: {READERS} readers and a writer for {SECONDS[mode]:.0f} s")
        traffic = Traffic(service.url, posting_ids)
        started = time.monotonic()
        traffic.run(SECONDS[mode])
        out["seconds"] = round(time.monotonic() - started, 1)
        out["rss_after_bytes"] = service.rss()
    finally:
        out["stop"] = service.stop()
    out["requests"] = sum(len(v) for v in traffic.latency.values())
    out["errors"] = len(traffic.errors)
    out["first_errors"] = traffic.errors[:5]
    out["by_kind"] = {kind: percentiles(values) for kind, values in traffic.latency.items()}
    out["rss_growth"] = round(out["rss_after_bytes"] / out["rss_before_bytes"] - 1, 4)
    shutil.rmtree(folder, ignore_errors=True)
    return out


def run(args: Any, result: dict[str, Any]) -> None:
    mode = "quick" if args.quick else "full"
    result["readers"], result["seconds"], result["warm_up_s"] = READERS, SECONDS[mode], WARM_UP_S[mode]
    result["runs"] = [one_run(workers, mode) for workers in (1, 2)]


def markdown(result: dict[str, Any]) -> list[str]:
    rows = []
    for r in result["runs"]:
        kinds = r["by_kind"]
        rows.append([r["workers"], r["requests"], r["errors"],
                     f"{fmt(kinds['match']['p50_ms'])} / {fmt(kinds['match']['p99_ms'])}",
                     f"{fmt(kinds['get']['p50_ms'])} / {fmt(kinds['get']['p99_ms'])}",
                     f"{kinds['write']['n']}: {fmt(kinds['write']['p50_ms'])} / {fmt(kinds['write']['p99_ms'])}",
                     f"{mb(r['rss_before_bytes'])} -> {mb(r['rss_after_bytes'])} ({100 * r['rss_growth']:+.1f}%)",
                     f"exit {r['stop']['exit_code']}, {r['stop']['processes_left']} left"])
    head = ["workers", "requests", "errors", "match p50 / p99 ms", "get p50 / p99 ms", "writes: p50 / p99 ms",
            "server RSS after warm-up -> end", "stop"]
    return [f"{result['readers']} readers and 1 writer for {result['seconds']:.0f} s after a "
            f"{result['warm_up_s']:.0f} s warm-up, `matcher serve` on 127.0.0.1 (seeds' index, real model):", "",
            *table(head, rows)]
