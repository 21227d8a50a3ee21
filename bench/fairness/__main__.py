"""`python -m bench.fairness`: how much who the candidate is moves their ranking, with blinding off and on.

The 15 first vanetik CVs (../shared/data/labels/vanetik_cvs) x attribute pairs (name, gender, age, nationality,
family, religion, all at once) x header styles, ranked against an index (default: the quality harness's crocoder
index). Per pair: top-10 overlap (mean, min), top-5 postings that change, the largest score difference of a
posting in both top 10s; and what blinding costs per CV. Only reads the index. The report goes to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.fairness.pairs import HEADERS, PAIRS, RememberingEmbedder, cases, real_cvs
from bench.quality.__main__ import git_commit
from bench.quality.data import REPO, shared_dir
from bench.quality.report import _table, write_json


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.fairness", description=__doc__.splitlines()[0])
    default = os.environ.get("MATCHER_BENCH_INDEX", str(REPO / "bench" / "out" / "crocoder-index"))
    p.add_argument("--index", default=default, help="index folder (default: $MATCHER_BENCH_INDEX or %(default)s)")
    p.add_argument("--cvs", type=int, default=15, help="how many vanetik CVs (default: %(default)s)")
    p.add_argument("--styles", default="labelled", help=f"header styles, of {', '.join(HEADERS)} "
                                                                 "(default: %(default)s)")
    p.add_argument("--out", default=str(REPO / "bench" / "out" / "fairness.json"))
    return p.parse_args(argv)


def _compare(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> dict[str, float]:
    ids_a, ids_b = [p for p, _ in a], [p for p, _ in b]
    sa, sb = dict(a), dict(b)
    return {"overlap10": len(set(ids_a) & set(ids_b)), "changed5": 5 - len(set(ids_a[:5]) & set(ids_b[:5])),
            "max_diff": max((abs(sa[p] - sb[p]) for p in sa.keys() & sb.keys()), default=1.0)}


def _summary(rows: list[dict[str, float]]) -> dict[str, float]:
    return {"cases": len(rows), "overlap10_mean": statistics.fmean(r["overlap10"] for r in rows),
            "overlap10_min": min(r["overlap10"] for r in rows),
            "changed5_mean": statistics.fmean(r["changed5"] for r in rows),
            "max_score_diff": max(r["max_diff"] for r in rows)}


def run(index: Path, folder: Path, n_cvs: int, styles: tuple[str, ...]) -> dict[str, Any]:
    from matcher.embed import Embedder
    from matcher.engine import Matcher
    from matcher.privacy import blind
    from matcher.query import Candidate

    matcher = Matcher.load(index, embedder=RememberingEmbedder(Embedder()))  # a text seen before is not re-embedded
    cvs = real_cvs(folder, n_cvs)
    all_cases = list(cases(cvs, styles))
    started = time.perf_counter()
    for case in all_cases:
        blind(case.a)
    blind_ms = (time.perf_counter() - started) / len(all_cases) * 1000
    out: dict[str, Any] = {"cvs": len(cvs), "cases": len(all_cases), "blind_ms_per_cv": round(blind_ms, 2)}
    for mode, on in (("before", False), ("after", True)):
        per_pair: dict[str, list[dict[str, float]]] = defaultdict(list)
        started = time.perf_counter()
        for i, case in enumerate(all_cases, start=1):
            a, b = ([(r.posting_id, r.score) for r in matcher.match_response(Candidate(text, (), on), k=10).results]
                    for text in (case.a, case.b))
            per_pair[case.pair].append(_compare(a, b))
            print(f"\r{mode}: {i}/{len(all_cases)}", end="", file=sys.stderr)
        print(file=sys.stderr)
        out[mode] = {pair: _summary(per_pair[pair]) for pair in PAIRS}
        out[mode]["all pairs"] = _summary([r for rows in per_pair.values() for r in rows])
        out[mode]["ms_per_query"] = round((time.perf_counter() - started) / (2 * len(all_cases)) * 1000, 1)
    return out


def report(result: dict[str, Any]) -> str:
    rows = []
    for pair in (*PAIRS, "all pairs"):
        b, a = result["before"][pair], result["after"][pair]
        rows.append([pair, str(b["cases"]), f"{b['overlap10_mean']:.2f} / {a['overlap10_mean']:.2f}",
                     f"{b['overlap10_min']} / {a['overlap10_min']}",
                     f"{b['changed5_mean']:.2f} / {a['changed5_mean']:.2f}",
                     f"{b['max_score_diff']:.4f} / {a['max_score_diff']:.4f}"])
    table = _table(["pair varies", "cases", "top-10 overlap, mean (off / on)", "min (off / on)",
                    "top-5 changed, mean (off / on)", "largest score diff (off / on)"], rows)
    return (f"{table}\n\nBlinding: {result['blind_ms_per_cv']} ms per CV; a query took "
            f"{result['before']['ms_per_query']} ms (off) / {result['after']['ms_per_query']} ms (on) here.")


def main(argv: list[str] | None = None) -> int:
    opts = _parse(argv)
    folder = shared_dir() / "data" / "labels" / "vanetik_cvs"
    if not folder.is_dir():
        print(f"error: real CVs not found at {folder} (set MATCHER_SHARED)", file=sys.stderr)
        return 2
    styles = tuple(s for s in opts.styles.split(",") if s)
    result = run(Path(opts.index), folder, opts.cvs, styles)
    command = "python -m bench.fairness " + " ".join(argv if argv is not None else sys.argv[1:])
    header = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "commit": git_commit(),
              "command": command.strip(), "index": opts.index}
    write_json(Path(opts.out), header | result)
    print(f"date: {header['date']}  \ncommit: {header['commit']}  \ncommand: `{header['command']}`  \n"
          f"CVs: {result['cvs']} vanetik CVs x {len(PAIRS)} pairs x {len(styles)} header styles = {result['cases']} "
          f"cases, each ranked twice (top 10)\n")
    print(report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
