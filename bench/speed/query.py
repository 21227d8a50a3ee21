"""`query`: in-process `Matcher.match` latency at concurrency 1 and 8, next to embedding the query alone; the
FAISS search cost at 1 and 2 OpenMP threads; then the same match over HTTP on loopback."""

from __future__ import annotations

import cProfile
import pstats
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.speed.common import OUT, WORK, fmt, header, log, mb, ratio, run_load, stats, table
from bench.speed.corpus import Queries, crocoder_files, load_queries

FILTERS = {"include_archived": True}  # every posting is a candidate (the eval set counts archived ones too)
K = 10
N = {"skills": 100, "cv": 40}
N_QUICK = {"skills": 6, "cv": 2}
CONCURRENCY = (1, 8)


def full_index_at(root: Path, expected: int) -> bool:
    """Does `root` hold a loadable index of all `expected` crocoder postings, built with the default model?"""
    from matcher.config import IndexShape
    from matcher.embed import Embedder
    from matcher.index.manifest import read

    try:
        manifest = read(root)
        embedder = Embedder()
        manifest.check(embedder.model_id, embedder.model_hash, IndexShape().as_dict())
    except Exception:  # noqa: BLE001 - absent, unreadable or another model: not usable
        return False
    return manifest.postings == expected


def crocoder_index(quick: bool) -> Path:
    """The full crocoder index kept by `ingest --full` (bench/out/speed/crocoder-index); else a copy of
    bench/out/crocoder-index when that holds the full corpus; else it is built here (~12 min)."""
    full, other = WORK / "crocoder-index", OUT / "crocoder-index"
    expected = len(crocoder_files())
    if full_index_at(full, expected):
        return full
    if full_index_at(other, expected):
        log(f"copying the full crocoder index from {other} (a private copy: nobody rebuilds it during the run)")
        shutil.rmtree(full, ignore_errors=True)
        shutil.copytree(other, full)
        return full
    log(f"no index of the {expected} crocoder postings at {full} or {other}")
    if quick:
        quick_dir = WORK / "crocoder-quick-index"
        if not quick_dir.exists():
            log("quick mode: building a small sample index instead (run `python -m bench.speed ingest --quick`)")
            from bench.speed.ingest import index_child

            index_child([str(p) for p in crocoder_files()[:8]], str(quick_dir))
        return quick_dir
    log("building it now with Matcher.index (same as `python -m bench.speed ingest --full`, ~12 min)")
    from bench.speed.worker import run_child

    run_child("bench.speed.ingest:index_child", paths=[str(p) for p in crocoder_files()], index_dir=str(full))
    return full


def _candidates(queries: Queries) -> dict[str, list[dict[str, Any]]]:
    return queries.as_candidates()


def in_process(matcher: Any, embedder: Any, queries: Queries, quick: bool) -> dict[str, Any]:
    """Match latency per query kind and concurrency; the embedding inside it; the embedding alone."""
    counts = N_QUICK if quick else N
    out: dict[str, Any] = {}
    for kind, items in _candidates(queries).items():
        for item in items[: 1 if quick else 2]:  # warm-up
            matcher.match(**item, k=K, filters=FILTERS)
        texts: dict[int, list[str]] = {}

        def one(item: dict[str, Any], texts: dict[int, list[str]] = texts) -> float:
            embedder.begin()
            matcher.match(**item, k=K, filters=FILTERS)
            calls = embedder.take()
            texts[id(item)] = [t for side, ts, _ in calls if side == "queries" for t in ts]
            return sum(s for _, _, s in calls)

        kind_out: dict[str, Any] = {
            "queries": len(items),
            "chars_mean": round(float(np.mean([len(i.get("text") or ", ".join(i.get("skills", []))) for i in items])), 1),
        }
        for c in CONCURRENCY:
            log(f"in-process match, {kind}, concurrency {c}: {counts[kind]} queries")
            kind_out[f"match_c{c}"] = run_load(one, items, counts[kind], c)
        embedded = [texts[id(i)] for i in items if id(i) in texts]
        kind_out["texts_embedded_per_query"] = round(float(np.mean([len(t) for t in embedded])), 2)
        for c in CONCURRENCY:
            log(f"embedding alone, {kind}, concurrency {c}")
            kind_out[f"embed_c{c}"] = run_load(lambda t: _embed(embedder, t), embedded, counts[kind], c)
        for c in CONCURRENCY:
            kind_out[f"ratio_match_over_embed_p50_c{c}"] = ratio(
                kind_out[f"match_c{c}"]["p50_ms"], kind_out[f"embed_c{c}"]["p50_ms"]
            )
        out[kind] = kind_out
    return out


def _embed(embedder: Any, texts: list[str]) -> None:
    embedder.encode_queries(texts)


def profile(matcher: Any, queries: Queries, quick: bool) -> dict[str, Any]:
    """Where a match's time goes (cProfile, concurrency 1): matcher functions by cumulative time per query."""
    items = _candidates(queries)
    plan = [(kind, item) for kind in items for item in items[kind][: (1 if quick else 6)]]
    prof = cProfile.Profile()
    prof.enable()
    for _, item in plan:
        matcher.match(**item, k=K, filters=FILTERS)
    prof.disable()
    st = pstats.Stats(prof)
    rows = []
    for (file, _line, func), (_, calls, tottime, cumtime, _) in st.stats.items():  # type: ignore[attr-defined]
        if "/matcher/" in file and "site-packages" not in file:
            rows.append(
                {
                    "function": f"{Path(file).parent.name}/{Path(file).name}:{func}",
                    "calls": calls,
                    "cum_ms_per_query": round(cumtime * 1000 / len(plan), 2),
                    "own_ms_per_query": round(tottime * 1000 / len(plan), 2),
                }
            )
    rows.sort(key=lambda r: -r["cum_ms_per_query"])
    return {
        "queries": len(plan),
        "note": "under cProfile (inflates Python-heavy code); compare rows, not totals",
        "top": rows[:14],
    }


def faiss_cost(index_dir: Path, embedder: Any, quick: bool) -> dict[str, Any]:
    """Single-query dense search over the passages: the store's search (`View.dense_hits`, exact NumPy in a
    segment without an ANN index) next to a bare FAISS IndexFlatIP over the same vectors at 1 and 2 OpenMP
    threads, for k = 10 and the engine's candidate k."""
    import faiss

    from matcher.config import Ranking
    from matcher.engine import Matcher
    from matcher.filters import Filters
    from matcher.index.store import FaissFlat

    candidate_k = Ranking().candidate_passages
    view = Matcher.load(index_dir, embedder=embedder).view
    flat = FaissFlat.of(view)
    query = embedder.encode_queries(["Skills: python, django, postgresql, aws"])
    reps = 20 if quick else 200
    out: dict[str, Any] = {"vectors": len(flat), "index": "IndexFlatIP", "repetitions": reps, "cases": []}
    default = faiss.omp_get_max_threads()
    masks_all = view.allowed(Filters(include_archived=True))
    masks_half = [m & (np.arange(len(m)) % 2 == 0) for m in masks_all]

    def timed(fn: Any) -> dict[str, Any]:
        fn()
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return stats(times)

    try:
        for k in (10, candidate_k):
            for threads in (1, 2):
                faiss.omp_set_num_threads(threads)
                out["cases"].append({"what": "bare index.search", "k": k, "omp_threads": threads,
                                     **timed(lambda k=k: flat.index.search(query, k))})
            faiss.omp_set_num_threads(default)
            for label, masks in (("View.dense_hits", masks_all), ("View.dense_hits, half the postings", masks_half)):
                out["cases"].append({"what": label, "k": k, "omp_threads": "numpy",
                                     **timed(lambda k=k, masks=masks: view.dense_hits(query, k, masks, 16))})
    finally:
        faiss.omp_set_num_threads(default)
    by = {(c["what"], c["k"], c["omp_threads"]): c["p50_ms"] for c in out["cases"]}
    out["ratio_2_over_1_threads_p50"] = {
        str(k): ratio(by[("bare index.search", k, 2)], by[("bare index.search", k, 1)]) for k in (10, candidate_k)
    }
    return out


def thread_probe(embedder: Any, quick: bool) -> dict[str, Any]:
    """One short query encoded from the main thread vs a pool thread, with torch's 2 threads and with 1."""
    import torch

    text = ["Skills: Google Angular, Atlassian JIRA, Git, C++"]
    reps = 5 if quick else 40

    def timed(_: Any = None) -> dict[str, Any]:
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            embedder.encode_queries(text)
            times.append(time.perf_counter() - start)
        return stats(times)

    from concurrent.futures import ThreadPoolExecutor

    default = torch.get_num_threads()
    out: dict[str, Any] = {"torch_threads_default": default}
    try:
        for threads in sorted({default, 1}, reverse=True):
            torch.set_num_threads(threads)
            out[f"main_thread_torch{threads}"] = timed()
            with ThreadPoolExecutor(1) as pool:
                out[f"pool_thread_torch{threads}"] = pool.submit(timed).result()
    finally:
        torch.set_num_threads(default)
    return out


def run_in_process(index_dir: Path, embedder: Any = None, quick: bool = False) -> dict[str, Any]:
    """The in-process half of the report (used by the smoke test on the seed index)."""
    from bench.speed.embedders import TimingEmbedder, warm
    from bench.speed.worker import rss_bytes
    from matcher.engine import Matcher

    timing = TimingEmbedder(base=embedder)
    loaded = warm(timing)
    start = time.perf_counter()
    matcher = Matcher.load(index_dir, embedder=timing)
    load_s = time.perf_counter() - start
    info = matcher.info()["manifest"]
    queries = load_queries()
    return {
        "index": {
            "dir": str(index_dir),
            "postings": info["postings"],
            "passages": info["passages"],
            "load_s": round(load_s, 3),
            "rss_bytes": rss_bytes(),
            **loaded,
            "path": "retrieve, fetch, score",
            "created": info.get("created"),
        },
        "in_process": in_process(matcher, timing, queries, quick),
        "profile": profile(matcher, queries, quick),
        "faiss": faiss_cost(index_dir, timing, quick),
        "threads": thread_probe(timing, quick),
    }


def run(args: Any, result: dict[str, Any]) -> dict[str, Any]:
    index_dir = crocoder_index(args.quick)
    result["params"] = {"k": K, "filters": FILTERS, "concurrency": list(CONCURRENCY), "queries": N_QUICK if args.quick else N}
    result.update(run_in_process(index_dir, quick=args.quick))
    from bench.speed import http

    result["http"] = http.run(index_dir, load_queries(), quick=args.quick)
    return result


# -- Markdown ----------------------------------------------------------------------------------------------
def latency_rows(section: dict[str, Any], prefix: str) -> list[list[Any]]:
    rows = []
    for kind, data in section.items():
        for c in CONCURRENCY:
            m = data.get(f"{prefix}_c{c}")
            if m:
                rows.append([kind, c, m["n"], m["p50_ms"], m["p99_ms"], m["mean_ms"], m["throughput_per_s"]])
    return rows


def markdown(r: dict[str, Any]) -> list[str]:
    ix, ip = r["index"], r["in_process"]
    lines = header(r, "Query latency: Matcher.match in process and over HTTP (crocoder)")
    lines += [
        f"Index: {ix['postings']:,} postings, {ix['passages']:,} passages (`{Path(ix['dir']).name}`, "
        f"built {ix.get('created')}), loaded "
        f"in {ix['load_s']} s; process RSS {mb(ix['rss_bytes'])}; ranking path: {ix['path']}. "
        f"k = {r['params']['k']}, "
        "archived postings included. Skills = the dev set's skills lists; CV = the dev CVs of at least ~3 KB, "
        "cut to 3,000 characters. Threads share one `Matcher` (and one model).",
        "",
    ]
    head = ["query", "concurrency", "n", "p50 ms", "p99 ms", "mean ms", "queries/s"]
    lines += ["In-process `Matcher.match`:", ""] + table(head, latency_rows(ip, "match"))
    lines += ["Embedding the same query texts alone (`Embedder.encode_queries`, same run):", ""]
    lines += table(head, latency_rows(ip, "embed"))
    for kind, d in ip.items():
        inner = d["match_c1"].get("inner", {})
        lines.append(
            f"- {kind}: {d['texts_embedded_per_query']} texts embedded per query; match/embed p50 ratio "
            f"{fmt(d['ratio_match_over_embed_p50_c1'], 2)} at concurrency 1, "
            f"{fmt(d['ratio_match_over_embed_p50_c8'], 2)} at 8; at concurrency 1 the embedding inside each match "
            f"takes p50 {fmt(inner.get('p50_ms'))} ms and the rest of the match (tags, BM25, scoring, explanations) "
            f"p50 {fmt(d['match_c1'].get('outside', {}).get('p50_ms'))} ms, p99 "
            f"{fmt(d['match_c1'].get('outside', {}).get('p99_ms'))} ms."
        )
    lines += ["", f"Where the time goes ({r['profile']['note']}; {r['profile']['queries']} queries):", ""]
    lines += table(
        ["function", "calls", "cumulative ms/query", "own ms/query"],
        [[f"`{x['function']}`", x["calls"], x["cum_ms_per_query"], x["own_ms_per_query"]] for x in r["profile"]["top"][:10]],
    )
    fz = r["faiss"]
    lines += [
        f"FAISS single-query search on the passage index ({fz['vectors']:,} vectors, {fz['index']}, "
        f"{fz['repetitions']} repetitions):",
        "",
    ]
    lines += table(
        ["search", "k", "OpenMP threads", "p50 ms", "p99 ms"],
        [[c["what"], c["k"], str(c["omp_threads"]), c["p50_ms"], c["p99_ms"]] for c in fz["cases"]],
    )
    two = ", ".join(f"k={k}: {v}" for k, v in fz["ratio_2_over_1_threads_p50"].items())
    lines += [f"- bare search, 2 threads / 1 thread (p50): {two}.", ""]
    th = r.get("threads") or {}
    if th:
        reps = th.get("main_thread_torch1", {}).get("n", "?")
        lines += [
            f"One skills line encoded {reps} times from the main thread vs from a pool thread (the latency tables "
            "above all run in pool threads, as a server does), with torch's default "
            f"{th['torch_threads_default']} intra-op threads and with 1:",
            "",
        ]
        lines += table(
            ["where", "torch threads", "p50 ms", "p99 ms"],
            [
                [k.split("_torch")[0].replace("_", " "), int(k.rsplit("torch", 1)[1]), v["p50_ms"], v["p99_ms"]]
                for k, v in th.items()
                if k != "torch_threads_default"
            ],
        )
    from bench.speed import http

    lines += http.markdown(r.get("http") or {}, ip)
    return lines
