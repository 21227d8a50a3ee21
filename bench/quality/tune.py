"""Ablations and weight search for matcher's ranking on the judged dev set, with an honest split.

    python -m bench.quality.tune --index bench/out/crocoder-index

Computes every component once per query over the whole corpus (archived included), then scores weight
settings: tuned on half of each query kind (even positions), checked on the other half, reported on all.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from bench.quality.data import load_eval_set
from bench.quality.metrics import score_run
from matcher.engine import Matcher
from matcher.query import Candidate, prepare
from matcher.scoring import Weights, score


def components(m: Matcher, queries) -> tuple[list[str], dict[str, dict[str, np.ndarray]]]:
    state = m.state
    positions = np.arange(len(state.layout.posting_ids))
    out = {}
    for q in queries:
        prepared = prepare(Candidate(q.text or None, tuple(q.skills)), state.snapshot, m.embedder)
        scored = score(prepared, state.snapshot, state.layout, positions, Weights())
        out[q.qid] = {k: np.asarray(v) for k, v in scored.parts.items()}
    return list(state.layout.posting_ids), out


def evaluate(ids, comps, weights: dict[str, float], qids, kinds, qrels):
    run = {}
    for qid in qids:
        total = sum(w * comps[qid][name] for name, w in weights.items() if w)
        run[qid] = [ids[i] for i in np.argsort(-total, kind="stable")[:100]]
    return score_run(kinds, qrels, run)


def ablate(ids, comps, kinds, qrels, fmt) -> None:
    """The default weights, each component dropped, and each alone: nDCG@10 / judged@10 per kind."""
    default = Weights().as_dict()
    qids = list(kinds)

    def row(label: str, weights: dict[str, float]) -> None:
        res = evaluate(ids, comps, weights, qids, kinds, qrels)
        cells = " | ".join(f"{res[k]['ndcg10']:.3f} ({res[k]['judged10']:.2f})" for k in ("all", "cv", "profile", "skills"))
        print(f"| {label} | {cells} |")

    print("| ranker | all | cv | profile | skills |\n|---|--:|--:|--:|--:|")
    row("matcher (all components)", default)
    for name in default:
        row(f"without {name}", {**default, name: 0.0})
    for name in default:
        row(f"{name} alone", {name: 1.0})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, default=Path("bench/out/crocoder-index"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/tune.json"))
    parser.add_argument("--ablate", action="store_true", help="only the ablation table of the default weights")
    args = parser.parse_args()
    data = load_eval_set()
    m = Matcher.load(args.index)
    ids, comps = components(m, data.queries)
    kinds = {q.qid: q.kind for q in data.queries}
    by_kind: dict[str, list[str]] = {}
    for q in data.queries:
        by_kind.setdefault(q.kind, []).append(q.qid)
    tune = [qid for qs in by_kind.values() for qid in qs[::2]]
    check = [qid for qs in by_kind.values() for qid in qs[1::2]]
    names = list(next(iter(comps.values())))

    def fmt(res):
        return " ".join(f"{k}={res[k]['ndcg10']:.3f}" for k in ("all", "cv", "profile", "skills") if k in res)

    if args.ablate:
        ablate(ids, comps, kinds, data.qrels, fmt)
        return
    print("single components (all queries):")
    for name in names:
        print(f"  {name:10s}", fmt(evaluate(ids, comps, {name: 1.0}, list(kinds), kinds, data.qrels)))
    grid = [0.0, 0.1, 0.2, 0.35, 0.5]
    best = []
    for combo in itertools.product(grid, repeat=len(names)):
        if not any(combo):
            continue
        w = dict(zip(names, combo, strict=True))
        res = evaluate(ids, comps, w, tune, kinds, data.qrels)
        best.append((res["all"]["ndcg10"], w))
    best.sort(key=lambda x: -x[0])
    print("top settings on the tune half, then the check half and all:")
    rows = []
    for value, w in best[:8]:
        chk = evaluate(ids, comps, w, check, kinds, data.qrels)
        every = evaluate(ids, comps, w, list(kinds), kinds, data.qrels)
        print(f"  {w}  tune={value:.3f}  check: {fmt(chk)}  all: {fmt(every)}")
        rows.append({"weights": w, "tune": value, "check": chk, "all": every})
    current = Weights().as_dict()
    print("current defaults", current, "all:", fmt(evaluate(ids, comps, current, list(kinds), kinds, data.qrels)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1, default=float))


if __name__ == "__main__":
    main()
