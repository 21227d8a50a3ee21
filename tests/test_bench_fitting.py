"""bench.quality.tune and .calibrate: weight fitting and calibration checks on synthetic data (pure logic)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.quality.calibrate import chance, check, fit  # noqa: E402
from bench.quality.tune import evaluate, normalised  # noqa: E402
from bench.quality.tune import fit as fit_weights  # noqa: E402


def test_calibration_recovers_a_known_curve() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 1, 20_000)
    truth = (12.0, -6.0)
    y = (rng.uniform(0, 1, len(x)) < chance(truth, x)).astype(float)
    slope, intercept = fit(x, y)
    assert abs(slope - 12.0) < 1.0 and abs(intercept + 6.0) < 0.5
    good = check(chance((slope, intercept), x), y)
    bad = check(np.full(len(x), 0.9), y)
    assert good["ece"] < 0.02 < bad["ece"]  # type: ignore[operator]
    assert good["brier"] < bad["brier"]  # type: ignore[operator]


def test_weight_fitting_finds_the_informative_component() -> None:
    rng = np.random.default_rng(3)
    ids = [f"p{i}" for i in range(200)]
    qrels, comps, kinds = {}, {}, {}
    for q in range(12):
        good = rng.choice(200, 5, replace=False)
        signal = np.zeros(200)
        signal[good] = 1.0
        comps[f"q{q}"] = {"useful": signal + rng.normal(0, 0.3, 200), "noise": rng.normal(0, 0.5, 200)}
        qrels[f"q{q}"] = {ids[i]: 3 for i in good}
        kinds[f"q{q}"] = "cv"
    start = {"useful": 0.1, "noise": 0.1}  # a local search: it starts from sensible weights
    weights, value = fit_weights(ids, comps, start, list(kinds), kinds, qrels)
    assert weights["useful"] > weights["noise"]
    assert value >= evaluate(ids, comps, start, list(kinds), kinds, qrels)["all"]["ndcg10"]
    assert abs(sum(normalised(weights).values()) - 1.0) < 0.01


def test_calibration_pairs_are_judged_pairs_only() -> None:
    from bench.quality.calibrate import pairs

    ids = ["a", "b", "c", "d"]
    scores = {"q": np.asarray([0.9, 0.8, 0.7, 0.1])}
    qrels = {"q": {"a": 3, "c": 1, "d": 2}}  # b is unjudged: no evidence either way, so it is left out
    x, y = pairs(ids, scores, ["q"], qrels, top=3)
    assert x.tolist() == [0.9, 0.7] and y.tolist() == [1.0, 0.0]


def test_reliability_bins_are_ten_points_of_the_shown_percentage() -> None:
    p = np.asarray([0.04, 0.06, 0.55, 0.551, 0.96])
    y = np.asarray([0.0, 0.0, 1.0, 0.0, 1.0])
    result = check(p, y)
    bins = {row["bin"]: (row["shown"], row["observed"], row["n"]) for row in result["reliability"]}  # type: ignore[union-attr]
    assert bins == {"0-9%": (0.05, 0.0, 2), "50-59%": (0.55, 0.5, 2), "90-100%": (0.96, 1.0, 1)}
    assert result["ece"] == round((2 * 0.05 + 2 * 0.05 + 0.04) / 5, 4)


def test_refitted_constants_are_written_into_the_calibration_module(tmp_path: Path) -> None:
    from bench.quality.calibrate import CALIBRATION_FILE, write_constants

    target = tmp_path / "calibration.py"
    target.write_text(CALIBRATION_FILE.read_text())
    write_constants({"text": (12.5, -6.25), "skills": (10.0, -5.0)}, target)
    assert "DEFAULT_CALIBRATION = Calibration(text=Curve(12.500, -6.250), skills=Curve(10.000, -5.000)," in target.read_text()
