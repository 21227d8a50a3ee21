"""The `matcher` system for the quality harness: matcher's own index and its batch path (`matcher.batch`).

The index folder is kept between runs (`bench/out/quality-index`, or `MATCHER_BENCH_INDEX`), so only the first
run pays for embedding; later runs re-embed nothing unless postings or the model changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from bench.quality.data import REPO, Query, Run
from bench.quality.systems import SystemArgs, register
from matcher.batch import run_batch
from matcher.engine import Matcher
from matcher.postings import Posting


def index_dir(quick: bool) -> Path:
    default = REPO / "bench" / "out" / ("quality-quick-index" if quick else "crocoder-index")
    return Path(os.environ.get("MATCHER_BENCH_INDEX", default))


@register("matcher")
def matcher_system(postings: Sequence[Posting], queries: Sequence[Query], args: SystemArgs) -> Run:
    return _run(postings, queries, args, blind=True)


@register("matcher-unblinded")
def unblinded_system(postings: Sequence[Posting], queries: Sequence[Query], args: SystemArgs) -> Run:
    """matcher with blinding off (`blind=False`): what blinding costs or gains in quality."""
    return _run(postings, queries, args, blind=False)


def _run(postings: Sequence[Posting], queries: Sequence[Query], args: SystemArgs, *, blind: bool) -> Run:
    matcher = Matcher.open(index_dir(args.quick))
    matcher.sync(postings, progress=True)
    lines = (json.dumps({"id": q.qid, **({"text": q.text} if q.text else {}), "skills": list(q.skills)})
             for q in queries)
    run: Run = {}
    for row in run_batch(matcher, lines, k=args.k, include_archived=True, blind=blind):
        if "error" in row:
            raise RuntimeError(f"query {row['id']}: {row['error']['message']}")
        run[row["id"]] = [r["posting_id"] for r in row["results"]]
    return run
