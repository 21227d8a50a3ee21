"""Filtered top-10 search at scale, synthetic vectors (labelled as such): Milvus Lite (HNSW or IVF_FLAT, measured
after a flush and reload, when the real index answers) beside the FAISS store's two index types (exact Flat and
IVF, filters as an ID bitmap, as `matcher.index.view` searches), each against exact search for recall@10.

    PYTHONPATH=. python -m bench.scaleout.milvus_scale --n 100000
    PYTHONPATH=. python -m bench.scaleout.milvus_scale --n 1000000 --index IVF_FLAT --params 16,64
    PYTHONPATH=. python -m bench.scaleout.milvus_scale --n 200000 --insert-only   # insertion rate, to extrapolate

Markdown on stdout, progress on stderr. The data is clustered unit vectors (dim 384) with two filter fields.
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

DIM = 384
FILTERS = {  # name -> (Milvus expression, NumPy predicate over (job, archived))
    "job_type = software, not archived (~48%)": ('job_type == "software" and archived == false',
                                                 lambda job, arch: (job == 0) & ~arch),
    "job_type = sales (~10%)": ('job_type == "sales"', lambda job, arch: job == 2),
}
JOBS = ("software", "design", "sales")
INSERT_BATCH = 5_000


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def data(n: int, queries: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((max(16, n // 500), DIM)).astype(np.float32)
    x = centers[rng.integers(0, len(centers), n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    job = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    archived = rng.random(n) < 0.2
    q = x[rng.integers(0, n, queries)] + 0.3 * rng.standard_normal((queries, DIM)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return x, job, archived, q.astype(np.float32)


def exact(x: np.ndarray, q: np.ndarray, allowed: np.ndarray, k: int = 10) -> list[set[int]]:
    ids = np.flatnonzero(allowed)
    sims = q @ x[ids].T
    return [set(ids[np.argsort(-row)[:k]].tolist()) for row in sims]


def pct(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)) * 1000, float(np.percentile(values, 99)) * 1000


def recall(found: list[set[int]], truth: list[set[int]]) -> float:
    return float(np.mean([len(f & t) / max(len(t), 1) for f, t in zip(found, truth, strict=True)]))


def milvus(x: np.ndarray, job: np.ndarray, archived: np.ndarray, q: np.ndarray, folder: Path, kind: str,
           params: tuple[int, ...], insert_only: bool) -> tuple[list[tuple[str, str, float, float, float]], dict[str, float]]:
    from pymilvus import DataType, MilvusClient

    client = MilvusClient(str(folder / "scale.db"))
    schema = client.create_schema(auto_id=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("job_type", DataType.VARCHAR, max_length=32)
    schema.add_field("archived", DataType.BOOL)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    index = client.prepare_index_params()
    nlist = max(16, int(4 * np.sqrt(len(x))))  # as matcher.index.store._ivf
    build = {"HNSW": {"M": 16, "efConstruction": 64}, "IVF_FLAT": {"nlist": nlist}, "FLAT": {}}[kind]
    index.add_index("vector", index_type=kind, metric_type="IP", params=build)
    client.create_collection("scale", schema=schema, index_params=index)
    costs: dict[str, float] = {}
    t0 = time.perf_counter()
    for start in range(0, len(x), INSERT_BATCH):
        stop = min(start + INSERT_BATCH, len(x))
        client.insert("scale", [{"row": i, "job_type": JOBS[j], "archived": bool(a), "vector": v}
                                for i, j, a, v in zip(range(start, stop), job[start:stop].tolist(),
                                                      archived[start:stop].tolist(), x[start:stop].tolist(), strict=True)])
        if (stop // INSERT_BATCH) % 20 == 0:
            log(f"milvus: inserted {stop:,} ({stop / (time.perf_counter() - t0):,.0f} rows/s)")
    costs["insert"] = time.perf_counter() - t0
    log(f"milvus: inserted {len(x):,} in {costs['insert']:.1f} s")
    t0 = time.perf_counter()
    client.flush("scale")
    client.release_collection("scale")
    client.load_collection("scale")
    costs["flush_reload"] = time.perf_counter() - t0
    log(f"milvus: flush + reload {costs['flush_reload']:.1f} s")
    rows = []
    label, key = {"HNSW": ("HNSW (M 16, ef {})", "ef"), "IVF_FLAT": (f"IVF_FLAT (nlist {nlist}, nprobe {{}})", "nprobe"),
                  "FLAT": ("FLAT (exact, what matcher creates)", "unused")}[kind]
    params = params if kind != "FLAT" else params[:1]
    for name, (expr, pred) in ({} if insert_only else FILTERS).items():
        truth = exact(x, q, pred(job, archived))
        for value in params:
            found, times = [], []
            for vec in q:
                t0 = time.perf_counter()
                hits = client.search("scale", data=[vec.tolist()], limit=10, filter=expr,
                                     search_params={"metric_type": "IP", "params": {key: value}})
                times.append(time.perf_counter() - t0)
                found.append({int(h["row"]) for h in hits[0]})
            p50, p99 = pct(times[5:])
            costs.setdefault("first_search", times[0])  # includes building the index if Lite builds it lazily
            rows.append((f"Milvus Lite {label.format(value)}, after reload", name, p50, p99, recall(found, truth)))
            log(f"milvus {kind} {key} {value} {name}: p50 {p50:.1f} ms recall {rows[-1][-1]:.3f}")
    client.close()
    return rows, costs


def faiss_rows(x: np.ndarray, job: np.ndarray, archived: np.ndarray,
               q: np.ndarray) -> tuple[list[tuple[str, str, float, float, float]], dict[str, float]]:
    import faiss

    faiss.omp_set_num_threads(1)  # single queries: threads only cost (MEASURED.md)
    n = len(x)
    flat = faiss.IndexFlatIP(DIM)
    flat.add(x)
    nlist = max(16, int(4 * np.sqrt(n)))  # as matcher.index.store._ivf
    t0 = time.perf_counter()
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(x[np.random.default_rng(0).choice(n, size=min(n, nlist * 64), replace=False)])
    ivf.add_with_ids(x, np.arange(n, dtype=np.int64))
    costs = {"ivf_build": time.perf_counter() - t0}
    rows = []
    for name, (_, pred) in FILTERS.items():
        allowed = pred(job, archived)
        truth = exact(x, q, allowed)
        bits = np.packbits(allowed, bitorder="little")
        selector = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bits))
        for label, index, params in (
                ("FAISS Flat (exact), bitmap filter", flat, faiss.SearchParameters(sel=selector)),
                ("FAISS IVF (nlist 4*sqrt(n), nprobe 16), bitmap filter", ivf,
                 faiss.SearchParametersIVF(sel=selector, nprobe=16))):
            found, times = [], []
            for vec in q:
                t0 = time.perf_counter()
                _, ids = index.search(vec[None, :], 10, params=params)
                times.append(time.perf_counter() - t0)
                found.append({int(i) for i in ids[0] if i >= 0})
            p50, p99 = pct(times[5:])
            rows.append((label, name, p50, p99, recall(found, truth)))
            log(f"{label} {name}: p50 {p50:.2f} ms recall {rows[-1][-1]:.3f}")
    return rows, costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="synthetic passage vectors (default %(default)s)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--index", default="HNSW", choices=("HNSW", "IVF_FLAT", "FLAT"), help="Milvus index type")
    parser.add_argument("--params", "--ef", default="64,256",
                        help="search parameters to measure: ef (HNSW) or nprobe (IVF_FLAT) (default %(default)s)")
    parser.add_argument("--insert-only", action="store_true", help="time inserting and indexing only, no search")
    parser.add_argument("--skip-faiss", action="store_true")
    args = parser.parse_args()
    from importlib.metadata import version

    t0 = time.perf_counter()
    x, job, archived, q = data(args.n, args.queries)
    log(f"generated {args.n:,} vectors in {time.perf_counter() - t0:.0f} s")
    folder = Path(tempfile.mkdtemp(prefix="matcher-scale-"))
    try:
        m_rows, m_costs = milvus(x, job, archived, q, folder, args.index, tuple(int(e) for e in args.params.split(",")),
                                 args.insert_only)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.insert_only:
        print(f"insert {args.n:,}: {m_costs['insert']:.0f} s ({args.n / m_costs['insert']:,.0f} rows/s); flush + "
              f"reload ({args.index} build) {m_costs['flush_reload']:.0f} s")
        return
    f_rows, f_costs = ([], {"ivf_build": float("nan")}) if args.skip_faiss else faiss_rows(x, job, archived, q)
    print(f"""### Filtered top-10 search, {args.n:,} synthetic passage vectors (dim {DIM}, clustered; SYNTHETIC)

date: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}; {os.cpu_count()} cores shared with other jobs (load average \
{os.getloadavg()[0]:.1f} at the end); milvus-lite {version('milvus-lite')}, pymilvus {version('pymilvus')}, \
faiss {version('faiss-cpu')}  
command: `PYTHONPATH=. python -m bench.scaleout.milvus_scale --n {args.n} --queries {args.queries} --index {args.index} \
--params {args.params}`  
{args.queries} queries, one at a time; recall@10 against exact search over the same filtered set. Milvus insert \
{m_costs['insert']:.0f} s, flush + release + load ({args.index} build) {m_costs['flush_reload']:.0f} s, first search \
{m_costs.get('first_search', float('nan')):.1f} s; FAISS IVF build {f_costs['ivf_build']:.0f} s. The first 5 searches \
of each row are left out of p50 / p99.

| engine | filter | p50 ms | p99 ms | recall@10 |
|---|---|--:|--:|--:|""")
    for label, name, p50, p99, rec in m_rows + f_rows:
        print(f"| {label} | {name} | {p50:.2f} | {p99:.2f} | {rec:.3f} |")


if __name__ == "__main__":
    main()
