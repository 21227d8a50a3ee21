"""`segments`: the segment store at three sizes, each measured in this one run.

- 1,503 postings: the crocoder corpus with its real vectors (an index built by `matcher index`, or converted);
- 18,455 postings: RemoteWLB, real text (tags, terms, fields) with SYNTHETIC vectors (the model cannot embed it
  here in reasonable time): each posting gets a random topic direction, each passage that direction plus noise;
- 100,000 postings: RemoteWLB text repeated under new ids, SYNTHETIC vectors as above (~600k passages).

For each: open time and RSS; query work besides embedding (the query's vectors are embedded once with the real
model and cached, so a timed `match` runs everything else: text analysis, retrieval, fetch, scoring, results);
write cost (PUT of one real posting = its embedding, timed apart, plus the rest; DELETE); and at the sizes with an
IVF index, recall@10 of the passage search against exact search.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.speed.common import WORK, fmt, header, log, mb, ratio, stats, table
from bench.speed.corpus import crocoder_files, remotewlb_records, remotewlb_to_matcher
from bench.speed.worker import rss_bytes

SIZES = (1_503, 18_455, 100_000)
QUICK_SIZES = (1_503, 3_000)
WRITES, WRITES_QUICK = 15, 3
REPS, REPS_QUICK = 3, 1
TOPICS = 256


class CachedEmbedder:
    """The real model, with query embeddings cached (so a timed query measures everything but the model) and the
    time spent embedding documents recorded (so a write's own cost can be told apart from its embedding)."""

    def __init__(self) -> None:
        from matcher.embed import Embedder

        self.base = Embedder()
        self.cache: dict[tuple[str, ...], np.ndarray] = {}
        self.document_seconds = 0.0
        self.document_cpu = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def encode_queries(self, texts: Any) -> np.ndarray:
        key = tuple(texts)
        if key not in self.cache:
            self.cache[key] = self.base.encode_queries(texts)
        return self.cache[key]

    def encode_documents(self, texts: Any) -> np.ndarray:
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            return self.base.encode_documents(texts)
        finally:
            self.document_seconds += time.perf_counter() - start
            self.document_cpu += time.process_time() - start_cpu


def _synthetic(prepared: list[Any], dim: int, seed: int) -> list[Any]:
    from matcher.index.docs import IndexDoc

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((TOPICS, dim)).astype(np.float32)
    docs = []
    for p in prepared:
        centre = centres[rng.integers(TOPICS)]
        noise = rng.standard_normal((len(p.passages) + 2, dim)).astype(np.float32) * 0.6
        vectors = centre + noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        docs.append(IndexDoc(p, vectors[:-2], vectors[-2], vectors[-1]))
    return docs


def _remotewlb_prepared(limit: int | None) -> list[Any]:
    from matcher.errors import PostingError
    from matcher.index.docs import prepare
    from matcher.postings.parse import parse_json_record

    out = []
    for number, record in enumerate(remotewlb_records(), start=1):
        try:
            out.append(prepare(parse_json_record(remotewlb_to_matcher(record), f"remotewlb:{number}")))
        except PostingError:
            continue
        if limit and len(out) >= limit:
            break
    return out


def build_synthetic(root: Path, size: int, base: list[Any], embedder: CachedEmbedder) -> dict[str, Any]:
    """An index of `size` postings from `base` (repeated under new ids as needed), synthetic vectors, one write."""
    from matcher.index.store import SegmentStore
    from matcher.index.writer import _tag_vectors

    prepared = []
    for i in range(size):
        p = base[i % len(base)]
        if i >= len(base):
            p = replace(p, posting=replace(p.posting, id=f"{p.posting.id}-r{i // len(base)}"))
        prepared.append(p)
    shutil.rmtree(root, ignore_errors=True)
    store = SegmentStore(root, model_id=embedder.model_id, model_hash=embedder.model_hash, dimension=None)
    start = time.perf_counter()
    docs = _synthetic(prepared, embedder.dimension, seed=size)
    vectors_s = time.perf_counter() - start
    tags = _tag_vectors({t for p in prepared for t in p.tags}, store.open(must_exist=False), embedder.base)
    start = time.perf_counter()
    store.upsert(docs, tags)
    return {"postings": size, "passages": sum(len(p.passages) for p in prepared), "synthetic_vectors_s": round(vectors_s, 1),
            "write_s": round(time.perf_counter() - start, 1), "vectors": "synthetic"}


def _queries() -> list[dict[str, Any]]:
    from bench.speed.common import shared_dir

    path = shared_dir() / "eval" / "queries.dev.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _time_queries(matcher: Any, queries: list[dict[str, Any]], reps: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("skills", "cv", "profile"):
        chosen = [q for q in queries if q["kind"] == kind]
        for q in chosen:  # warm: embeddings cached, lazy structures built
            matcher.match_with_stats(q.get("text"), q.get("skills"), 10, {"include_archived": True})
        times, cpu, examined = [], [], []
        for _ in range(reps):
            for q in chosen:
                start, start_cpu = time.perf_counter(), time.process_time()
                _, n = matcher.match_with_stats(q.get("text"), q.get("skills"), 10, {"include_archived": True})
                cpu.append(time.process_time() - start_cpu)
                times.append(time.perf_counter() - start)
                examined.append(n)
        # CPU time as well as wall time: on a machine shared with other jobs, wall time measures the neighbours too.
        out[kind] = {**stats(times), "cpu": stats(cpu), "candidates_median": int(np.median(examined))}
    return out


def _one_write(matcher: Any, embedder: CachedEmbedder, posting: Any, tag: str) -> dict[str, float]:
    """PUT one real posting under a fresh id, then DELETE it: wall and CPU seconds, the embedding left out."""
    fresh = replace(posting, id=f"bench-put-{tag}-{posting.id}"[:200]).with_hash()
    embedder.document_seconds, embedder.document_cpu = 0.0, 0.0
    start, start_cpu = time.perf_counter(), time.process_time()
    matcher.upsert([fresh])
    total, total_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    out = {"put": total, "put_minus_embedding": total - embedder.document_seconds,
           "put_minus_embedding_cpu": total_cpu - embedder.document_cpu}
    start, start_cpu = time.perf_counter(), time.process_time()
    matcher.delete([fresh.id])
    out.update(delete=time.perf_counter() - start, delete_cpu=time.process_time() - start_cpu)
    return out


def _write_stats(samples: list[dict[str, float]]) -> dict[str, Any]:
    # CPU time leaves out waiting for other jobs (not for the disk: the kernel's fsync work counts). Wall time is
    # what a client waits, durability included.
    return {name: stats([x[name] for x in samples]) for name in samples[0]} if samples else {}


def _time_writes(matcher: Any, embedder: CachedEmbedder, postings: list[Any], n: int) -> dict[str, Any]:
    return _write_stats([_one_write(matcher, embedder, p, str(i)) for i, p in enumerate(postings[:n])])


def interleaved_writes(roots: dict[int, Path], postings: list[Any], n: int) -> dict[str, Any]:
    """The same writes at every size in turn (the starting size rotating), so that a busy disk or CPU weighs on
    every size alike and the ratio between sizes measures the index, not the moment."""
    from matcher.engine import Matcher

    embedder = CachedEmbedder()
    matchers = {size: Matcher.load(root, embedder=embedder) for size, root in roots.items()}
    sizes = list(matchers)
    samples: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
    for i, p in enumerate(postings[:n]):
        for size in sizes[i % len(sizes):] + sizes[:i % len(sizes)]:
            samples[size].append(_one_write(matchers[size], embedder, p, f"i{i}"))
    return {str(size): _write_stats(x) for size, x in samples.items()}


def _recall(matcher: Any, queries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """recall@10 of each IVF segment's passage search against exact search over the same passages."""
    from matcher.filters import Filters
    from matcher.query import Candidate, prepare

    view = matcher.view
    big = [(s, seg) for s, seg in enumerate(view.segments) if seg.ivf is not None]
    if not big:
        return None
    out: dict[str, Any] = {}
    for label, flt in (("unfiltered", Filters(include_archived=True)), ("tags_any python", Filters(tags_any=("python",)))):
        masks = view.allowed(flt)
        hits, total = 0, 0
        for q in queries:
            vectors = prepare(Candidate(q.get("text"), tuple(q.get("skills") or ())), view, matcher.embedder).vectors
            for s, seg in big:
                rows_ok = np.repeat(masks[s], np.diff(seg.passage_offsets))
                bits = np.packbits(rows_ok, bitorder="little")
                import faiss

                params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBitmap(len(rows_ok), faiss.swig_ptr(bits)),
                                                   nprobe=matcher.config.segments.ann_nprobe)
                _, approx = seg.ivf.search(np.ascontiguousarray(vectors), 10, params=params)
                sims = vectors @ np.asarray(seg.passages).T
                sims[:, ~rows_ok] = -np.inf
                exact = np.argsort(-sims, axis=1)[:, :10]
                for a, e in zip(approx, exact, strict=True):
                    hits += len(set(a.tolist()) & set(e.tolist()))
                    total += 10
        out[label] = round(hits / total, 3) if total else None
    out["nprobe"] = matcher.config.segments.ann_nprobe
    out["nlist"] = int(big[0][1].ivf.nlist)
    return out


def measure(root: Path, queries: list[dict[str, Any]], writes: list[Any], n_writes: int, reps: int) -> dict[str, Any]:
    from matcher.engine import Matcher

    embedder = CachedEmbedder()
    embedder.encode_queries(["warm up"])
    before = rss_bytes()
    start = time.perf_counter()
    matcher = Matcher.load(root, embedder=embedder)
    open_s = time.perf_counter() - start
    after = rss_bytes()
    q = queries[0]
    start = time.perf_counter()
    matcher.match(q.get("text"), q.get("skills"), k=10)
    first_s = time.perf_counter() - start
    n = len(matcher)
    out = {"postings": n, "passages": matcher.view.manifest.passages, "segments": len(matcher.view.manifest.segments),
           "ann": [seg.meta["ann"] for seg in matcher.view.segments], "open_s": round(open_s, 3),
           "first_query_s": round(first_s, 3), "rss_after_open_bytes": after,
           "rss_per_posting_bytes": round((after - before) / max(n, 1), 1)}
    out["query"] = _time_queries(matcher, queries, reps)
    out["recall"] = _recall(matcher, queries[:12])
    out["writes"] = _time_writes(matcher, embedder, writes, n_writes)
    return out


def run(args: Any, result: dict[str, Any]) -> dict[str, Any]:
    from matcher.engine import Matcher
    from matcher.postings import load_postings

    sizes = QUICK_SIZES if args.quick else SIZES
    reps = REPS_QUICK if args.quick else REPS
    n_writes = WRITES_QUICK if args.quick else WRITES
    queries = _queries()
    work = WORK / "segments"
    work.mkdir(parents=True, exist_ok=True)
    real = load_postings(crocoder_files()).postings
    writes = random.Random(3).sample(real, n_writes)
    result["params"] = {"sizes": list(sizes), "query_reps": reps, "writes": n_writes, "k": 10,
                        "filters": {"include_archived": True}}
    result["sizes"] = {}
    crocoder = args.load_index or (WORK.parent / "crocoder-index")
    base: list[Any] | None = None
    for size in sizes:
        root = work / f"index-{size}"
        if size == 1_503:
            log(f"{size}: copying the real crocoder index from {crocoder}")
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(crocoder, root)
            Matcher.load(root)  # fails clearly if it is not a segment index of the default model
            built = {"postings": size, "vectors": "real (all-MiniLM-L6-v2)"}
        else:
            if base is None:
                log("preparing RemoteWLB postings (cut, tags, terms)")
                start = time.perf_counter()
                base = _remotewlb_prepared(3_000 if args.quick else None)
                result["remotewlb_prepare_s"] = round(time.perf_counter() - start, 1)
            log(f"{size}: building a synthetic-vector index")
            built = build_synthetic(root, size, base, CachedEmbedder())
        log(f"{size}: measuring")
        result["sizes"][str(size)] = {"built": built, **measure(root, queries, writes, n_writes, reps)}
    log("writes at every size in turn")
    result["interleaved_writes"] = interleaved_writes({size: work / f"index-{size}" for size in sizes}, writes, n_writes)
    inter = result["interleaved_writes"]
    first, last = result["sizes"][str(sizes[0])], result["sizes"][str(sizes[-1])]
    result["ratios_interleaved"] = {
        name: ratio(inter[str(sizes[-1])][name]["p50_ms"], inter[str(sizes[0])][name]["p50_ms"])
        for name in ("put_minus_embedding", "put_minus_embedding_cpu", "delete")}
    result["ratios"] = {
        "put_minus_embedding_p50": ratio(last["writes"]["put_minus_embedding"]["p50_ms"],
                                         first["writes"]["put_minus_embedding"]["p50_ms"]),
        "delete_p50": ratio(last["writes"]["delete"]["p50_ms"], first["writes"]["delete"]["p50_ms"]),
        "put_minus_embedding_cpu_p50": ratio(last["writes"]["put_minus_embedding_cpu"]["p50_ms"],
                                             first["writes"]["put_minus_embedding_cpu"]["p50_ms"]),
    }
    return result


def markdown(r: dict[str, Any]) -> list[str]:
    lines = header(r, "Segments: writes, queries and opening at three sizes")
    rows = []
    for size, s in r["sizes"].items():
        w, q = s["writes"], s["query"]
        rows.append([size, s["built"]["vectors"], s["passages"], s["segments"], "+".join(s["ann"]), fmt(s["open_s"], 2),
                     mb(s["rss_after_open_bytes"]), fmt(s["rss_per_posting_bytes"] / 1024, 1),
                     fmt(w["put"]["p50_ms"]), fmt(w["put_minus_embedding"]["p50_ms"]), fmt(w["delete"]["p50_ms"]),
                     *(f"{fmt(q[k]['p50_ms'])} / {fmt(q[k]['p99_ms'])}" for k in ("skills", "cv", "profile"))])
    lines += table(["postings", "vectors", "passages", "segments", "search", "open s", "RSS", "KB/posting",
                    "PUT p50 ms", "PUT - embed p50", "DELETE p50", "skills p50/p99 ms", "CV p50/p99", "profile p50/p99"],
                   rows)
    if all("cpu" in s["query"][k] for s in r["sizes"].values() for k in ("skills", "cv", "profile")):
        lines += ["", "Query work besides embedding as process CPU time (p50 / p99 ms; one thread: robust to other jobs "
                      "on the machine, which inflate the wall times above):", ""]
        lines += table(["postings", "skills", "CV", "profile"],
                       [[size, *(f"{fmt(s['query'][k]['cpu']['p50_ms'])} / {fmt(s['query'][k]['cpu']['p99_ms'])}"
                                 for k in ("skills", "cv", "profile"))] for size, s in r["sizes"].items()])
    if all("put_minus_embedding_cpu" in s["writes"] for s in r["sizes"].values()):
        lines += ["", "Writes as process CPU time (p50 / p99 ms; leaves out waiting for other jobs, not the kernel's "
                      "fsync work):", ""]
        lines += table(["postings", "PUT - embed", "DELETE"],
                       [[size, *(f"{fmt(s['writes'][k]['p50_ms'])} / {fmt(s['writes'][k]['p99_ms'])}"
                                 for k in ("put_minus_embedding_cpu", "delete_cpu"))] for size, s in r["sizes"].items()])
    if r.get("interleaved_writes"):
        lines += ["", "The same writes at every size in turn (p50 / p99 ms), so a busy disk weighs on each size alike:", ""]
        lines += table(["postings", "PUT - embed wall", "PUT - embed CPU", "DELETE wall"],
                       [[size, *(f"{fmt(w[k]['p50_ms'])} / {fmt(w[k]['p99_ms'])}"
                                 for k in ("put_minus_embedding", "put_minus_embedding_cpu", "delete"))]
                        for size, w in r["interleaved_writes"].items()])
        ri = r["ratios_interleaved"]
        lines += ["", f"Ratios of those, largest over smallest size: PUT minus embedding p50 {ri['put_minus_embedding']} "
                      f"(CPU {ri['put_minus_embedding_cpu']}), DELETE p50 {ri['delete']}."]
    lines += ["", f"Ratios, largest over smallest size: PUT minus embedding p50 {r['ratios']['put_minus_embedding_p50']}, "
                  f"DELETE p50 {r['ratios']['delete_p50']}; PUT minus embedding CPU p50 "
                  f"{r['ratios'].get('put_minus_embedding_cpu_p50')}."]
    for size, s in r["sizes"].items():
        if s.get("recall"):
            rec = s["recall"]
            lines.append(f"- {size}: IVF (nlist {rec['nlist']}, nprobe {rec['nprobe']}) passage recall@10 against exact "
                         f"search: {rec['unfiltered']} unfiltered, {rec['tags_any python']} with tags_any python.")
    return lines
