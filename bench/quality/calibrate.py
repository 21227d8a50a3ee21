"""Fit and check the match percentage: the chance that a judge grades a posting a good match (2+ of 0-3).

    PYTHONPATH=. python -m bench.quality.calibrate --index /tmp/crocoder-index [--fit-top 50] [--write]

One command refits and checks the curves (rerun it whenever the weights, the model or the scoring change):

1. Every dev query is ranked over the whole corpus with the shipped weights. Only JUDGED pairs count: each query's
   top `--fit-top` postings that have a grade (the dev qrels judge matcher's whole top 10, and deeper ranks as far
   as the pooled baselines reached). An unjudged posting is not evidence of a bad match.
2. Held out: a logistic curve from score to P(grade >= 2) per input kind (text: CVs and profiles; a skills list
   alone) is fitted on the even queries of each kind and checked on the odd ones, and the other way round. The
   check is on the top 10 (what people see) and deeper (top 20, top 50; judged pairs), as expected calibration
   error over bins of 10 points of the shown percentage, with a reliability table (shown %, observed rate of good
   matches, count). The shipped constants are checked on the same pairs for comparison (in sample once they
   are the refit ones).
3. The curves fitted on all queries are the shipped constants: `--write` puts them into `matcher/calibration.py`.
Raw figures go to `bench/out/calibration.json`; `--markdown` prints the tables for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss

GOOD = 2
DEPTHS = (10, 20, 50)
CALIBRATION_FILE = Path(__file__).resolve().parents[2] / "matcher" / "calibration.py"


def input_kind(kind: str) -> str:
    return "skills" if kind == "skills" else "text"


def pairs(ids: Sequence[str], scores: dict[str, np.ndarray], qids: Sequence[str], qrels: dict[str, dict[str, int]],
          top: int) -> tuple[np.ndarray, np.ndarray]:
    """(score, is good) for each query's top `top` postings that carry a judgment; unjudged ones are left out."""
    xs, ys = [], []
    for qid in qids:
        s = scores[qid]
        for i in np.argsort(-s, kind="stable")[:top]:
            grade = qrels[qid].get(ids[i])
            if grade is not None:
                xs.append(s[i])
                ys.append(grade >= GOOD)
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    model = LogisticRegression(C=1e4).fit(x[:, None], y)  # next to no regularisation: two parameters
    return float(model.coef_[0][0]), float(model.intercept_[0])


def chance(curve: tuple[float, float], x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(curve[0] * x + curve[1])))


def check(p: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """Brier score, expected calibration error and the reliability table, over bins of 10 points of the percentage
    people see (the rounded whole percent, as `Calibration.percent` shows it)."""
    shown = np.round(100 * p)
    which = np.minimum(shown // 10, 9).astype(int)
    table, ece = [], 0.0
    for b in range(10):
        inside = which == b
        if inside.any():
            said, seen = float(shown[inside].mean() / 100), float(y[inside].mean())
            ece += abs(said - seen) * inside.sum()
            table.append({"bin": f"{10 * b}-{10 * b + 9 if b < 9 else 100}%", "n": int(inside.sum()),
                          "shown": round(said, 3), "observed": round(seen, 3)})
    return {"n": len(y), "brier": round(float(brier_score_loss(y, p)), 4), "ece": round(ece / max(len(y), 1), 4),
            "reliability": table}


def held_out(ids, scores, kinds: dict[str, str], qrels, split: tuple[list[str], list[str]], fit_top: int,
             curves_for: Callable[[list[str]], dict[str, tuple[float, float]]] | None = None,
             ) -> dict[int, dict[str, dict[str, object]]]:
    """Curves fitted on one half of the queries, checked on the other (both ways), at every depth; per query kind
    and overall. `curves_for(tune_qids)` fits; the default fits a curve per input kind on judged pairs."""
    def fitted(tune: list[str]) -> dict[str, tuple[float, float]]:
        return {group: fit(*pairs(ids, scores, [q for q in tune if input_kind(kinds[q]) == group], qrels, fit_top))
                for group in ("text", "skills")}

    fitter = curves_for or fitted
    report: dict[int, dict[str, dict[str, object]]] = {}
    for depth in DEPTHS:
        by_kind: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
        for tune, other in (split, split[::-1]):
            curves = fitter(tune)
            for kind in sorted(set(kinds.values())):
                x, y = pairs(ids, scores, [q for q in other if kinds[q] == kind], qrels, depth)
                slot = by_kind.setdefault(kind, ([], []))
                slot[0].append(chance(curves[input_kind(kind)], x))
                slot[1].append(y)
        result = {kind: check(np.concatenate(p), np.concatenate(y)) for kind, (p, y) in by_kind.items()}
        result["all"] = check(np.concatenate([np.concatenate(p) for p, _ in by_kind.values()]),
                              np.concatenate([np.concatenate(y) for _, y in by_kind.values()]))
        report[depth] = result
    return report


def write_constants(curves: dict[str, tuple[float, float]], path: Path = CALIBRATION_FILE) -> None:
    """Put the curves fitted on all queries into `DEFAULT_CALIBRATION` (the shipped constants)."""
    text = path.read_text(encoding="utf-8")
    new = (f"DEFAULT_CALIBRATION = Calibration(text=Curve({curves['text'][0]:.3f}, {curves['text'][1]:.3f}), "
           f"skills=Curve({curves['skills'][0]:.3f}, {curves['skills'][1]:.3f}),")
    updated, count = re.subn(r"DEFAULT_CALIBRATION = Calibration\(text=Curve\([^)]*\), skills=Curve\([^)]*\),", new, text)
    if count != 1:
        raise SystemExit(f"could not find DEFAULT_CALIBRATION in {path}")
    path.write_text(updated, encoding="utf-8")


def markdown(report: dict[str, object]) -> str:
    """The tables for bench/RESULTS.md: ECE by depth and kind, then the top-10 reliability table."""
    lines = ["| held out, judged pairs | depth | cv | profile | skills | all |", "|---|--:|--:|--:|--:|--:|"]
    for label in ("shipped constants as they are (in sample)", "refit on judged pairs (shipped)"):
        for depth, kinds in report[label].items():  # type: ignore[union-attr]
            cells = " | ".join(f"{kinds[k]['ece']:.3f} (n {kinds[k]['n']})" for k in ("cv", "profile", "skills", "all"))
            lines.append(f"| {label} | top {depth} | {cells} |")
    lines += ["", "| shown | observed good-match rate (top 10, held out) | pairs |", "|---|--:|--:|"]
    for row in report["refit on judged pairs (shipped)"][10]["all"]["reliability"]:  # type: ignore[index]
        lines.append(f"| {row['bin']} (mean {100 * row['shown']:.0f}%) | {100 * row['observed']:.0f}% | {row['n']} |")
    return "\n".join(lines)


def main() -> None:
    from bench.quality.data import load_eval_set
    from bench.quality.tune import components, halves, totals
    from matcher.calibration import DEFAULT_CALIBRATION
    from matcher.engine import Matcher
    from matcher.scoring import Weights

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=Path("bench/out/crocoder-index"))
    parser.add_argument("--fit-top", type=int, default=50, help="judged postings from each query's top N fit the curves")
    parser.add_argument("--out", type=Path, default=Path("bench/out/calibration.json"))
    parser.add_argument("--write", action="store_true", help="write the refitted constants into matcher/calibration.py")
    parser.add_argument("--markdown", action="store_true", help="print the tables for bench/RESULTS.md")
    args = parser.parse_args()
    data = load_eval_set()
    ids, comps = components(Matcher.load(args.index), data.queries)
    kinds = {q.qid: q.kind for q in data.queries}
    scores = totals(comps, Weights().as_dict(), list(kinds))
    split = halves(data.queries)
    shipped = {"text": (DEFAULT_CALIBRATION.text.slope, DEFAULT_CALIBRATION.text.intercept),
               "skills": (DEFAULT_CALIBRATION.skills.slope, DEFAULT_CALIBRATION.skills.intercept)}
    report: dict[str, object] = {"fit_top": args.fit_top}
    report["shipped constants as they are (in sample)"] = held_out(ids, scores, kinds, data.qrels, split, args.fit_top,
                                                                    curves_for=lambda tune: shipped)
    report["refit on judged pairs (shipped)"] = held_out(ids, scores, kinds, data.qrels, split, args.fit_top)
    final = {group: fit(*pairs(ids, scores, [q for q in kinds if input_kind(kinds[q]) == group], data.qrels,
                               args.fit_top)) for group in ("text", "skills")}
    report["fitted_on_all"] = final
    for label in ("shipped constants as they are (in sample)", "refit on judged pairs (shipped)"):
        print(f"{label}, held out:")
        for depth, result in report[label].items():  # type: ignore[union-attr]
            print(f"  top {depth}: " + ", ".join(f"{k} ECE {v['ece']:.3f} (n {v['n']})" for k, v in result.items()))
    for group, (slope, intercept) in final.items():
        print(f"fitted on all, {group}: slope {slope:.3f}, intercept {intercept:.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    if args.markdown:
        print(markdown(report))
    if args.write:
        write_constants(final)
        print(f"wrote the curves into {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
