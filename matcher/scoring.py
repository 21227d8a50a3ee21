"""Score fetched candidates for a prepared query: named components whose weighted sum is the score.

Each component is a function of the candidate posting and corpus statistics only (never of which other postings
were fetched), except `lexical`, which is BM25 divided by the best BM25 among the query's candidates (which hold
its lexical leaders), so that it lies in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matcher.config import Ranking, Weights
from matcher.index.segment import KINDS
from matcher.index.view import Fetched
from matcher.query import PreparedQuery

__all__ = ["Evidence", "Scored", "Weights", "damp_of", "dense_scores", "score"]


@dataclass(frozen=True)
class Evidence:
    """Per fetched posting, what the index says beyond vectors: BM25, the candidate's tags and families it carries."""

    bm25: np.ndarray  # BM25 of the query terms
    lexical_top: float  # the best BM25 among the query's candidates (the divisor that puts lexical in [0, 1])
    tags: np.ndarray  # summed weight x similarity of the posting's tags the candidate has
    families: np.ndarray  # summed strength of the candidate's pointers to the posting's title families


@dataclass
class Scored:
    """Component values (unweighted, in [0, 1]) for the fetched postings, in fetch order."""

    parts: dict[str, np.ndarray]
    best_row: np.ndarray  # per posting: its best passage's row in `Fetched.passage_rows`
    weights: Weights = field(default_factory=Weights)

    def total(self) -> np.ndarray:
        w = self.weights.as_dict()
        n = len(self.best_row)
        return sum((w[name] * values for name, values in self.parts.items()), start=np.zeros(n))

    def components(self, i: int) -> dict[str, float]:
        """Weighted components of the i-th posting, rounded so that they add up to the rounded score."""
        w = self.weights.as_dict()
        return {name: round(float(w[name] * values[i]), 6) for name, values in self.parts.items() if w[name]}


def damp_of(kinds: np.ndarray, ranking: Ranking) -> np.ndarray:
    """How much each passage can contribute, by its section kind: boilerplate says little about fit."""
    table = np.asarray([ranking.damp().get(kind, 1.0) for kind in KINDS], dtype=np.float32)
    return table[kinds]


def dense_scores(query: np.ndarray, fetched: Fetched, ranking: Ranking) -> tuple[np.ndarray, np.ndarray]:
    """Per posting: mean over query vectors of the best (damped) passage cosine; and that best passage's row."""
    n = len(fetched)
    if not n or not len(query) or not len(fetched.passage_rows):
        return np.zeros(n, dtype=np.float64), fetched.offsets[:-1].copy()
    sims = fetched.passage_rows.dots(query) * damp_of(fetched.kinds, ranking)[:, None]  # (rows, m), unit vectors
    starts = fetched.offsets[:-1]
    best = np.maximum.reduceat(sims, starts, axis=0)  # (n, m); every posting has at least one passage
    per_row = sims.max(axis=1)
    owner = np.repeat(np.arange(n), np.diff(fetched.offsets))
    # Each posting's first row holding its best value (every posting has one).
    rows = np.flatnonzero(per_row == np.maximum.reduceat(per_row, starts)[owner])
    first = rows[np.searchsorted(owner[rows], np.arange(n))]
    return np.clip(best.mean(axis=1), 0.0, 1.0).astype(np.float64), first


def skill_scores(have: np.ndarray, fetched: Fetched) -> np.ndarray:
    """Share of each posting's tag weight (informativeness) that the candidate covers; semantic matches count less.

    `have` holds, per posting, the summed weight x similarity of the tags the candidate has.
    """
    return np.divide(have, fetched.tag_total, out=np.zeros(len(fetched)), where=fetched.tag_total > 0)


def role_scores(pointed: np.ndarray, fetched: Fetched) -> np.ndarray:
    """How strongly the candidate points to the role families the posting's title names (mean over them).

    `pointed` holds, per posting, the summed strength of the candidate's pointers to its title's families.
    """
    return np.divide(pointed, fetched.families, out=np.zeros(len(fetched)), where=fetched.families > 0)


def score(prepared: PreparedQuery, fetched: Fetched, evidence: Evidence, weights: Weights, ranking: Ranking) -> Scored:
    """Compute every component for the fetched postings from their vectors and the query's `evidence`."""
    semantic, best_row = dense_scores(prepared.vectors, fetched, ranking)
    title = np.clip(fetched.title_rows.dots(prepared.headline)[:, 0], 0.0, 1.0) if len(fetched) else np.zeros(0)
    head = np.clip(fetched.head_rows.dots(prepared.whole)[:, 0], 0.0, 1.0) if len(fetched) else np.zeros(0)
    top = evidence.lexical_top
    lexical = evidence.bm25 / top if top > 0 else np.zeros(len(fetched), dtype=np.float64)
    parts = {"semantic": semantic, "head": head, "title": title, "lexical": lexical,
             "skills": skill_scores(evidence.tags, fetched), "role": role_scores(evidence.families, fetched)}
    return Scored({k: np.asarray(v, dtype=np.float64) for k, v in parts.items()}, best_row, weights)
