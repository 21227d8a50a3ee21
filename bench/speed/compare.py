"""`compare`: ingest speed and query latency of this working tree's `matcher` against `matcher` at a git revision,
measured in one run and interleaved (ref, current, ref, current, ...) so that the ratio survives a noisy machine."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.speed.common import REPO, WORK, fmt, header, load_average, log, mb, ratio, require, run_load, shared_dir, table
from bench.speed.corpus import crocoder_files, sample
from bench.speed.worker import run_child

REF = "1d7a28d"  # the engine before the ranking-quality work
SAMPLE, QUICK_SAMPLE = 40, 6
QUERIES = {"skills": 20, "text": 8}
QUICK_QUERIES = {"skills": 5, "text": 2}
ROUNDS, QUICK_ROUNDS = 2, 1
INGEST_THREADS, QUERY_THREADS = 2, 1
K = 10
FILTERS = {"include_archived": True}  # every posting is a candidate, as in the query report
LIMIT = 2.0  # the rule: the new engine no worse than 2x the old one
SIDES = ("ref", "current")
RULE_KEYS = {"ingest_s": "ingest", "skills_p50_ms": "skills p50", "text_p50_ms": "text p50"}


# -- child side --------------------------------------------------------------------------------------------
def check_tree(root: str) -> str:
    """The imported `matcher` must be the copy in `root` (a stray install or PYTHONPATH would compare the wrong code)."""
    import matcher

    where = Path(matcher.__file__).resolve()
    if where.parent != Path(root).resolve() / "matcher":
        raise RuntimeError(f"matcher imported from {where}, expected {Path(root) / 'matcher'}")
    return str(where)


def side_child(
    root: str, paths: list[str], queries: dict[str, list[dict[str, Any]]], ingest_threads: int, query_threads: int
) -> dict[str, Any]:
    """Index `paths` with `Matcher.upsert` into an empty folder, then time `Matcher.match` per query kind."""
    import torch

    matcher_file = check_tree(root)
    from bench.speed.embedders import TimingEmbedder, warm
    from matcher.engine import Matcher
    from matcher.postings import load_postings

    postings = load_postings(paths).postings  # parsing is outside the timing (the same code in both trees)
    torch.set_num_threads(ingest_threads)
    embedder = TimingEmbedder()
    loaded = warm(embedder)
    with tempfile.TemporaryDirectory(dir=WORK, prefix=".compare-") as tmp:
        matcher = Matcher.open(tmp, embedder=embedder)
        ingest = timed_upsert(matcher, postings, embedder)
        torch.set_num_threads(query_threads)
        latency = query_latency(matcher, queries)
    return {"matcher_file": matcher_file, **loaded, "ingest": ingest, "queries": latency}


def load_child(root: str, index: str) -> dict[str, Any]:
    """Time `Matcher.load` of an existing index (its own process, so the peak RSS is the load's)."""
    matcher_file = check_tree(root)
    from matcher.engine import Matcher

    started = time.perf_counter()
    matcher = Matcher.load(index)
    return {"matcher_file": matcher_file, "load_s": round(time.perf_counter() - started, 2), "postings": len(matcher)}


def timed_upsert(matcher: Any, postings: list[Any], embedder: Any) -> dict[str, Any]:
    """`upsert` of every posting at once; passages from the build stats (both revisions report them)."""
    import torch

    start = time.perf_counter()
    stats = matcher.upsert(postings)
    wall = time.perf_counter() - start
    passages = getattr(stats, "passages_embedded", None)
    documents = embedder.summary().get("documents", {})
    calls = [[n, chars, round(seconds, 3)] for side, n, chars, seconds in embedder.calls if side == "documents"]
    embedder.calls.clear()
    return {
        "torch_threads": torch.get_num_threads(),
        "wall_s": round(wall, 3),
        "postings": len(matcher),
        "passages": passages,
        "passages_per_s": round(passages / wall, 2) if passages else None,
        "texts_embedded": documents.get("texts"),
        "encode_s": documents.get("seconds"),
        "encode_calls": calls,  # [texts, characters, seconds] in build order: passages, titles, (heads,) tag names
    }


def query_latency(matcher: Any, queries: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """One warm-up query per kind, then each kind's queries one at a time from a pool thread (as a server runs them)."""
    import torch

    def one(item: dict[str, Any]) -> None:
        matcher.match(**item, k=K, filters=FILTERS)

    for items in queries.values():
        one(items[0])
    out: dict[str, Any] = {"torch_threads": torch.get_num_threads()}
    for kind, items in queries.items():
        out[kind] = run_load(one, items, len(items), 1)
    return out


# -- parent side -------------------------------------------------------------------------------------------
def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()


def export_ref(rev: str) -> dict[str, Any]:
    """`git archive REV matcher | tar -x` into bench/out/speed/ref-SHORTSHA/, once (an existing export is reused)."""
    try:
        sha = git("rev-parse", "--short", "--verify", f"{rev}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(f"error: --ref {rev!r} is not a commit of this repository") from None
    root = WORK / f"ref-{sha}"
    if not (root / "matcher" / "__init__.py").is_file():
        log(f"exporting matcher at {sha} to {root.relative_to(REPO)}")
        partial = WORK / f".ref-{sha}-partial"  # renamed when complete, so an interrupted export is never reused
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", sha, "matcher"], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(partial)], input=archive, check=True)
        shutil.rmtree(root, ignore_errors=True)
        os.replace(partial, root)
    return {"rev": rev, "sha": sha, "subject": git("log", "-1", "--format=%s", sha), "root": str(root)}


def uncommitted() -> list[str]:
    """Files under matcher/ that differ from HEAD: the 'current' side is the working tree, edits included."""
    return git("status", "--porcelain", "--", "matcher").splitlines()


def pick_queries(counts: dict[str, int], seed: int) -> dict[str, list[dict[str, Any]]]:
    """Skills lists (kind 'skills') and texts alternating CVs and profiles, from the dev queries; seeded, so both
    sides get the same ones. A kind with fewer queries than asked for is cycled."""
    path = require(shared_dir() / "eval" / "queries.dev.jsonl", "the dev queries")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    skills = [{"skills": list(q["skills"])} for q in rows if q.get("kind") == "skills" and q.get("skills")]
    cvs = [{"text": q["text"]} for q in rows if q.get("kind") == "cv" and q.get("text")]
    profiles = [{"text": q["text"]} for q in rows if q.get("kind") == "profile" and q.get("text")]
    if not skills or not cvs or not profiles:
        raise SystemExit(f"error: {path} holds no skills, cv or profile queries")
    half = (counts["text"] + 1) // 2
    texts = [q for pair in zip(sample(cvs, half, seed), sample(profiles, half, seed), strict=False) for q in pair]
    return {"skills": cycle(sample(skills, counts["skills"], seed), counts["skills"]), "text": cycle(texts, counts["text"])}


def cycle(items: list[Any], n: int) -> list[Any]:
    return [items[i % len(items)] for i in range(n)]


def flat(run: dict[str, Any]) -> dict[str, Any]:
    """The figures compared, from one child's result."""
    ingest, q = run["ingest"], run["queries"]
    return {
        "ingest_s": ingest["wall_s"],
        "passages_per_s": ingest["passages_per_s"],
        "texts_embedded": ingest["texts_embedded"],
        "skills_p50_ms": q["skills"]["p50_ms"],
        "skills_p90_ms": q["skills"]["p90_ms"],
        "text_p50_ms": q["text"]["p50_ms"],
        "text_p90_ms": q["text"]["p90_ms"],
        "peak_rss_bytes": run["peak_rss_bytes"],
        "load_s": run["load"]["load_s"] if "load" in run else None,
        "load_peak_rss_bytes": run["load"]["peak_rss_bytes"] if "load" in run else None,
    }


def median(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def summarise(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per side the median over rounds of each figure; current/ref ratios; does the 2x rule hold?"""
    medians = {side: {key: median([flat(r)[key] for r in rs]) for key in flat(rs[0])} for side, rs in runs.items()}
    ratios = {key: ratio(medians["current"][key], medians["ref"][key]) for key in medians["ref"]}
    rule = [ratios[key] for key in RULE_KEYS]
    return {"median": medians, "ratio_current_over_ref": ratios, "rule_holds": all(x is not None and x <= LIMIT for x in rule)}


def run(args: Any, result: dict[str, Any]) -> dict[str, Any]:
    ref = export_ref(args.ref or REF)
    counts = QUICK_QUERIES if args.quick else QUERIES
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else ROUNDS)
    paths = [str(p) for p in sample(crocoder_files(), QUICK_SAMPLE if args.quick else args.sample or SAMPLE, args.seed)]
    queries = pick_queries(counts, args.seed)
    trees = {"ref": Path(ref["root"]), "current": REPO}
    result["params"] = {
        "ref": ref,
        "postings_sampled": len(paths),
        "seed": args.seed,
        "queries": counts,
        "rounds": rounds,
        "ingest_threads": INGEST_THREADS,
        "query_threads": QUERY_THREADS,
        "k": K,
        "filters": FILTERS,
        "uncommitted_at_start": uncommitted(),
        "load_index": str(args.load_index) if args.load_index else None,
    }
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
    for i in range(rounds):
        for side in SIDES:
            log(f"round {i + 1}/{rounds}, {side}: upsert {len(paths)} postings, then {counts} queries")
            before = load_average()
            out = run_child_in(trees[side], paths, queries)
            if args.load_index:
                log(f"round {i + 1}/{rounds}, {side}: Matcher.load({args.load_index})")
                out["load"] = run_child("bench.speed.compare:load_child", tree=trees[side], root=str(trees[side]),
                                        index=str(Path(args.load_index).resolve()))
            runs[side].append({**out, "round": i + 1, "load_average": [before, load_average()]})
    result["params"]["uncommitted_at_end"] = uncommitted()
    result["runs"] = runs
    result.update(summarise(runs))
    return result


def run_child_in(tree: Path, paths: list[str], queries: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return run_child(
        "bench.speed.compare:side_child",
        tree=tree,
        root=str(tree),
        paths=paths,
        queries=queries,
        ingest_threads=INGEST_THREADS,
        query_threads=QUERY_THREADS,
    )


# -- Markdown ----------------------------------------------------------------------------------------------
ROWS = (
    ("ingest s (`upsert`)", "ingest_s"),
    ("passages/s", "passages_per_s"),
    ("texts embedded at ingest", "texts_embedded"),
    ("skills query p50 ms", "skills_p50_ms"),
    ("skills query p90 ms", "skills_p90_ms"),
    ("text query p50 ms", "text_p50_ms"),
    ("text query p90 ms", "text_p90_ms"),
    ("peak RSS", "peak_rss_bytes"),
    ("`Matcher.load` s (`--load-index`)", "load_s"),
    ("peak RSS of the load", "load_peak_rss_bytes"),
)


def markdown(r: dict[str, Any]) -> list[str]:
    p, med, ratios = r["params"], r["median"], r["ratio_current_over_ref"]
    ref, first = p["ref"], r["runs"]["current"][0]
    dirty = len(p["uncommitted_at_start"])
    lines = header(r, f"Compare: this working tree vs `{ref['sha']}` (ingest and query latency)")
    lines += [
        f"ref = `matcher` at `{ref['sha']}` ({ref['subject']}), exported to `{Path(ref['root']).relative_to(REPO)}`; "
        f"current = the working tree ({dirty} uncommitted file(s) under matcher/ at the start). Each side: a fresh "
        f"process, `Matcher.upsert` of {p['postings_sampled']} crocoder postings (seeded sample, seed {p['seed']}; "
        f"{first['ingest']['passages']} passages) into an empty folder with torch at {p['ingest_threads']} threads, "
        f"then {p['queries']['skills']} skills-list and {p['queries']['text']} CV/profile `match` calls (k = {p['k']}, "
        f"archived included) one at a time with torch at {p['query_threads']} thread, after one warm-up query per kind. "
        f"Sides interleaved (ref, current) for {p['rounds']} round(s); the figures are medians over rounds; model "
        "load and parsing are outside every timing.",
        "",
    ]
    rows = []
    for label, key in ROWS:
        if all(med[s][key] is None for s in SIDES):
            continue
        shown = [mb(med[s][key]) if key.endswith("rss_bytes") else med[s][key] for s in SIDES]
        rows.append([label, *shown, fmt(ratios[key], 2)])
    lines += table(["", f"ref `{ref['sha']}`", "current", "current / ref"], rows)
    lines += table(["round", "side", "ingest s", "skills p50 ms", "text p50 ms", "1-min load (start -> end)"], round_rows(r))
    verdict = "**holds**" if r["rule_holds"] else "**does not hold**"
    shown = ", ".join(f"{name} {fmt(ratios[key], 2)}x" for key, name in RULE_KEYS.items())
    lines += [f"- Rule (the issue): current no worse than {LIMIT:g}x the ref on ingest time and query p50: {verdict} "
              f"({shown}).", ""]
    return lines


def round_rows(r: dict[str, Any]) -> list[list[Any]]:
    """Every run in the order it ran, to show how much the machine moved between rounds."""
    rows = []
    for i in range(r["params"]["rounds"]):
        for side in SIDES:
            run = r["runs"][side][i]
            q, load = run["queries"], run["load_average"]
            rows.append([str(run["round"]), side, run["ingest"]["wall_s"], q["skills"]["p50_ms"], q["text"]["p50_ms"],
                         f"{load[0][0]} -> {load[1][0]}"])
    return rows
