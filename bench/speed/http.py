"""The HTTP half of `query`: `matcher serve` in a subprocess on loopback, httpx clients at concurrency 1 and 8."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.speed.common import WORK, fmt, log, mb, ratio, run_load, table
from bench.speed.corpus import Queries

K = 10
FILTERS = {"include_archived": True}
N = {"skills": 100, "cv": 40}
N_QUICK = {"skills": 6, "cv": 2}
CONCURRENCY = (1, 8)
READY_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_command(index_dir: Path, port: int) -> list[str]:
    script = Path(sys.executable).with_name("matcher")
    head = [str(script)] if script.exists() else [sys.executable, "-c", "from matcher.cli import app; app()"]
    return head + ["serve", "--index", str(index_dir), "--port", str(port)]


def api_available() -> str | None:
    """Why the HTTP part cannot run, or None when `matcher serve` and `create_app` exist."""
    try:
        from matcher.api import create_app  # noqa: F401
        from matcher.cli import serve  # noqa: F401
    except ImportError as exc:
        return f"matcher.api / `matcher serve` not available yet ({exc})"
    return None


def server_rss(pid: int) -> int:
    import psutil

    proc = psutil.Process(pid)
    return int(sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]))


def wait_ready(proc: subprocess.Popen, url: str, log_path: Path, timeout: float = READY_TIMEOUT_S) -> None:
    """Poll /readyz until it answers 200; RuntimeError if the server exits or takes longer than `timeout`."""
    import httpx

    start = time.perf_counter()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"matcher serve exited with {proc.returncode}; see {log_path}")
        try:
            if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"matcher serve not ready after {timeout} s; see {log_path}")
        time.sleep(0.2)


class Server:
    """`matcher serve` as a child process; `ready_s` is the time from spawn to the first 200 from /readyz."""

    def __init__(self, index_dir: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        WORK.mkdir(parents=True, exist_ok=True)
        self.log_path = WORK / "serve.log"
        self._log = self.log_path.open("w")
        start = time.perf_counter()
        self.proc = subprocess.Popen(serve_command(index_dir, port), stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_ready(self.proc, self.url, self.log_path)
        except RuntimeError:
            self.stop()
            raise
        self.ready_s = round(time.perf_counter() - start, 2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def load_test(url: str, items: list[dict[str, Any]], n: int, concurrency: int) -> dict[str, Any]:
    """POST /v1/match from `concurrency` threads, one keep-alive httpx client per thread."""
    import httpx

    local = threading.local()
    clients: list[httpx.Client] = []
    failures: list[str] = []

    def one(item: dict[str, Any]) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=url, timeout=120)
            clients.append(client)
        resp = client.post("/v1/match", json={**item, "k": K, "filters": FILTERS})
        if resp.status_code != 200:
            failures.append(f"{resp.status_code}: {resp.text[:200]}")
        return None

    try:
        out = run_load(one, items, n, concurrency)
    finally:
        for client in clients:
            client.close()
    out["failures"] = len(failures)
    if failures:
        out["first_failure"] = failures[0]
    return out


def trivial(url: str, n: int) -> dict[str, Any]:
    """GET /healthz: the cost of an HTTP round trip with no work behind it."""
    import httpx

    with httpx.Client(base_url=url) as client:
        return run_load(lambda _: client.get("/healthz").raise_for_status() and None, [None], n, 1)


def run(index_dir: Path, queries: Queries, quick: bool) -> dict[str, Any]:
    missing = api_available()
    if missing:
        log(f"HTTP part skipped: {missing}")
        return {"skipped": missing}
    counts = N_QUICK if quick else N
    log("starting matcher serve")
    server = Server(index_dir, free_port())
    out: dict[str, Any] = {"ready_s": server.ready_s, "command": " ".join(serve_command(index_dir, 0)[-5:])}
    try:
        from matcher.api.settings import Settings

        out["server_torch_threads"] = Settings().torch_threads
    except Exception:  # noqa: BLE001 - informative only
        pass
    try:
        out["rss_ready_bytes"] = server_rss(server.proc.pid)
        out["healthz"] = trivial(server.url, 50 if quick else 300)
        for kind, items in queries.as_candidates().items():
            load_test(server.url, items[:2], 1 if quick else 2, 1)  # warm-up
            for c in CONCURRENCY:
                log(f"HTTP /v1/match, {kind}, concurrency {c}: {counts[kind]} requests")
                out[f"{kind}_c{c}"] = load_test(server.url, items, counts[kind], c)
        out["rss_after_bytes"] = server_rss(server.proc.pid)
    finally:
        server.stop()
    return out


def markdown(h: dict[str, Any], in_process: dict[str, Any] | None = None) -> list[str]:
    if not h:
        return []
    if "skipped" in h:
        return [f"HTTP: not measured ({h['skipped']}).", ""]
    rows = []
    for kind in ("skills", "cv"):
        for c in CONCURRENCY:
            m = h.get(f"{kind}_c{c}")
            if m:
                base = (in_process or {}).get(kind, {}).get(f"match_c{c}", {})
                rows.append(
                    [
                        kind,
                        c,
                        m["n"],
                        m["p50_ms"],
                        m["p99_ms"],
                        m["throughput_per_s"],
                        fmt(ratio(m["p50_ms"], base.get("p50_ms"))),
                        m["failures"],
                    ]
                )
    lines = [
        f"Over HTTP (`matcher serve` on loopback in a subprocess, ready {h['ready_s']} s after spawn; "
        f"server RSS {mb(h['rss_ready_bytes'])} ready, {mb(h['rss_after_bytes'])} after the load; "
        f"`GET /healthz` round trip p50 {h['healthz']['p50_ms']} ms). Clients share the 2 cores with the server. "
        f"The server runs torch with {h.get('server_torch_threads', 1)} thread(s) (`MATCHER_TORCH_THREADS`), the "
        "in-process runs with torch's default.",
        "",
    ]
    lines += table(["query", "concurrency", "n", "p50 ms", "p99 ms", "requests/s", "HTTP/in-process p50", "failures"], rows)
    return lines
