"""The match percentage: a monotone curve per input kind, within 0-100 (pure logic, no model)."""

from __future__ import annotations

import numpy as np

from matcher.calibration import DEFAULT_CALIBRATION, Calibration, Curve


def test_percent_is_monotone_and_bounded() -> None:
    scores = np.linspace(-1.0, 2.0, 301)
    for has_text in (True, False):
        percents = [DEFAULT_CALIBRATION.percent(float(s), has_text) for s in scores]
        assert all(0 <= p <= 100 for p in percents)
        assert percents == sorted(percents)
        assert percents[0] == 0 and percents[-1] == 100


def test_shipped_curves_span_the_scores_the_engine_gives() -> None:
    # Scores of the top results sit around 0.4-0.8: the curves must move across that range, not saturate.
    for has_text in (True, False):
        assert DEFAULT_CALIBRATION.percent(0.3, has_text) < 20
        assert 20 < DEFAULT_CALIBRATION.percent(0.45, has_text) < 80
        assert DEFAULT_CALIBRATION.percent(0.8, has_text) > 80


def test_input_kind_picks_the_curve() -> None:
    cal = Calibration(text=Curve(10.0, -5.0), skills=Curve(10.0, -6.0), model_id="m")
    assert cal.percent(0.5, True) == 50
    assert cal.percent(0.5, False) == round(100 / (1 + np.exp(1.0)))


def test_extreme_scores_do_not_overflow() -> None:
    assert Curve(1e6, 0.0).chance(-1.0) == 0.0
    assert Curve(1e6, 0.0).chance(1.0) == 1.0


def test_the_shipped_curves_only_apply_to_the_shipped_model_and_weights(tmp_path) -> None:
    from matcher.embed import Embedder
    from matcher.engine import Matcher
    from matcher.scoring import Weights

    # Nothing is loaded: constructing a Matcher or an Embedder reads no model and no index.
    assert Matcher(tmp_path).calibration is DEFAULT_CALIBRATION
    assert Matcher(tmp_path, embedder=Embedder("some-org/other-model")).calibration is None
    assert Matcher(tmp_path, weights=Weights(semantic=1.0)).calibration is None
    mine = Calibration(text=Curve(1.0, 0.0), skills=Curve(1.0, 0.0), model_id="some-org/other-model")
    assert Matcher(tmp_path, embedder=Embedder("some-org/other-model"), calibration=mine).calibration is mine
