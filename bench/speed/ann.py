"""The vector index alone at 10^6 synthetic vectors: IVF-Flat (what matcher would need there) against exact Flat."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bench.speed.common import fmt, mb, stats, table

DIM = 384
TRAIN_PER_LIST = 40  # FAISS wants >= 39 training points per list


def clustered(n: int, centers: np.ndarray, rng: np.random.Generator, chunk: int = 100_000) -> np.ndarray:
    """Unit vectors around random cluster centres (noise as large as the centre: cosine ~0.5 within a cluster)."""
    out = np.empty((n, centers.shape[1]), dtype=np.float32)
    scale = np.float32(1 / np.sqrt(centers.shape[1]))
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        x = centers[rng.integers(0, len(centers), size)] + scale * rng.standard_normal((size, centers.shape[1]), dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[start : start + size] = x
    return out


def trimmed_rss() -> int:
    """RSS after handing freed heap memory back to the OS, so that growth measured from here is real."""
    import ctypes

    from bench.speed.worker import rss_bytes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    return rss_bytes()


def index_bytes(index: Any) -> int:
    import faiss

    return int(faiss.serialize_index(index).nbytes)


def single_queries(index: Any, queries: np.ndarray, k: int) -> tuple[dict[str, Any], np.ndarray]:
    ids = np.empty((len(queries), k), dtype=np.int64)
    times = []
    index.search(queries[:1], k)
    for i, q in enumerate(queries):
        start = time.perf_counter()
        _, found = index.search(q[None, :], k)
        times.append(time.perf_counter() - start)
        ids[i] = found[0]
    return stats(times), ids


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return round(float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth, strict=True)])), 4)


def ann_child(
    n: int, nlist: int, nprobe: int = 16, queries: int = 200, flat_queries: int = 30, clusters: int | None = None, seed: int = 0
) -> dict[str, Any]:
    import faiss

    rng = np.random.default_rng(seed)
    clusters = clusters or max(n // 1_000, 10)
    centers = rng.standard_normal((clusters, DIM), dtype=np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    start = time.perf_counter()
    xb = clustered(n, centers, rng)
    xq = clustered(queries, centers, rng)  # held out: drawn like the data, not taken from it
    out: dict[str, Any] = {
        "n": n,
        "dimension": DIM,
        "clusters": clusters,
        "nlist": nlist,
        "nprobe": nprobe,
        "queries": queries,
        "seed": seed,
        "generate_s": round(time.perf_counter() - start, 2),
    }
    threads = faiss.omp_get_max_threads()

    rss = trimmed_rss()
    start = time.perf_counter()
    flat = faiss.IndexFlatIP(DIM)
    flat.add(xb)
    out["flat"] = {
        "build_s": round(time.perf_counter() - start, 2),
        "rss_growth_per_vector": round((trimmed_rss() - rss) / n, 1),
        "bytes_per_vector": round(index_bytes(flat) / n, 1),
    }
    start = time.perf_counter()
    _, truth = flat.search(xq, 10)  # batched, all threads: the ground truth
    out["flat"]["batch_search_s"] = round(time.perf_counter() - start, 2)
    faiss.omp_set_num_threads(1)
    out["flat"]["single_query"], _ = single_queries(flat, xq[:flat_queries], 10)
    faiss.omp_set_num_threads(threads)

    rss = trimmed_rss()
    quantizer = faiss.IndexFlatIP(DIM)
    ivf = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    train = xb[np.sort(rng.choice(n, size=min(n, nlist * TRAIN_PER_LIST), replace=False))]
    start = time.perf_counter()
    ivf.train(train)
    train_s = time.perf_counter() - start
    del train
    start = time.perf_counter()
    ivf.add(xb)
    add_s = time.perf_counter() - start
    growth = trimmed_rss() - rss  # before freeing the input vectors, or their pages would cancel the index's
    del xb
    out["ivf"] = {
        "train_s": round(train_s, 2),
        "add_s": round(add_s, 2),
        "build_s": round(train_s + add_s, 2),
        "train_points": min(n, nlist * TRAIN_PER_LIST),
        "rss_growth_per_vector": round(growth / n, 1),
        "bytes_per_vector": round(index_bytes(ivf) / n, 1),
        "bytes_per_vector_payload": DIM * 4 + 8,
    }
    faiss.omp_set_num_threads(1)
    sweep = []
    for probe in sorted({max(nprobe // 2, 1), nprobe, nprobe * 4}):
        ivf.nprobe = probe
        lat, found = single_queries(ivf, xq, 10)
        sweep.append({"nprobe": probe, "recall_at_10": recall(found, truth), **lat})
    ivf.nprobe = nprobe
    lat2000, _ = single_queries(ivf, xq[:50], 2_000)
    faiss.omp_set_num_threads(threads)
    out["ivf"]["sweep"] = sweep
    out["ivf"]["single_query_k2000"] = lat2000
    main = next(s for s in sweep if s["nprobe"] == nprobe)
    out["ivf"]["single_query"] = {k: v for k, v in main.items() if k != "nprobe"}
    out["speedup_flat_over_ivf_p50"] = round(out["flat"]["single_query"]["p50_ms"] / main["p50_ms"], 1)
    return out


def markdown(a: dict[str, Any]) -> list[str]:
    f, v = a["flat"], a["ivf"]
    lines = [
        f"Vector index alone: {a['n']:,} synthetic {a['dimension']}-d unit vectors in {a['clusters']:,} clusters "
        f"(seed {a['seed']}, generated in {a['generate_s']} s), {a['queries']} held-out queries from the same "
        f"distribution; single queries at 1 OpenMP thread; ground truth = exact Flat search.",
        "",
    ]
    fq = f["single_query"]
    rows = [
        [
            "Flat (exact; what FaissStore is today)",
            f["build_s"],
            fq["n"],
            fq["p50_ms"],
            fq["p99_ms"],
            "1.0",
            fmt(f["bytes_per_vector"], 0),
            fmt(f["rss_growth_per_vector"], 0),
        ]
    ]
    for s in v["sweep"]:
        rows.append(
            [
                f"IVF-Flat nlist {a['nlist']:,}, nprobe {s['nprobe']}",
                v["build_s"],
                s["n"],
                s["p50_ms"],
                s["p99_ms"],
                f"{s['recall_at_10']:.4f}",
                fmt(v["bytes_per_vector"], 0),
                fmt(v["rss_growth_per_vector"], 0),
            ]
        )
    lines += table(
        ["index", "build s", "queries", "p50 ms", "p99 ms", "recall@10", "bytes/vector (index)", "RSS growth/vector"], rows
    )
    payload = v["bytes_per_vector_payload"]
    lines += [
        f"- IVF build = train {v['train_s']} s on {v['train_points']:,} points + add {v['add_s']} s; payload "
        f"{payload} bytes/vector (float32 + id), so {mb(a['n'] * payload)} for {a['n']:,} vectors.",
        f"- Flat p50 / IVF p50 (nprobe {a['nprobe']}): {a['speedup_flat_over_ivf_p50']}x. At the engine's "
        f"candidate k = 2,000, IVF (nprobe {a['nprobe']}) p50 {v['single_query_k2000']['p50_ms']} ms, p99 "
        f"{v['single_query_k2000']['p99_ms']} ms.",
        "",
    ]
    return lines
