"""Ablations and weight fitting for matcher's ranking on the judged dev set, with 2-fold cross-validation.

    PYTHONPATH=. python -m bench.quality.tune [--index bench/out/crocoder-index] [--ablate]

Computes every component once per query over the whole corpus (archived included), then fits the component
weights by coordinate ascent on nDCG@10. The dev queries of each kind are split in two halves (even / odd
positions): weights fitted on one half, starting from equal weights (a start that has seen neither half), are
measured on the other, which estimates what fitting buys on unseen candidates. Last, the fit on all queries
from the shipped weights: the shipped weights are a fixed point of it (they were fitted on all queries).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.quality.data import load_eval_set
from bench.quality.metrics import score_run
from matcher.engine import Matcher
from matcher.filters import Filters
from matcher.lexical import Lexical
from matcher.query import Candidate, prepare
from matcher.ranking import score_refs
from matcher.scoring import Weights

KINDS = ("all", "cv", "profile", "skills")
STEPS = (0.04, 0.02, 0.01)


def components(m: Matcher, queries) -> tuple[list[str], dict[str, dict[str, np.ndarray]]]:
    """Unweighted components for every posting, per query (the engine's own scoring code)."""
    view = m.view
    refs = sorted(view.where.values(), key=view.posting_id)
    masks = view.allowed(Filters(include_archived=True))
    out = {}
    for q in queries:
        prepared = prepare(Candidate(q.text or None, tuple(q.skills)), view, m.embedder)
        _, scored = score_refs(view, prepared, refs, Lexical.of(view, prepared, masks, m.config), m.config)
        out[q.qid] = {k: np.asarray(v) for k, v in scored.parts.items()}
    return [view.posting_id(r) for r in refs], out


def totals(comps, weights: dict[str, float], qids: Sequence[str]) -> dict[str, np.ndarray]:
    return {qid: sum(w * comps[qid][name] for name, w in weights.items() if w) for qid in qids}


def evaluate(ids, comps, weights: dict[str, float], qids, kinds, qrels):
    run = {qid: [ids[i] for i in np.argsort(-total, kind="stable")[:100]]
           for qid, total in totals(comps, weights, qids).items()}
    return score_run(kinds, qrels, run)


def fit(ids, comps, start: dict[str, float], qids, kinds, qrels) -> tuple[dict[str, float], float]:
    """Coordinate ascent on overall nDCG@10 over `qids`: move one weight at a time while it helps."""
    def value(w: dict[str, float]) -> float:
        return evaluate(ids, comps, w, qids, kinds, qrels)["all"]["ndcg10"]

    weights, best = dict(start), value(start)
    for step in STEPS:
        improved = True
        while improved:
            improved = False
            for name in list(weights):
                for delta in (step, -step):
                    trial = {**weights, name: max(0.0, round(weights[name] + delta, 3))}
                    v = value(trial)
                    if v > best + 1e-9:
                        weights, best, improved = trial, v, True
    return weights, best


def halves(queries) -> tuple[list[str], list[str]]:
    """The query ids at even and at odd positions within each kind: two halves with the same kind mix."""
    by_kind: dict[str, list[str]] = {}
    for q in queries:
        by_kind.setdefault(q.kind, []).append(q.qid)
    return [q for qs in by_kind.values() for q in qs[::2]], [q for qs in by_kind.values() for q in qs[1::2]]


def normalised(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values()) or 1.0
    return {k: round(v / total, 3) for k, v in weights.items()}


def fmt(res) -> str:
    return " ".join(f"{k}={res[k]['ndcg10']:.3f}" for k in KINDS if k in res) + f" judged@10={res['all']['judged10']:.2f}"


def ablate(ids, comps, kinds, qrels) -> None:
    """The shipped weights, each component dropped, and each alone: nDCG@10 (judged@10) per kind."""
    default = Weights().as_dict()
    qids = list(kinds)

    def row(label: str, weights: dict[str, float]) -> None:
        res = evaluate(ids, comps, weights, qids, kinds, qrels)
        cells = " | ".join(f"{res[k]['ndcg10']:.3f} ({res[k]['judged10']:.2f})" for k in KINDS)
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
    parser.add_argument("--ablate", action="store_true", help="only the ablation table of the shipped weights")
    args = parser.parse_args()
    data = load_eval_set()
    ids, comps = components(Matcher.load(args.index), data.queries)
    kinds = {q.qid: q.kind for q in data.queries}
    if args.ablate:
        ablate(ids, comps, kinds, data.qrels)
        return
    even, odd = halves(data.queries)
    split = {"even": even, "odd": odd}
    shipped = Weights().as_dict()
    print("shipped weights", shipped, "all:", fmt(evaluate(ids, comps, shipped, list(kinds), kinds, data.qrels)))
    report: dict[str, object] = {"shipped": shipped, "folds": {}}
    held_out: list[float] = []
    for name, tune in split.items():
        other = split["odd" if name == "even" else "even"]
        weights, inside = fit(ids, comps, dict.fromkeys(shipped, 1 / len(shipped)), tune, kinds, data.qrels)
        outside = evaluate(ids, comps, weights, other, kinds, data.qrels)
        held_out.append(outside["all"]["ndcg10"])
        print(f"fitted on {name}: {normalised(weights)} on it {inside:.3f}; on the other half: {fmt(outside)}")
        report["folds"][name] = {"weights": weights, "fitted_on": inside, "other_half": outside}  # type: ignore[index]
    print(f"cross-validated nDCG@10 (mean over the two held-out halves): {np.mean(held_out):.3f}")
    weights, _ = fit(ids, comps, shipped, list(kinds), kinds, data.qrels)
    every = evaluate(ids, comps, weights, list(kinds), kinds, data.qrels)
    print(f"fitted on all 48: {normalised(weights)}: {fmt(every)}")
    report.update({"cross_validated": float(np.mean(held_out)), "fitted_on_all": normalised(weights), "all": every})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, default=float))


if __name__ == "__main__":
    main()
