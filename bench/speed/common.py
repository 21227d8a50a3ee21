"""What every report shares: paths, the machine description, percentiles, the Markdown header, JSON output."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "bench" / "out"
WORK = OUT / "speed"  # indexes, logs and scratch of these reports (other benchmarks own the rest of OUT)


def shared_dir() -> Path:
    """The shared data folder: `MATCHER_SHARED`, else `../shared` next to the repository."""
    return Path(os.environ.get("MATCHER_SHARED") or REPO.parent / "shared")


def require(path: Path, what: str) -> Path:
    """Exit with one clear line when a shared input is missing (no traceback)."""
    if not path.exists():
        raise SystemExit(
            f"error: {what} not found at {path}; set MATCHER_SHARED to the folder holding "
            "data/postings and eval (default: ../shared next to the repository)"
        )
    return path


def log(message: str) -> None:
    """Progress goes to stderr, so stdout is the Markdown report alone."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def git_head() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """Cores, CPU, memory, load and library versions: enough to tell two runs' machines apart."""
    import faiss
    import psutil

    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": load_average(),
        "python": platform.python_version(),
        "faiss": faiss.__version__,
        "faiss_omp_threads": faiss.omp_get_max_threads(),
        "numpy": np.__version__,
    }
    try:
        from importlib.metadata import version

        info["torch"] = version("torch")
        info["sentence_transformers"] = version("sentence-transformers")
    except Exception:  # noqa: BLE001 - versions are informative only
        pass
    return info


def new_result(report: str, argv: Sequence[str], quick: bool) -> dict[str, Any]:
    """The common head of every JSON report."""
    return {
        "report": report,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_head(),
        "command": "python -m bench.speed " + shlex.join(argv),
        "quick": quick,
        "machine": machine(),
    }


def header(result: dict[str, Any], title: str) -> list[str]:
    m = result["machine"]
    end = result.get("load_average_end")
    load = f"{m['load_average']}" + (f" at start, {end} at end" if end else "")
    return [
        f"### {title}",
        "",
        f"- date: {result['date']}; commit `{result['commit']}`; command: `{result['command']}`",
        f"- machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM; load average (1, 5, 15 min) {load}",
        f"- versions: Python {m['python']}, torch {m.get('torch', '?')}, sentence-transformers "
        f"{m.get('sentence_transformers', '?')}, faiss {m['faiss']}",
        "",
    ]


def write_json(result: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return path


def stats(seconds: Sequence[float]) -> dict[str, Any]:
    """Milliseconds: n, p50, p90, p99, mean, max."""
    if not len(seconds):
        return {"n": 0}
    ms = np.asarray(seconds, dtype=np.float64) * 1000
    return {
        "n": int(len(ms)),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p90_ms": round(float(np.percentile(ms, 90)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "mean_ms": round(float(ms.mean()), 2),
        "max_ms": round(float(ms.max()), 2),
    }


def run_load(call: Callable[[Any], float | None], items: Sequence[Any], n: int, concurrency: int) -> dict[str, Any]:
    """Run `call` on n items (cycled) from `concurrency` threads; per-call latency and throughput.

    `call` may return a number of seconds spent in a sub-step (e.g. embedding), summarised as `inner`; the rest of
    each call's time is summarised as `outside`.
    """
    jobs = [items[i % len(items)] for i in range(n)]
    latency = [0.0] * n
    inner: list[float] = []
    outside: list[float] = []

    def one(i: int) -> None:
        start = time.perf_counter()
        extra = call(jobs[i])
        latency[i] = time.perf_counter() - start
        if extra is not None:
            inner.append(extra)
            outside.append(latency[i] - extra)

    # Always from pool threads, concurrency 1 included, as a server runs requests; a query run on the main thread
    # can be much slower while the CPU is contended (see `thread_probe` in bench/speed/query.py).
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(n)))
    wall = time.perf_counter() - start
    out = {"concurrency": concurrency, "wall_s": round(wall, 3), "throughput_per_s": round(n / wall, 2), **stats(latency)}
    if inner:
        out["inner"] = stats(inner)
        out["outside"] = stats(outside)
    return out


def ratio(a: float | None, b: float | None, digits: int = 2) -> float | None:
    return round(a / b, digits) if a and b else None


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{max(digits, 2) if abs(value) < 10 else digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return lines + [""]


def mb(n_bytes: float | None) -> str:
    return "-" if n_bytes is None else f"{n_bytes / 2**20:,.0f} MB"
