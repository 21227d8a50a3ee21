"""Turn the raw ranking score into a match percentage that means the same across queries.

The raw score (the weighted sum of components) is mapped through a logistic curve fitted on graded relevance
judgments (`python -m bench.quality.tune --calibrate`): the percentage estimates how likely a posting at that
score is a good match (graded 2+ of 3). The components are scaled by the same factor, so they still add up to
the score and keep their shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Calibration:
    """percentage = 100 / (1 + exp(-(slope * raw + intercept)))."""

    slope: float
    intercept: float

    def percent(self, raw: float) -> float:
        z = self.slope * raw + self.intercept
        return 100.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def apply(self, raw: float, components: dict[str, float]) -> tuple[float, dict[str, float]]:
        """The percentage, and the components scaled to add up to it (rounded to 4 places; sum exact)."""
        pct = round(self.percent(raw), 4)
        if raw <= 0 or not components:
            return pct, {name: 0.0 for name in components}
        factor = pct / raw
        scaled = {name: round(value * factor, 4) for name, value in components.items()}
        largest = max(scaled, key=lambda n: abs(scaled[n]))
        scaled[largest] = round(scaled[largest] + pct - sum(scaled.values()), 4)  # absorb rounding drift
        return round(sum(scaled.values()), 4), scaled


def fit(raw_scores: list[float], relevant: list[bool], *, iterations: int = 200) -> Calibration:
    """Logistic regression of `relevant` on `raw_scores` (Newton's method, two parameters, no dependencies)."""
    slope, intercept = 1.0, 0.0
    for _ in range(iterations):
        g0 = g1 = h00 = h01 = h11 = 0.0
        for x, y in zip(raw_scores, relevant, strict=True):
            p = 1.0 / (1.0 + math.exp(-(slope * x + intercept)))
            err, w = p - float(y), max(p * (1 - p), 1e-9)
            g0, g1 = g0 + err * x, g1 + err
            h00, h01, h11 = h00 + w * x * x, h01 + w * x, h11 + w
        det = h00 * h11 - h01 * h01 + 1e-12
        slope -= (h11 * g0 - h01 * g1) / det
        intercept -= (h00 * g1 - h01 * g0) / det
    return Calibration(round(slope, 4), round(intercept, 4))
