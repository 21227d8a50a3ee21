"""Throughput of `matcher batch`: one local process vs a local Ray cluster (2 actors), same index, same run.

    PYTHONPATH=. python -m bench.scaleout.cluster_batch --index /tmp/croc-copy --n 10000

Candidates are short skills lists (a few dozen distinct ones reused), one JSON line each. Both runs must write
the same lines; the report says so. Markdown on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

SKILLS = [["python", "django", "postgres"], ["go", "kubernetes"], ["react", "typescript"], ["figma", "ux"],
          ["sales", "crm"], ["java", "spring", "kafka"], ["rust", "linux"], ["aws", "terraform", "docker"],
          ["pandas", "sql", "airflow"], ["swift", "ios"], ["kotlin", "android"], ["php", "laravel", "mysql"],
          ["customer support", "zendesk"], ["node", "graphql"], ["c++", "embedded"], ["data science", "pytorch"]]


def lines(n: int) -> list[str]:
    return [json.dumps({"id": f"c{i}", "skills": SKILLS[i % len(SKILLS)]}) for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--actors", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import ray

    from matcher import batch_ray
    from matcher.batch import run_batch
    from matcher.engine import Matcher

    data = lines(args.n)
    t0 = time.perf_counter()
    matcher = Matcher.load(args.index)
    opened = time.perf_counter() - t0
    t0 = time.perf_counter()
    local = [json.dumps(row, ensure_ascii=False) for row in run_batch(matcher, data, include_archived=True)]
    local_s = time.perf_counter() - t0
    print(f"local: {len(local)} lines in {local_s:.1f} s (+{opened:.1f} s to load)", flush=True, file=__import__("sys").stderr)
    del matcher
    t0 = time.perf_counter()
    batch_ray.connect(None, cpus=2)
    started = time.perf_counter() - t0
    opener = batch_ray.Opener(str(args.index.resolve()), options=batch_ray.options(10, True, True, Path.cwd()),
                              torch_threads=batch_ray.local_threads())
    t0 = time.perf_counter()
    remote = [line for line, _ in batch_ray.run_ray_batch(opener, data, actors=args.actors)]
    ray_s = time.perf_counter() - t0
    batch_ray.disconnect()
    same = remote == local
    differ = sum(a != b for a, b in zip(local, remote, strict=True))
    top_same = sum([r["posting_id"] for r in json.loads(a).get("results", [])] ==
                   [r["posting_id"] for r in json.loads(b).get("results", [])] for a, b in zip(local, remote, strict=True))
    gap = max((abs(x["score"] - y["score"]) for a, b in zip(local, remote, strict=True)
               for x, y in zip(json.loads(a).get("results", []), json.loads(b).get("results", []), strict=False)),
              default=0.0)
    ray_note = f"includes actor start-up (a model per actor); `ray.init` {started:.1f} s not counted"
    print(f"""### Ray batch vs local batch ({args.n:,} skills-list candidates)

date: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; machine: {os.cpu_count()} cores ({platform.machine()}), \
shared with other jobs (load average {os.getloadavg()[0]:.1f} at the end); ray {ray.__version__}  
command: `PYTHONPATH=. python -m bench.scaleout.cluster_batch --index {args.index} --n {args.n}`  
index: {args.index} (real model)

| run | seconds | candidates/s | notes |
|---|--:|--:|---|
| local, 1 process | {local_s:.1f} | {args.n / local_s:.1f} | index load {opened:.1f} s not counted |
| Ray Data, {args.actors} actors (num_cpus 0.5 each) | {ray_s:.1f} | {args.n / ray_s:.1f} | {ray_note} |

Outputs identical line for line: **{same}** ({differ} of {args.n} lines differ; same top-10 ids in {top_same};
largest score difference {gap:.2g}).
""")


if __name__ == "__main__":
    main()
