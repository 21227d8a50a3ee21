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
