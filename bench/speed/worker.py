"""Run one measurement in a child process, so its peak RSS is its own: `python -m bench.speed.worker JOB.json`.

A job names a function (`module:name`) and its keyword arguments; the child calls it and writes the returned
dict, plus its peak RSS (getrusage ru_maxrss), to the job's result file.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.speed.common import REPO, WORK


def run_child(target: str, *, tree: Path | None = None, **params: Any) -> dict[str, Any]:
    """Call `target(**params)` in a fresh Python process and return its result (with `peak_rss_bytes`).

    With `tree`, the child runs in that folder with it first on PYTHONPATH, so `import matcher` finds the copy of
    the package there (another revision), while `bench` still comes from this repository.
    """
    WORK.mkdir(parents=True, exist_ok=True)
    root = tree or REPO
    with tempfile.TemporaryDirectory(dir=WORK, prefix=".job-") as tmp:
        job, result = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job.write_text(json.dumps({"target": target, "params": params, "result": str(result)}))
        path = os.pathsep.join(filter(None, [str(root), str(REPO) if tree else None, os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path}
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "bench.speed.worker", str(job)], cwd=root, env=env)
        if proc.returncode != 0 or not result.is_file():
            raise RuntimeError(f"child job {target} failed with exit code {proc.returncode} (see stderr above)")
        out = json.loads(result.read_text())
        out["child_wall_s"] = round(time.perf_counter() - started, 3)
        return out


def rss_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text())
    module, name = job["target"].split(":")
    result = getattr(importlib.import_module(module), name)(**job["params"])
    result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    Path(job["result"]).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
