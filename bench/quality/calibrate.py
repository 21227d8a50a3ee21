"""Fit and check the match percentage: the chance that a judge grades a posting a good match (2+ of 0-3).

    PYTHONPATH=. python -m bench.quality.calibrate [--index bench/out/crocoder-index] [--top 50]

For each query, the top `--top` postings under the shipped weights are paired with their judged grade (unjudged
postings count as grade 0, as in the metrics). A logistic curve from score to P(grade >= 2) is fitted per input
kind (candidates with text: CVs and profiles; skills lists alone), since a skills list's scores run on another
scale. Fitted on one half of the queries and checked on the other (both ways): Brier score, expected calibration
error and a reliability table per query kind. Then fitted on all queries: the constants `matcher/calibration.py`
ships.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss

from bench.quality.data import load_eval_set
from bench.quality.tune import components, halves, totals
from matcher.engine import Matcher
from matcher.scoring import Weights

GOOD = 2
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def input_kind(kind: str) -> str:
    return "skills" if kind == "skills" else "text"


def pairs(ids, scores, qids, qrels, top: int) -> tuple[np.ndarray, np.ndarray]:
    """(score, is good) for each query's top postings."""
    xs, ys = [], []
    for qid in qids:
        s = scores[qid]
        for i in np.argsort(-s, kind="stable")[:top]:
            xs.append(s[i])
            ys.append(qrels[qid].get(ids[i], 0) >= GOOD)
    return np.asarray(xs), np.asarray(ys, dtype=float)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    model = LogisticRegression(C=1e4).fit(x[:, None], y)  # next to no regularisation: two parameters
    return float(model.coef_[0][0]), float(model.intercept_[0])


def chance(curve: tuple[float, float], x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(curve[0] * x + curve[1])))


def check(p: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """Brier score, expected calibration error (10 bins) and a 5-bin reliability table."""
    edges = np.linspace(0, 1, 11)
    which = np.clip(np.digitize(p, edges) - 1, 0, 9)
    ece = sum(abs(p[which == b].mean() - y[which == b].mean()) * (which == b).sum() for b in range(10) if (which == b).any())
    table = []
    coarse = np.clip(np.digitize(p, BINS) - 1, 0, len(BINS) - 2)
    for b in range(len(BINS) - 1):
        inside = coarse == b
        if inside.any():
            table.append({"bin": f"{BINS[b]:.0%}-{BINS[b + 1]:.0%}", "n": int(inside.sum()),
                          "predicted": round(float(p[inside].mean()), 3), "observed": round(float(y[inside].mean()), 3)})
    return {"n": len(y), "brier": round(float(brier_score_loss(y, p)), 4), "ece": round(float(ece / len(y)), 4),
            "reliability": table}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, default=Path("bench/out/crocoder-index"))
    parser.add_argument("--top", type=int, default=50, help="postings per query paired with their grade")
    parser.add_argument("--out", type=Path, default=Path("bench/out/calibration.json"))
    args = parser.parse_args()
    data = load_eval_set()
    ids, comps = components(Matcher.load(args.index), data.queries)
    kinds = {q.qid: q.kind for q in data.queries}
    scores = totals(comps, Weights().as_dict(), list(kinds))
    split = halves(data.queries)
    query_kinds = sorted(set(kinds.values()))
    variants = {
        "score as a percentage (no calibration)": None,
        "one curve for every input": lambda kind: "all",
        "one curve per input kind (shipped)": input_kind,
    }
    report: dict[str, object] = {"top": args.top, "held_out": {}}
    for label, group_of in variants.items():
        held_out: dict[str, dict[str, list[np.ndarray]]] = {}
        for tune, other in (split, split[::-1]):
            curves = {}
            if group_of is not None:
                for group in {group_of(k) for k in query_kinds}:
                    chosen = [q for q in tune if group_of(kinds[q]) == group]
                    curves[group] = fit(*pairs(ids, scores, chosen, data.qrels, args.top))
            for kind in query_kinds:
                x, y = pairs(ids, scores, [q for q in other if kinds[q] == kind], data.qrels, args.top)
                p = np.clip(x, 0.0, 1.0) if group_of is None else chance(curves[group_of(kind)], x)
                slot = held_out.setdefault(kind, {"p": [], "y": []})
                slot["p"].append(p)
                slot["y"].append(y)
        print(f"{label}, held out:")
        for kind, slot in held_out.items():
            result = check(np.concatenate(slot["p"]), np.concatenate(slot["y"]))
            report["held_out"].setdefault(label, {})[kind] = result  # type: ignore[union-attr]
            print(f"  {kind}: Brier {result['brier']}, ECE {result['ece']}, n {result['n']}")
            for row in result["reliability"]:  # type: ignore[union-attr]
                print(f"    {row['bin']:>9}: predicted {row['predicted']:.2f}, observed {row['observed']:.2f} (n {row['n']})")
    final = {}
    for group in ("text", "skills"):
        final[group] = fit(*pairs(ids, scores, [q for q in kinds if input_kind(kinds[q]) == group], data.qrels, args.top))
        print(f"fitted on all, {group}: slope {final[group][0]:.3f}, intercept {final[group][1]:.3f}")
    report["fitted_on_all"] = final
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
