"""The `matcher-milvus` system: matcher's index moved into Milvus (no re-embedding), ranked through the same batch
path. Beside its scores it writes how often its top 10 equals the FAISS store's (`matcher`, same run) to
`bench/out/quality-milvus-parity.json` and stderr.

The Milvus location is `MATCHER_BENCH_MILVUS` (default: Milvus Lite embedded under bench/out/quality-milvus/);
it is emptied and refilled from the FAISS index on every run, so both hold the same postings.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence

from bench.quality.data import REPO, Query, Run
from bench.quality.matcher_system import index_dir
from bench.quality.systems import SystemArgs, register
from matcher.batch import run_batch
from matcher.engine import Matcher
from matcher.postings import Posting


def milvus_location() -> str:
    folder = REPO / "bench" / "out" / "quality-milvus"
    folder.mkdir(parents=True, exist_ok=True)
    return os.environ.get("MATCHER_BENCH_MILVUS", f"milvus-lite://{folder}/milvus.db")


@register("matcher-milvus")
def milvus_system(postings: Sequence[Posting], queries: Sequence[Query], args: SystemArgs) -> Run:
    from matcher.migrate import migrate

    faiss_run = args.run_of("matcher")  # syncs the folder index with `postings` first
    where = milvus_location()
    report = migrate(index_dir(args.quick), where, replace=True, progress=True)
    print(f"matcher-milvus: migrated {report.postings} postings ({report.passages} passages) into {where} "
          f"in {report.seconds:.1f} s", file=sys.stderr)
    matcher = Matcher.load(where)
    lines = [json.dumps({"id": q.qid, **({"text": q.text} if q.text else {}), "skills": list(q.skills)})
             for q in queries]
    run: Run = {}
    started = time.perf_counter()
    for row in run_batch(matcher, lines, k=args.k, include_archived=True):
        if "error" in row:
            raise RuntimeError(f"query {row['id']}: {row['error']['message']}")
        run[row["id"]] = [r["posting_id"] for r in row["results"]]
    seconds = time.perf_counter() - started
    same = sum(run[q][:10] == faiss_run.get(q, [])[:10] for q in run)
    parity = {"queries": len(run), "same_top10": same, "share": round(same / max(len(run), 1), 4),
              "milvus": where, "postings": report.postings, "migrate_seconds": report.seconds,
              "query_seconds": round(seconds, 1)}
    out = REPO / "bench" / "out" / "quality-milvus-parity.json"
    out.write_text(json.dumps(parity, indent=1))
    print(f"matcher-milvus: same top 10 as matcher (FAISS) for {same} of {len(run)} queries", file=sys.stderr)
    return run
