"""`peer`: txtai (`Embeddings`, same model, content=False, faiss) against matcher on the same passages."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.speed.common import WORK, fmt, header, load_average, log, mb, ratio, run_load, table
from bench.speed.corpus import crocoder_files, load_queries, passage_texts, sample

SAMPLE, SAMPLE_QUICK = 120, 4
N = {"skills": 90, "cv": 45}
N_QUICK = {"skills": 6, "cv": 2}
FILTERS = {"include_archived": True}


def skills_line(skills: list[str]) -> str:
    """The text matcher embeds for a skills list (matcher/query.py), given to txtai as its query."""
    return "Skills: " + ", ".join(skills)


def _queries(quick: bool) -> list[dict[str, Any]]:
    q = load_queries()
    out = [{"kind": "skills", "text": skills_line(s), "candidate": {"skills": s}} for s in q.skills]
    out += [{"kind": "cv", "text": t, "candidate": {"text": t}} for t in q.cvs]
    return out


def _latency(fn: Any, queries: list[dict[str, Any]], counts: dict[str, int]) -> dict[str, Any]:
    out = {}
    for kind in ("skills", "cv"):
        items = [q for q in queries if q["kind"] == kind]
        for item in items[:2]:
            fn(item)
        out[kind] = run_load(fn, items, counts[kind], 1)
    return out


def txtai_child(texts_file: str, queries_file: str, quick: bool, search: bool = True) -> dict[str, Any]:
    from txtai import Embeddings

    from bench.speed.worker import rss_bytes
    from matcher.config import resolve_model

    texts = json.loads(Path(texts_file).read_text())
    queries = json.loads(Path(queries_file).read_text())
    start = time.perf_counter()
    emb = Embeddings(path=resolve_model(None).location, method="sentence-transformers", content=False, backend="faiss")
    emb.transform("warm up: senior python developer, remote")
    out: dict[str, Any] = {"model_load_s": round(time.perf_counter() - start, 3), "rss_after_load_bytes": rss_bytes()}
    start = time.perf_counter()
    emb.index(texts)
    out["build_s"] = round(time.perf_counter() - start, 3)
    out["passages"] = int(emb.count())
    out["components"] = emb.config.get("build", {}).get("settings", {}).get("components")
    if not search:
        return out
    counts = N_QUICK if quick else N
    out["search"] = _latency(lambda q: emb.search(q["text"], 10) and None, queries, counts)
    vectors = {q["text"]: emb.batchtransform([q["text"]]) for q in queries}
    out["ann_only"] = _latency(lambda q: emb.ann.search(vectors[q["text"]], 10) and None, queries, counts)
    out["top10"] = {q["text"]: [int(i) for i, _ in emb.search(q["text"], 10)] for q in queries}
    return out


def matcher_child(paths: list[str], index_dir: str, queries_file: str, quick: bool) -> dict[str, Any]:
    from bench.speed.embedders import TimingEmbedder, warm
    from bench.speed.worker import rss_bytes
    from matcher.engine import Matcher
    from matcher.index.store import FaissFlat

    queries = json.loads(Path(queries_file).read_text())
    embedder = TimingEmbedder()
    out: dict[str, Any] = {**warm(embedder), "rss_after_load_bytes": rss_bytes()}
    matcher = Matcher.open(index_dir, embedder=embedder)
    start = time.perf_counter()
    report = matcher.index(paths)
    out["build_s"] = round(time.perf_counter() - start, 3)
    out["passages"] = report.passages_embedded
    out["encode"] = embedder.summary()
    out["calls"] = embedder.calls
    counts = N_QUICK if quick else N
    out["match"] = _latency(lambda q: matcher.match(**q["candidate"], k=10, filters=FILTERS) and None, queries, counts)
    store = FaissFlat.of(matcher.view)
    out["vector_search"] = _latency(lambda q: store.search(embedder.encode_queries([q["text"]]), 10) and None, queries, counts)
    vectors = {q["text"]: embedder.encode_queries([q["text"]]) for q in queries}
    out["ann_only"] = _latency(lambda q: store.search(vectors[q["text"]], 10) and None, queries, counts)
    out["top10"] = {q["text"]: [int(i) for i in store.search(vectors[q["text"]], 10)[1][0]] for q in queries}
    return out


def run(args: Any, result: dict[str, Any]) -> dict[str, Any]:
    from bench.speed.worker import run_child
    from matcher.postings import load_postings

    files = sample(crocoder_files(), SAMPLE_QUICK if args.quick else args.sample or SAMPLE, args.seed)
    postings = load_postings(files).postings
    texts = passage_texts(postings)
    queries = _queries(args.quick)
    result["params"] = {
        "postings": len(postings),
        "seed": args.seed,
        "passages": len(texts),
        "queries": {"skills": sum(q["kind"] == "skills" for q in queries), "cv": sum(q["kind"] == "cv" for q in queries)},
        "k": 10,
        "filters": FILTERS,
    }
    WORK.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=WORK, prefix=".peer-"))
    try:
        (tmp / "texts.json").write_text(json.dumps(texts))
        (tmp / "queries.json").write_text(json.dumps(queries))
        common = {"queries_file": str(tmp / "queries.json"), "quick": args.quick}
        load = []
        log(f"txtai: index {len(texts)} passages, then search")
        tx = run_child("bench.speed.peer:txtai_child", texts_file=str(tmp / "texts.json"), **common)
        load.append(load_average())
        log(f"matcher: Matcher.index of {len(files)} postings, then match")
        mt = run_child("bench.speed.peer:matcher_child", paths=[str(f) for f in files], index_dir=str(tmp / "index"), **common)
        load.append(load_average())
        tx2 = tx
        if not args.quick:
            log("txtai again (build only): a bracket against drift")
            tx2 = run_child("bench.speed.peer:txtai_child", texts_file=str(tmp / "texts.json"), search=False, **common)
            load.append(load_average())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    overlap = [len(set(tx["top10"][t]) & set(mt["top10"][t])) / 10 for t in tx["top10"]]
    tx_build = (tx["build_s"] + tx2["build_s"]) / 2
    result.update(
        {
            "txtai": {k: v for k, v in tx.items() if k != "top10"},
            "txtai_second_build": {k: tx2[k] for k in ("build_s", "peak_rss_bytes", "passages")},
            "matcher": {k: v for k, v in mt.items() if k != "top10"},
            "load_average_after_phases": load,
            "top10_passage_overlap": round(float(np.mean(overlap)), 4),
            "ratios": {
                "build_matcher_over_txtai": ratio(mt["build_s"], tx_build),
                **{
                    f"{what}_{kind}_p50_matcher_over_txtai": ratio(mt[m_key][kind]["p50_ms"], tx[t_key][kind]["p50_ms"])
                    for what, m_key, t_key in (
                        ("match_vs_search", "match", "search"),
                        ("vector_search_vs_search", "vector_search", "search"),
                        ("ann_only", "ann_only", "ann_only"),
                    )
                    for kind in ("skills", "cv")
                },
            },
        }
    )
    return result


def markdown(r: dict[str, Any]) -> list[str]:
    p, tx, mt, rt = r["params"], r["txtai"], r["matcher"], r["ratios"]
    enc = mt.get("encode", {}).get("documents", {})
    passages_part = ""
    if mt.get("calls"):
        from bench.speed.ingest import split_calls

        passage_s, (other_n, other_s) = split_calls(mt["calls"], mt["passages"])
        passages_part = f" ({fmt(passage_s, 1)} s for the passages, {fmt(other_s, 1)} s for {other_n:,} titles and tag names)"
    lines = header(r, "Peer: txtai vs matcher on the same passages (crocoder sample)")
    lines += [
        f"A seeded random sample of {p['postings']} crocoder postings (seed {p['seed']}) -> {p['passages']:,} "
        "passages, the exact texts matcher embeds (`passage_document(title, passage)`). txtai 9 `Embeddings(path="
        "<the same all-MiniLM-L6-v2 folder>, method='sentence-transformers', content=False, backend='faiss')` "
        f"indexes those texts (it chose `{tx.get('components')}`); matcher runs `Matcher.index` on the same "
        "postings. Each side runs in its own process, txtai built twice (before and after matcher) against "
        "drift. "
        f"Queries: {p['queries']['skills']} skills lists (txtai gets the same 'Skills: a, b, ...' line matcher "
        f"embeds) and {p['queries']['cv']} CVs of 3,000 characters (txtai embeds the CV as one text, truncated "
        "at 256 word pieces; matcher embeds it in ~1,000-character chunks plus the whole text and its headline); k = 10.",
        "",
    ]
    lines += table(
        ["", "build s", "peak RSS", "RSS after model load"],
        [
            [
                "txtai (1st, 2nd build)",
                f"{tx['build_s']}" + ("" if r["quick"] else f", {r['txtai_second_build']['build_s']}"),
                mb(tx["peak_rss_bytes"]),
                mb(tx["rss_after_load_bytes"]),
            ],
            ["matcher", mt["build_s"], mb(mt["peak_rss_bytes"]), mb(mt["rss_after_load_bytes"])],
        ],
    )
    lines += [
        f"- **Build, matcher/txtai: {fmt(rt['build_matcher_over_txtai'], 2)}** (matcher also embeds titles and "
        f"tag names: {enc.get('texts', 0):,} texts in all, {fmt(enc.get('seconds'), 1)} s of encoding{passages_part}, "
        "and builds BM25 and tags).",
        "",
    ]
    rows = []
    for kind in ("skills", "cv"):
        rows += [
            [kind, "txtai `search`", tx["search"][kind]["p50_ms"], tx["search"][kind]["p99_ms"], "1.00"],
            [
                kind,
                "matcher `Matcher.match` (ranked, explained)",
                mt["match"][kind]["p50_ms"],
                mt["match"][kind]["p99_ms"],
                fmt(rt[f"match_vs_search_{kind}_p50_matcher_over_txtai"], 2),
            ],
            [
                kind,
                "matcher bare: `encode_queries` + `FaissStore.search`",
                mt["vector_search"][kind]["p50_ms"],
                mt["vector_search"][kind]["p99_ms"],
                fmt(rt[f"vector_search_vs_search_{kind}_p50_matcher_over_txtai"], 2),
            ],
            [
                kind,
                "txtai ANN only (`embeddings.ann.search`)",
                tx["ann_only"][kind]["p50_ms"],
                tx["ann_only"][kind]["p99_ms"],
                "-",
            ],
            [
                kind,
                "matcher ANN only (`FaissStore.search`)",
                mt["ann_only"][kind]["p50_ms"],
                mt["ann_only"][kind]["p99_ms"],
                fmt(rt[f"ann_only_{kind}_p50_matcher_over_txtai"], 2),
            ],
        ]
    lines += table(["query", "what", "p50 ms", "p99 ms", "p50 / txtai"], rows)
    lines += [
        f"- Same model, same texts: the bare vector searches agree on {r['top10_passage_overlap']:.1%} of "
        "top-10 passages (a check that both sides index the same thing).",
        "",
    ]
    return lines
