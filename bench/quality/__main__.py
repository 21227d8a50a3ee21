"""CLI: `python -m bench.quality [--quick] [--systems a,b,...] [--out bench/out/quality.json]`."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import re
import shlex
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.quality import report
from bench.quality.data import REPO, EvalSet, load_eval_set, quick_subset
from bench.quality.metrics import score_run, unjudged_top10
from bench.quality.scorepy import disagreements, load_score_module
from bench.quality.systems import DEFAULT_SYSTEMS, SystemArgs, available, get_system, split_names

OUT = REPO / "bench" / "out"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI smoke mode: 6 queries (2 per kind) over 120 postings; every system end to end",
    )
    parser.add_argument(
        "--systems",
        default=",".join(DEFAULT_SYSTEMS),
        help=f"comma-separated systems (default: %(default)s); available: {', '.join(available())}",
    )
    parser.add_argument("--out", type=Path, help="JSON report (default bench/out/quality.json, quick: quality-quick.json)")
    parser.add_argument("--runs-dir", type=Path, help="run files (default bench/out/runs, quick: bench/out/runs-quick)")
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        help="module to import first, which registers more systems (repeatable)",
    )
    return parser.parse_args(argv)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def log(message: str) -> None:
    """Progress goes to stderr, so stdout is the report alone (ready to paste into bench/RESULTS.md)."""
    print(message, file=sys.stderr, flush=True)


def display(path: Path) -> str:
    full = path.resolve()
    return str(full.relative_to(REPO)) if full.is_relative_to(REPO) else str(full)


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name).strip("_")


def evaluate(data: EvalSet, names: list[str], runs_dir: Path, quick: bool) -> dict[str, dict[str, Any]]:
    """Run and score every system; check each against score.py; write the run files."""
    kinds = {q.qid: q.kind for q in data.queries}
    score_py = load_score_module(data.root)
    args = SystemArgs(quick=quick, postings=data.postings, queries=data.queries)
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        log(f"{name} ...")
        run = args.run_of(name)
        missing = [q.qid for q in data.queries if q.qid not in run]
        if missing:
            raise SystemExit(f"system {name!r} returned no ranking for {len(missing)} queries, e.g. {missing[0]}")
        figures = score_run(kinds, data.qrels, run)
        reference = score_py.score([q.raw for q in data.queries], data.qrels, run)
        wrong = disagreements(figures, reference)
        if wrong:
            raise SystemExit(f"harness metrics disagree with score.py for {name}: {wrong[:3]}")
        unjudged = {qid: ids for qid, ids in unjudged_top10(data.qrels, run).items() if qid in kinds}
        per_kind = Counter({kind: 0 for kind in report.KINDS})
        for qid, ids in unjudged.items():
            per_kind[kinds[qid]] += len(ids)
            per_kind["all"] += len(ids)
        run_file = runs_dir / f"{slug(name)}.jsonl"
        report.write_run(run_file, run)
        results[name] = {
            "metrics": figures,
            "unjudged_top10": dict(per_kind),
            "unjudged_ids": {qid: ids for qid, ids in unjudged.items() if ids},
            "seconds": round(args.seconds[name], 2),
            "run_file": display(run_file),
        }
        log(
            f"  {name}: nDCG@10 {figures['all']['ndcg10']:.3f}, judged@10 {figures['all']['judged10']:.2f}, "
            f"{args.seconds[name]:.1f} s"
        )
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts = parse_args(argv)
    for module in ["bench.quality.matcher_system", "bench.quality.milvus_system", *opts.plugin]:
        importlib.import_module(module)
    names = split_names(opts.systems)
    try:
        for name in names:
            get_system(name)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    suffix = "-quick" if opts.quick else ""
    out = opts.out or OUT / f"quality{suffix}.json"
    runs_dir = opts.runs_dir or OUT / f"runs{suffix}"
    started = time.perf_counter()
    data = load_eval_set()
    if opts.quick:
        data = quick_subset(data)
    counts = Counter(q.kind for q in data.queries)
    counts["all"] = len(data.queries)
    header = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": git_commit(),
        "command": shlex.join(["python", "-m", "bench.quality", *argv]),
        "quick": opts.quick,
        "postings": len(data.postings),
        "archived": sum(p.archived for p in data.postings),
        "queries": dict(counts),
    }
    print(f"date: {header['date']}  \ncommit: {header['commit']}  \ncommand: `{header['command']}`  ")
    print(
        f"corpus: {header['postings']} crocoder postings ({header['archived']} archived, included); "
        f"queries: {counts['all']} (cv {counts['cv']}, profile {counts['profile']}, "
        f"skills {counts['skills']}); top 100 per query\n",
        flush=True,
    )
    results = evaluate(data, names, runs_dir, opts.quick)
    header["seconds"] = round(time.perf_counter() - started, 1)
    report.write_json(out, header | {"systems": results})
    print(report.metric_tables(results, counts))
    print()
    print(report.unjudged_table(results))
    print(f"\nEvery figure above equals ../shared/eval/score.py on the same run. Total {header['seconds']:.0f} s.")
    print(f"Full figures: `{display(out)}`; run files: `{display(runs_dir)}/`.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
