"""The cost of a write and of a query's non-embedding work: the Milvus store beside the FAISS segment store, on the
same real index (the crocoder postings; the Milvus copy made by `matcher migrate`, no re-embedding).

    PYTHONPATH=. python -m bench.scaleout.store_cost --index /tmp/croc-copy [--milvus milvus-lite:///tmp/x.db]

Queries are embedded once, before timing (`matcher.query.prepare`); the timed part is `ranking.match`
(retrieve, fetch, score, explain). Writes re-put an existing posting (already embedded: what a PUT costs besides
its embedding) and delete one; both stores work on scratch copies. Markdown on stdout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.scaleout.cluster_batch import SKILLS

TEXTS = ["Backend engineer, six years of Python and Django on PostgreSQL; AWS, Docker, Kubernetes; on call.",
         "Product designer: Figma, user research, design systems for a B2B SaaS; remote in Europe.",
         "Data engineer building pipelines with Spark, Airflow and dbt on GCP; some ML in production."]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pcts(values: list[float]) -> str:
    return f"{np.percentile(values, 50) * 1000:.1f} | {np.percentile(values, 99) * 1000:.1f}"


def narrowing(view: object) -> tuple[str, object]:
    """A filter keeping part of this corpus (crocoder has job types, RemoteWLB locations), labelled with its share."""
    from matcher.filters import Filters

    for label, flt in (("job_type software, not archived", Filters(job_type="soft")),
                       ("location United States, not archived", Filters(location="united states"))):
        share = view.count(view.allowed(flt)) / max(len(view), 1)  # type: ignore[attr-defined]
        if share >= 0.05:
            return f"{label}: {share:.0%} of postings", flt
    raise SystemExit("no test filter keeps 5% of this index's postings")


def measure(where: str, embedder: object, rounds: int) -> dict[str, str]:
    from matcher.engine import Matcher
    from matcher.filters import Filters
    from matcher.migrate import _docs
    from matcher.query import Candidate, prepare
    from matcher.ranking import match

    m = Matcher.load(where, embedder=embedder)
    view = m.view
    candidates = [Candidate(None, tuple(s)) for s in SKILLS] + [Candidate(t, ()) for t in TEXTS]
    prepared = [prepare(c, view, m.embedder) for c in candidates]
    out: dict[str, str] = {"postings": f"{len(view):,}"}
    for label, flt in (("no filter", Filters(include_archived=True)), narrowing(view)):
        times = []
        for _ in range(rounds):
            for p in prepared:
                t0 = time.perf_counter()
                match(view, p, 10, flt, m.config, m.calibration)
                times.append(time.perf_counter() - t0)
        out[f"query ({label}), first round: row caches cold"] = pcts(times[:len(prepared)])
        out[f"query ({label}), later rounds"] = pcts(times[len(prepared):] or times)
    ids = sorted(view.where)[:rounds + 2]
    docs = list(_docs(view, [view.where[i] for i in ids]))
    puts, deletes = [], []
    for doc in docs[:rounds + 1]:
        t0 = time.perf_counter()
        m.store.upsert([doc], {})
        puts.append(time.perf_counter() - t0)
    for pid in ids[:rounds]:
        t0 = time.perf_counter()
        m.store.delete([pid])
        deletes.append(time.perf_counter() - t0)
    out["first write of the process (Milvus: claims the writer lease)"] = pcts(puts[:1])
    out["upsert one posting (embedded), later writes"] = pcts(puts[1:])
    out["delete one posting"] = pcts(deletes)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="a FAISS segment index (copied, not changed)")
    parser.add_argument("--milvus", help="an existing Milvus copy of it (default: migrate into a scratch Milvus Lite)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--label", default="real index", help="what the index is, for the heading")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from importlib.metadata import version

    from matcher.embed import Embedder
    from matcher.migrate import migrate

    scratch = Path(tempfile.mkdtemp(prefix="matcher-cost-"))
    try:
        shutil.copytree(args.index, scratch / "faiss")
        where = args.milvus
        if where is None:
            where = f"milvus-lite://{scratch}/milvus.db"
            report = migrate(scratch / "faiss", where, progress=False)
            log(f"migrated {report.postings} postings in {report.seconds:.1f} s")
            moved = f"; moved into Milvus Lite by `matcher migrate` in {report.seconds:.0f} s"
        else:
            moved = ""
        embedder = Embedder()
        results = {}
        for name, location in (("FAISS segments", str(scratch / "faiss")), (f"Milvus ({where.split(':')[0]})", where)):
            log(f"measuring {name}")
            results[name] = measure(location, embedder, args.rounds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    names = list(results)
    rows = list(next(iter(results.values())))
    size = results[names[0]]["postings"]
    print(f"""### Write and query cost besides embedding: Milvus beside FAISS ({args.label}, {size} postings)

date: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; {os.cpu_count()} cores shared with other jobs (load average \
{os.getloadavg()[0]:.1f} at the end); milvus-lite {version('milvus-lite')}, pymilvus {version('pymilvus')}  
command: `PYTHONPATH=. python -m bench.scaleout.store_cost --index {args.index} --rounds {args.rounds}`{moved}  
p50 | p99 in ms; queries: {len(SKILLS)} skills lists and {len(TEXTS)} CV texts x {args.rounds} rounds, embedded before timing.

| operation | {' | '.join(f'{n} p50 | {n} p99' for n in names)} |
|---|{'--:|--:|' * len(names)}""")
    for row in rows[1:]:
        print(f"| {row} | {' | '.join(results[n][row] for n in names)} |")


if __name__ == "__main__":
    main()
