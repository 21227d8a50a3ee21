"""Score postings for a prepared query: named components whose weighted sum is the score."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matcher.index.snapshot import Snapshot
from matcher.layout import Layout
from matcher.query import PreparedQuery

MIN_INFORMATIVE = 0.2  # tags weighing less than this (on most postings) are left out of explanations


@dataclass(frozen=True)
class Weights:
    """Component weights. Each component is in [0, 1] before weighting, so weights bound its share."""

    # Fitted on all 48 judged dev candidates by `python -m bench.quality.tune` (coordinate ascent on nDCG@10, sum 1);
    # fitting on one half and measuring on the other estimates 0.594 on unseen candidates (bench/RESULTS.md).
    semantic: float = 0.464  # best body passage for each part of the candidate
    head: float = 0.127  # the whole candidate against the posting's title + summary + first paragraphs
    lexical: float = 0.236  # BM25: exact technology names the small model blurs
    title: float = 0.036  # the candidate's stated role against the posting's title
    skills: float = 0.073  # the share of the posting's informative tags the candidate has
    role: float = 0.064  # role families (backend, design, sales, ...) named by both

    def as_dict(self) -> dict[str, float]:
        return {"semantic": self.semantic, "head": self.head, "lexical": self.lexical, "title": self.title,
                "skills": self.skills, "role": self.role}


@dataclass
class Scored:
    """Component values (unweighted, in [0, 1]) for postings at `positions` of the layout."""

    positions: np.ndarray
    parts: dict[str, np.ndarray]
    best_row: np.ndarray  # best passage row (into layout.matrix) per posting
    weights: Weights = field(default_factory=Weights)

    def total(self) -> np.ndarray:
        w = self.weights.as_dict()
        return sum((w[name] * values for name, values in self.parts.items()), start=np.zeros(len(self.positions)))

    def components(self, i: int) -> dict[str, float]:
        """Weighted components of the i-th scored posting, rounded so that they add up to the rounded score."""
        w = self.weights.as_dict()
        return {name: round(float(w[name] * values[i]), 6) for name, values in self.parts.items() if w[name]}


def dense_scores(query: np.ndarray, layout: Layout, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per posting: mean over query vectors of the best (damped) passage cosine; and the best passage row."""
    rows, run_starts = layout.rows(positions)
    if not len(rows) or not len(query):
        return np.zeros(len(positions), dtype=np.float32), layout.offsets[positions]
    sims = (query @ layout.matrix[rows].T) * layout.damp[rows]  # (m, R): cosine, since rows are unit vectors
    best = np.maximum.reduceat(sims, run_starts, axis=1)  # (m, n)
    per_row_best = sims.max(axis=0)
    owner = np.repeat(np.arange(len(positions)), np.diff(np.append(run_starts, len(rows))))
    order = np.lexsort((-per_row_best, owner))
    first = np.searchsorted(owner[order], np.arange(len(positions)))
    return np.clip(best.mean(axis=0), 0.0, 1.0), rows[order[first]]


def skill_scores(prepared: PreparedQuery, snapshot: Snapshot, layout: Layout, positions: np.ndarray) -> np.ndarray:
    """Share of each posting's informative tag weight that the candidate covers (semantic matches count less)."""
    if not prepared.tags:
        return np.zeros(len(positions), dtype=np.float64)
    weight = snapshot.vocab.weight
    have = layout.per_posting({t: weight(t) * m.similarity for t, m in prepared.tags.items()}, layout.with_tag)
    total = layout.tag_weight[positions]
    return np.divide(have[positions], total, out=np.zeros(len(positions)), where=total > 0)


def role_scores(families: dict[str, float], layout: Layout, positions: np.ndarray) -> np.ndarray:
    """How strongly the candidate points to the role families the posting's title names (mean over them)."""
    if not families:
        return np.zeros(len(positions), dtype=np.float64)
    named = layout.per_posting(dict.fromkeys(layout.with_family, 1.0), layout.with_family)[positions]
    pointed = layout.per_posting(families, layout.with_family)[positions]
    return np.divide(pointed, named, out=np.zeros(len(positions)), where=named > 0)


def score(
    prepared: PreparedQuery, snapshot: Snapshot, layout: Layout, positions: np.ndarray, weights: Weights
) -> Scored:
    """Compute every component for the postings at `positions`."""
    semantic, best_row = dense_scores(prepared.vectors, layout, positions)
    title = np.clip((prepared.headline @ layout.titles[positions].T)[0], 0.0, 1.0)
    head = np.clip((prepared.whole @ layout.heads[positions].T)[0], 0.0, 1.0)
    bm25 = snapshot.lexical.scores(prepared.lexical)[layout.lexical_rows[positions]]
    top = float(bm25.max()) if len(bm25) else 0.0
    lexical = bm25 / top if top > 0 else np.zeros(len(positions), dtype=np.float32)
    skills = skill_scores(prepared, snapshot, layout, positions)
    role = role_scores(prepared.families, layout, positions)
    parts = {"semantic": semantic, "head": head, "title": title, "lexical": lexical, "skills": skills, "role": role}
    return Scored(positions, {k: np.asarray(v, dtype=np.float64) for k, v in parts.items()}, best_row, weights)
