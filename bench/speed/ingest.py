"""`ingest`: `Matcher.index` throughput and peak RSS, next to raw `encode_documents` of the same passages."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.speed.common import REPO, WORK, fmt, header, load_average, log, mb, ratio, table
from bench.speed.corpus import crocoder_files, passage_texts, sample
from bench.speed.worker import rss_bytes, run_child

SAMPLE = 200
QUICK_SAMPLE = 4
FULL_RAW_SAMPLE = 1_000  # passages per raw-encode bracket in --full mode (the whole corpus would take 12 min more)


# -- child side --------------------------------------------------------------------------------------------
def index_child(paths: list[str], index_dir: str, random_vectors: bool = False) -> dict[str, Any]:
    """Build an index with `Matcher.index` (model loaded and warmed first, outside the timing)."""
    from bench.speed.embedders import RandomEmbedder, TimingEmbedder, warm
    from matcher.engine import Matcher

    embedder = RandomEmbedder() if random_vectors else TimingEmbedder()
    loaded = warm(embedder)
    rss_loaded = rss_bytes()
    matcher = Matcher.open(index_dir, embedder=embedder)
    start = time.perf_counter()
    report = matcher.index(paths)
    wall = time.perf_counter() - start
    return {
        **loaded,
        "rss_after_load_bytes": rss_loaded,
        "wall_s": round(wall, 3),
        "postings": report.postings,
        "indexed": report.indexed,
        "rejected": len(report.rejected),
        "passages": report.passages_embedded,
        "engine_seconds": report.seconds,
        "encode": embedder.summary() if isinstance(embedder, TimingEmbedder) else {},
        "calls": embedder.calls if isinstance(embedder, TimingEmbedder) else [],
    }


def raw_child(texts_file: str) -> dict[str, Any]:
    """The baseline: one `Embedder.encode_documents` call (SentenceTransformer.encode) over the texts."""
    from bench.speed.embedders import TimingEmbedder, warm

    texts = json.loads(Path(texts_file).read_text())
    embedder = TimingEmbedder()
    loaded = warm(embedder)
    rss_loaded = rss_bytes()
    start = time.perf_counter()
    vectors = embedder.encode_documents(texts)
    wall = time.perf_counter() - start
    return {
        **loaded,
        "rss_after_load_bytes": rss_loaded,
        "wall_s": round(wall, 3),
        "passages": len(texts),
        "chars": sum(len(t) for t in texts),
        "dimension": int(vectors.shape[1]),
    }


# -- parent side -------------------------------------------------------------------------------------------
def measure(paths: list[Path], texts: list[str], raw_texts: list[str], index_dir: Path, bracket: bool = True) -> dict[str, Any]:
    """Raw encode, then Matcher.index, then (with `bracket`) raw encode again: the machine's speed drifts."""
    WORK.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=WORK, prefix=".index-"))
    texts_file = tmp / "texts.json"
    texts_file.write_text(json.dumps(raw_texts))
    try:
        log(f"raw encode of {len(raw_texts)} passages (before)")
        raw_before = run_child("bench.speed.ingest:raw_child", texts_file=str(texts_file))
        load = [load_average()]
        log(f"Matcher.index of {len(texts)} passages")
        built = run_child("bench.speed.ingest:index_child", paths=[str(p) for p in paths], index_dir=str(tmp / "index"))
        load.append(load_average())
        raw_after = raw_before
        if bracket:
            log(f"raw encode of {len(raw_texts)} passages (after)")
            raw_after = run_child("bench.speed.ingest:raw_child", texts_file=str(texts_file))
            load.append(load_average())
        if index_dir.exists():
            shutil.rmtree(index_dir)
        os.replace(tmp / "index", index_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summarise(built, raw_before, raw_after, len(texts), load)


def split_calls(calls: list[list[Any]], passages: int) -> tuple[float, tuple[int, float]]:
    """Seconds spent on the passage texts, and (texts, seconds) on the rest (titles, tag names). build.py encodes the
    passages first, in chunks; the calls that add up to `passages` texts are those."""
    seen, passage_s, other_n, other_s = 0, 0.0, 0, 0.0
    for side, n, _, seconds in calls:
        if side != "documents":
            continue
        if seen < passages:
            seen += n
            passage_s += seconds
        else:
            other_n += n
            other_s += seconds
    return passage_s, (other_n, other_s)


def summarise(
    built: dict[str, Any], before: dict[str, Any], after: dict[str, Any], passages: int, load: list[list[float]]
) -> dict[str, Any]:
    raw_rates = [r["passages"] / r["wall_s"] for r in (before, after)]
    raw_rate = sum(raw_rates) / 2
    wall = built["wall_s"]
    rate = built["passages"] / wall if wall else None
    encode = built.get("encode", {}).get("documents", {})
    passages_s, rest = split_calls(built.get("calls", []), built["passages"])
    return {
        "matcher": {
            **built,
            "postings_per_s": round(built["postings"] / wall, 2),
            "passages_per_s": round(rate or 0, 2),
            "non_embedding_s": round(wall - encode.get("seconds", 0), 3),
            "passage_encode_s": round(passages_s, 3),
            "other_texts": rest[0],
            "other_encode_s": round(rest[1], 3),
        },
        "raw": {
            "before": before,
            "after": after,
            "passages_per_s": round(raw_rate, 2),
            "bracket": after is not before,
            "drift": ratio(raw_rates[1], raw_rates[0], 3),
        },
        "ratio_passage_encode_over_raw_rate": ratio(built["passages"] / passages_s if passages_s else None, raw_rate, 3),
        "passages_expected": passages,
        "ratio_matcher_over_raw_rate": ratio(rate, raw_rate, 3),
        "raw_time_for_same_passages_s": round(built["passages"] / raw_rate, 2),
        "load_average_after_phases": load,
    }


def run(args: Any, result: dict[str, Any]) -> dict[str, Any]:
    files = crocoder_files()
    n = None if args.full else (QUICK_SAMPLE if args.quick else args.sample or SAMPLE)
    chosen = sample(files, n, args.seed)
    from matcher.postings import load_postings

    postings = load_postings(chosen).postings
    texts = passage_texts(postings)
    raw_texts = sample(texts, FULL_RAW_SAMPLE, args.seed) if args.full and not args.quick else texts
    name = "crocoder-index" if args.full else ("crocoder-quick-index" if args.quick else "crocoder-sample-index")
    index_dir = WORK / name
    result["params"] = {
        "corpus_files": len(files),
        "postings_sampled": len(chosen),
        "seed": args.seed,
        "full": bool(args.full),
        "passages": len(texts),
        "raw_passages": len(raw_texts),
        "body_chars": sum(len(p.body) for p in postings),
        "index_dir": str(index_dir),
    }
    result.update(measure(chosen, texts, raw_texts, index_dir, bracket=not args.quick))
    return result


def markdown(r: dict[str, Any]) -> list[str]:
    p, m, raw = r["params"], r["matcher"], r["raw"]
    scope = (
        "the whole corpus"
        if p["full"]
        else f"a seeded random sample of {p['postings_sampled']} of the {p['corpus_files']} postings (seed {p['seed']})"
    )
    enc = m.get("encode", {}).get("documents", {})
    lines = header(r, "Ingest: Matcher.index vs raw encode (crocoder)")
    lines += [
        f"Indexed {scope}: {m['postings']} postings, {m['passages']} passages, "
        f"{p['body_chars']:,} body characters. Raw encode = one `Embedder.encode_documents` call over "
        f"{'a seeded sample of ' if p['raw_passages'] < p['passages'] else ''}{p['raw_passages']} of the same "
        "passage texts, in its own process "
        + ("before and after the build (the mean of the two is the baseline)" if raw["bracket"] else "before the build")
        + ". Model load and warm-up are outside every timing.",
        "",
    ]
    lines += table(
        ["", "wall s", "postings/s", "passages/s", "peak RSS", "RSS after model load"],
        [
            [
                "Matcher.index",
                m["wall_s"],
                m["postings_per_s"],
                m["passages_per_s"],
                mb(m["peak_rss_bytes"]),
                mb(m["rss_after_load_bytes"]),
            ],
            *[
                [
                    f"raw encode ({when})",
                    raw[when]["wall_s"],
                    "-",
                    round(raw[when]["passages"] / raw[when]["wall_s"], 2),
                    mb(raw[when]["peak_rss_bytes"]),
                    mb(raw[when]["rss_after_load_bytes"]),
                ]
                for when in (("before", "after") if raw["bracket"] else ("before",))
            ],
        ],
    )
    lines += [
        f"- **matcher/raw passages per second: {fmt(r['ratio_matcher_over_raw_rate'], 3)}** "
        f"(raw drift after/before {fmt(raw['drift'], 3)}); raw encode would take "
        f"{fmt(r['raw_time_for_same_passages_s'])} s for the same {m['passages']} passages.",
        f"- Inside Matcher.index: {fmt(enc.get('seconds'), 1)} s in `encode_documents` ({enc.get('calls', 0)} calls): "
        f"{fmt(m['passage_encode_s'], 1)} s for the {m['passages']:,} passages and {fmt(m['other_encode_s'], 1)} s "
        f"for {m['other_texts']:,} more texts (posting titles and the tag vocabulary's names); the passages alone "
        f"encode at {fmt(r['ratio_passage_encode_over_raw_rate'], 3)}x the raw rate; "
        f"{fmt(m['non_embedding_s'], 1)} s for everything else (parsing, splitting, tagging, BM25, writing).",
        f"- The index is kept in `{Path(p['index_dir']).relative_to(REPO)}`" + (" for the query report." if p["full"] else "."),
        "",
    ]
    return lines
