"""CLI: `python -m bench.speed {ingest,query,scale,peer,compare,segments,querywork,page,load} [--quick] [--full]
[--sample N] [--seed S] [--out PATH] [--ref REV] [--rounds N] [--index PATH]`."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from bench.speed.common import OUT, load_average, log, new_result, write_json

REPORTS = {
    "ingest": "Matcher.index throughput and peak RSS vs raw encode of the same passages (crocoder sample)",
    "query": "Matcher.match latency in process (concurrency 1, 8) and over HTTP, vs embedding alone; FAISS threads",
    "scale": "RemoteWLB 18k: parse/split rate, embedding rate (sample), latency at 18k; 10^6-vector IVF vs Flat",
    "peer": "txtai vs matcher on the same passages: build time, search latency",
    "compare": "this working tree's matcher vs matcher at --ref, interleaved: upsert time, match latency, ratios",
    "querywork": "query work besides embedding on existing indexes (--index), this tree vs --ref, interleaved",
    "segments": "segment store at 1.5k / 18k / 100k postings: PUT and DELETE cost, query work, open time, IVF recall",
    "page": "upload to results for a 3 KB CV (TXT, PDF, DOCX): extraction, POST /v1/match, the page in Chromium",
    "load": "matcher serve (1 and 2 workers) under 8 readers and a writer for 60 s: errors, p50/p99, RSS growth",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.speed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(f"  {k:<7} {v}" for k, v in REPORTS.items()),
    )
    parser.add_argument("report", choices=sorted(REPORTS))
    parser.add_argument("--quick", action="store_true", help="tiny samples, under 2 minutes (a smoke run)")
    parser.add_argument("--full", action="store_true", help="ingest: the whole crocoder corpus (~12 min of encoding)")
    parser.add_argument("--sample", type=int, help="postings to sample (ingest 300, scale 100, peer 150, compare 40)")
    parser.add_argument("--seed", type=int, default=13, help="sampling seed (default %(default)s)")
    parser.add_argument("--ref", help="compare: the git revision to measure against (default 1d7a28d)")
    parser.add_argument("--load-index", type=Path,
                        help="compare: also time Matcher.load of this existing index with each tree; "
                             "page: serve this index instead of one built over seeds/")
    parser.add_argument("--rounds", type=int,
                        help="compare, querywork: rounds of (ref, current) runs (default 2; 1 with --quick)")
    parser.add_argument("--index", type=Path, action="append",
                        help="querywork: an existing segment index folder (repeat for several sizes)")
    parser.add_argument("--out", type=Path, help="JSON output (default bench/out/speed-REPORT[-quick].json)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    module = importlib.import_module(f"bench.speed.{args.report}")
    result = new_result(args.report, argv, args.quick)
    log(f"{args.report}: {REPORTS[args.report]}")
    module.run(args, result)
    result["load_average_end"] = load_average()
    out = args.out or OUT / f"speed-{args.report}{'-quick' if args.quick else ''}.json"
    write_json(result, out)
    print("\n".join(module.markdown(result)))
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
