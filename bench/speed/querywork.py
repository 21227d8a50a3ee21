"""`querywork`: query work besides embedding on existing segment indexes, this working tree against `--ref`, in one
run and interleaved (ref, current, ref, current) so that the ratio survives a noisy machine.

    PYTHONPATH=. python -m bench.speed querywork --ref 0278f58 --index A --index B [--rounds 2]

Each side runs in its own process over the same index folders (read only) and the 48 dev candidates, whose vectors
are embedded once by the real model and cached, so the timed `match_with_stats` is everything but the model:
blinding, text analysis, retrieval, fetch, scoring, explanations. Times are process CPU time (one thread, robust
to other jobs on the machine) and wall time. The report also says how often both sides give the same top 10.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from bench.speed.common import REPO, fmt, header, load_average, log, ratio, stats, table
from bench.speed.compare import check_tree, export_ref
from bench.speed.worker import run_child

REPS, QUICK_REPS = 3, 1
ROUNDS, QUICK_ROUNDS = 2, 1
KINDS = ("skills", "profile", "cv")
SIDES = ("ref", "current")


def query_child(root: str, index: str, reps: int) -> dict[str, Any]:
    """Open `index` with the tree in `root`, then time every dev candidate `reps` times (after one warm pass)."""
    import numpy as np

    check_tree(root)
    from bench.speed.segments import CachedEmbedder, _queries
    from matcher.engine import Matcher

    matcher = Matcher.load(index, embedder=CachedEmbedder())
    queries = _queries()
    top: dict[str, list[str]] = {}
    for q in queries:  # warm: embeddings cached, lazy structures built; the top 10 recorded
        results, _ = matcher.match_with_stats(q.get("text"), q.get("skills"), 10, {"include_archived": True})
        top[q["qid"]] = [r.posting_id for r in results]
    out: dict[str, Any] = {"top10": top, "postings": len(matcher)}
    for kind in KINDS:
        chosen = [q for q in queries if q["kind"] == kind]
        cpu, wall = [], []
        for _ in range(reps):
            for q in chosen:
                start, start_cpu = time.perf_counter(), time.process_time()
                matcher.match_with_stats(q.get("text"), q.get("skills"), 10, {"include_archived": True})
                cpu.append(time.process_time() - start_cpu)
                wall.append(time.perf_counter() - start)
        out[kind] = {"cpu": stats(cpu), "wall": stats(wall), "n": int(np.size(cpu))}
    return out


def run(args: Any, result: dict[str, Any]) -> dict[str, Any]:
    if not args.index:
        raise SystemExit("error: give one or more segment index folders with --index PATH")
    ref = export_ref(args.ref or "0278f58")
    reps = QUICK_REPS if args.quick else REPS
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else ROUNDS)
    trees = {"ref": Path(ref["root"]), "current": REPO}
    indexes = [str(Path(p).resolve()) for p in args.index]
    result["params"] = {"ref": ref, "indexes": indexes, "reps": reps, "rounds": rounds, "k": 10,
                        "filters": {"include_archived": True}}
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {i: {side: [] for side in SIDES} for i in indexes}
    for r in range(rounds):
        for index in indexes:
            for side in SIDES:
                log(f"round {r + 1}/{rounds}, {Path(index).name}, {side}")
                before = load_average()
                out = run_child("bench.speed.querywork:query_child", tree=trees[side], root=str(trees[side]),
                                index=index, reps=reps)
                runs[index][side].append({**out, "load_average": [before, load_average()]})
    result["runs"] = runs
    result["summary"] = {index: summarise(sides) for index, sides in runs.items()}
    return result


def summarise(sides: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per kind: the median over rounds of each side's p50 and p99 (CPU and wall), the ratio current / ref, and
    the share of candidates whose top 10 is the same on both sides (first round)."""
    out: dict[str, Any] = {"postings": sides["current"][0]["postings"]}
    for kind in KINDS:
        row: dict[str, Any] = {}
        for clock in ("cpu", "wall"):
            for pct in ("p50_ms", "p99_ms"):
                for side in SIDES:
                    row[f"{side}_{clock}_{pct}"] = statistics.median(run[kind][clock][pct] for run in sides[side])
                row[f"ratio_{clock}_{pct}"] = ratio(row[f"current_{clock}_{pct}"], row[f"ref_{clock}_{pct}"])
        out[kind] = row
    a, b = sides["ref"][0]["top10"], sides["current"][0]["top10"]
    out["same_top10"] = sum(a[q] == b[q] for q in a)
    out["same_top10_set"] = sum(set(a[q]) == set(b[q]) for q in a)
    out["queries"] = len(a)
    return out


def markdown(r: dict[str, Any]) -> list[str]:
    p = r["params"]
    lines = header(r, f"Query work besides embedding: this tree against {p['ref']['sha']} ({p['ref']['subject']})")
    rows = []
    for s in r["summary"].values():
        for kind in KINDS:
            k = s[kind]
            rows.append([f"{s['postings']:,}", kind,
                         f"{fmt(k['ref_cpu_p50_ms'])} / {fmt(k['ref_cpu_p99_ms'])}",
                         f"{fmt(k['current_cpu_p50_ms'])} / {fmt(k['current_cpu_p99_ms'])}",
                         f"{k['ratio_cpu_p50_ms']}", f"{fmt(k['ref_wall_p50_ms'])} / {fmt(k['current_wall_p50_ms'])}",
                         f"{s['same_top10']} / {s['same_top10_set']} of {s['queries']}" if kind == KINDS[0] else ""])
    lines += table(["postings", "kind", "ref CPU p50 / p99 ms", "current CPU p50 / p99 ms", "CPU p50 ratio",
                    "wall p50 ref / current", "same top 10 (order / set)"], rows)
    lines += ["", f"Medians over {p['rounds']} interleaved rounds of {p['reps']} passes over the 48 dev candidates; "
                  f"indexes: {', '.join(p['indexes'])}."]
    return lines
