"""`scale`: RemoteWLB (18,455 postings) parse + split rate, embedding rate on a sample, query latency over an
index of all of them (random vectors: latency only), then the vector index alone at 10^6 vectors."""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path
from typing import Any

from bench.speed import ann, ingest
from bench.speed.common import WORK, fmt, header, log, mb, table
from bench.speed.corpus import load_queries, passage_texts, remotewlb_records, remotewlb_to_matcher, sample

INGEST_SAMPLE, INGEST_SAMPLE_QUICK = 60, 4
RANDOM_QUICK = 2_200  # still above EXHAUSTIVE_LIMIT, so quick mode takes the same ranking path
ANN_N, ANN_N_QUICK = 1_000_000, 50_000
QUERY_N = {"skills": 60, "cv": 30}
QUERY_N_QUICK = {"skills": 4, "cv": 2}
FILTER_CASES = {
    "all postings": {"include_archived": True},
    "tags_any golang": {"include_archived": True, "tags_any": ["golang"]},
    "tags_any python": {"include_archived": True, "tags_any": ["python"]},
}


def parse_split(work: Path, limit: int | None = None, seed: int = 0) -> tuple[dict[str, Any], list[Any]]:
    """Convert, parse (parse_json_record), split and tag every record (a seeded sample of `limit` in quick mode);
    write the valid ones as JSON Lines."""
    from matcher.errors import PostingError
    from matcher.index.docs import posting_tags
    from matcher.postings.parse import parse_json_record
    from matcher.skills import Vocabulary

    start = time.perf_counter()
    records = sample([remotewlb_to_matcher(r) for r in remotewlb_records()], limit, seed)
    read_s = time.perf_counter() - start
    postings, rejected = [], []
    start = time.perf_counter()
    for number, record in enumerate(records, start=1):
        try:
            postings.append(parse_json_record(record, f"remotewlb:{number}"))
        except PostingError as exc:
            rejected.append(str(exc))
    parse_s = time.perf_counter() - start
    start = time.perf_counter()
    texts = passage_texts(postings)
    split_s = time.perf_counter() - start
    start = time.perf_counter()
    vocab = Vocabulary.build(p.hashtags for p in postings)
    tags = sum(len(posting_tags(p, vocab)) for p in postings)
    tag_s = time.perf_counter() - start
    with (work / "remotewlb.jsonl").open("w", encoding="utf-8") as fh:
        valid = {p.id for p in postings}
        for record in records:
            if record["id"] in valid:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    n, m = len(postings), len(texts)
    return {
        "records": len(records),
        "postings": n,
        "rejected": len(rejected),
        "rejected_examples": rejected[:3],
        "passages": m,
        "passages_per_posting": round(m / n, 2),
        "body_chars": sum(len(p.body) for p in postings),
        "read_convert_s": round(read_s, 2),
        "parse_s": round(parse_s, 2),
        "split_s": round(split_s, 2),
        "tag_s": round(tag_s, 2),
        "tags_total": tags,
        "parse_postings_per_s": round(n / parse_s, 1),
        "split_postings_per_s": round(n / split_s, 1),
        "split_passages_per_s": round(m / split_s, 1),
        "tag_postings_per_s": round(n / tag_s, 1),
        "parse_split_tag_postings_per_s": round(n / (parse_s + split_s + tag_s), 1),
    }, postings


def query_child(index_dir: str, quick: bool) -> dict[str, Any]:
    """Load the big index with the real model and time matches under several filters (concurrency 1)."""
    from bench.speed import query
    from bench.speed.common import run_load
    from bench.speed.embedders import TimingEmbedder, warm
    from bench.speed.worker import rss_bytes
    from matcher.engine import Matcher

    embedder = TimingEmbedder()
    loaded = warm(embedder)
    rss0 = rss_bytes()
    start = time.perf_counter()
    matcher = Matcher.load(index_dir, embedder=embedder)
    out: dict[str, Any] = {
        **loaded,
        "load_s": round(time.perf_counter() - start, 2),
        "rss_model_bytes": rss0,
        "rss_loaded_bytes": rss_bytes(),
        "postings": len(matcher),
        "cases": {},
    }
    queries = load_queries()
    counts = QUERY_N_QUICK if quick else QUERY_N
    with_stats = getattr(matcher, "match_with_stats", None)
    for label, filters in list(FILTER_CASES.items())[: 1 if quick else None]:
        case: dict[str, Any] = {"filters": filters}
        for kind, items in queries.as_candidates().items():
            if with_stats is not None:
                case[f"{kind}_examined"] = with_stats(items[0].get("text"), items[0].get("skills"), 10, filters)[1]
            matcher.match(**items[0], k=10, filters=filters)

            def one(item: dict[str, Any], filters: dict[str, Any] = filters) -> float:
                embedder.begin()
                matcher.match(**item, k=10, filters=filters)
                return sum(s for _, _, s in embedder.take())

            log(f"18k index, {label}, {kind}: {counts[kind]} queries")
            case[kind] = run_load(one, items, counts[kind], 1)
        out["cases"][label] = case
    out["profile"] = query.profile(matcher, queries, quick)
    out["faiss"] = query.faiss_cost(Path(index_dir), embedder, quick)
    out["rss_end_bytes"] = rss_bytes()
    return out


def run(args: Any, result: dict[str, Any]) -> dict[str, Any]:
    from bench.speed.worker import run_child

    work = WORK / "scale-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        log("parse + split + tag every RemoteWLB posting")
        result["parse_split"], postings = parse_split(work, RANDOM_QUICK if args.quick else None, args.seed)
        all_jsonl = work / "remotewlb.jsonl"
        lines = all_jsonl.read_text(encoding="utf-8").splitlines()

        n_ingest = INGEST_SAMPLE_QUICK if args.quick else args.sample or INGEST_SAMPLE
        picked = sample(range(len(lines)), n_ingest, args.seed)
        sample_file = work / "sample.jsonl"
        sample_file.write_text("\n".join(lines[i] for i in picked) + "\n", encoding="utf-8")
        texts = passage_texts([postings[i] for i in picked])
        result["ingest_sample"] = {
            "postings": len(picked),
            "seed": args.seed,
            "passages": len(texts),
            **ingest.measure([sample_file], texts, texts, WORK / "remotewlb-sample-index", bracket=False),
        }

        n_random = RANDOM_QUICK if args.quick else len(lines)
        random_file = all_jsonl
        if n_random < len(lines):
            random_file = work / "random.jsonl"
            random_file.write_text("\n".join(sample(lines, n_random, args.seed)) + "\n", encoding="utf-8")
        index_dir = WORK / ("remotewlb-random-index-quick" if args.quick else "remotewlb-random-index")
        shutil.rmtree(index_dir, ignore_errors=True)
        log(f"build an index of {n_random} postings with random unit vectors")
        result["random_build"] = run_child(
            "bench.speed.ingest:index_child", paths=[str(random_file)], index_dir=str(index_dir), random_vectors=True
        )
        log("query latency over it")
        result["random_query"] = run_child("bench.speed.scale:query_child", index_dir=str(index_dir), quick=args.quick)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    n = ANN_N_QUICK if args.quick else ANN_N
    nlist = 4_000 if n >= 1_000_000 else round(4 * math.sqrt(n))
    log(f"vector index alone: {n:,} synthetic vectors, IVF nlist {nlist} vs Flat")
    result["ann"] = run_child(
        "bench.speed.ann:ann_child",
        n=n,
        nlist=nlist,
        nprobe=16,
        queries=50 if args.quick else 200,
        flat_queries=10 if args.quick else 30,
        seed=args.seed,
    )
    return result


def markdown(r: dict[str, Any]) -> list[str]:
    ps, ig, rb, rq = r["parse_split"], r["ingest_sample"], r["random_build"], r["random_query"]
    lines = header(r, "Scale: RemoteWLB (18,455 postings) and 10^6 vectors")
    scope = "all" if ps["records"] > RANDOM_QUICK else "a sample of"
    lines += [
        f"Parse + split + tag, {scope} {ps['records']:,} records ({ps['rejected']} rejected; {ps['passages']:,} "
        f"passages, {ps['passages_per_posting']} per posting, {ps['body_chars']:,} body characters; "
        "no model):",
        "",
    ]
    lines += table(
        ["step", "seconds", "postings/s", "passages/s"],
        [
            ["read + convert (gzip JSON Lines -> matcher records)", ps["read_convert_s"], "-", "-"],
            ["parse_json_record", ps["parse_s"], ps["parse_postings_per_s"], "-"],
            ["split_passages + passage_document", ps["split_s"], ps["split_postings_per_s"], ps["split_passages_per_s"]],
            ["posting_tags (skills in the text)", ps["tag_s"], ps["tag_postings_per_s"], "-"],
            [
                "parse + split + tag",
                round(ps["parse_s"] + ps["split_s"] + ps["tag_s"], 2),
                ps["parse_split_tag_postings_per_s"],
                "-",
            ],
        ],
    )
    m, raw = ig["matcher"], ig["raw"]
    lines += [
        f"Embedding, on a seeded sample of {ig['postings']} postings ({m['passages']:,} passages): Matcher.index "
        f"{m['passages_per_s']} passages/s ({m['postings_per_s']} postings/s, peak RSS "
        f"{mb(m['peak_rss_bytes'])}), raw "
        f"`encode_documents` {raw['passages_per_s']} passages/s"
        + (" (mean of a run before and after): " if raw["bracket"] else ": ")
        + f"**matcher/raw {fmt(ig['ratio_matcher_over_raw_rate'], 3)}**. At that rate all "
        f"{ps['passages']:,} passages would take {fmt(ps['passages'] / m['passages_per_s'] / 3600, 1)} h.",
        "",
    ]
    lines += [
        f"Index of {rb['postings']:,} postings ({rb['passages']:,} passages) built by Matcher.index with "
        "**random unit vectors instead of embeddings** (real text, passages, metadata, tags and BM25): "
        "latency does not depend on the vector values; ranking quality is not measured here. Build "
        "(everything but embedding) "
        f"{rb['wall_s']} s, peak RSS {mb(rb['peak_rss_bytes'])}. Served with the real model: `Matcher.load` "
        f"{rq['load_s']} s, RSS {mb(rq['rss_loaded_bytes'])} loaded ({mb(rq['rss_model_bytes'])} with the model "
        "alone). Above 2,000 allowed postings the engine ranks FAISS + BM25 candidates instead of every posting.",
        "",
    ]
    rows = []
    for label, case in rq["cases"].items():
        for kind in ("skills", "cv"):
            c = case[kind]
            rows.append(
                [
                    label,
                    kind,
                    fmt(case.get(f"{kind}_examined")),
                    c["n"],
                    c["p50_ms"],
                    c["p99_ms"],
                    fmt(c.get("inner", {}).get("p50_ms")),
                    fmt(c.get("outside", {}).get("p50_ms")),
                ]
            )
    head = ["filter", "query", "postings scored", "n", "p50 ms", "p99 ms", "embedding p50 ms", "rest p50 ms"]
    lines += table(head, rows)
    lines += [f"Where the time goes at this size ({rq['profile']['note']}):", ""]
    lines += table(
        ["function", "calls", "cumulative ms/query", "own ms/query"],
        [[f"`{x['function']}`", x["calls"], x["cum_ms_per_query"], x["own_ms_per_query"]] for x in rq["profile"]["top"][:10]],
    )
    fz = rq["faiss"]
    lines += [f"FAISS single-query search on this passage index ({fz['vectors']:,} vectors, {fz['index']}):", ""]
    lines += table(
        ["search", "k", "OpenMP threads", "p50 ms", "p99 ms"],
        [[c["what"], c["k"], str(c["omp_threads"]), c["p50_ms"], c["p99_ms"]] for c in fz["cases"]],
    )
    lines += ann.markdown(r["ann"])
    return lines
