"""The result objects every surface returns: small frozen dataclasses with a `to_dict` for JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Via = Literal["exact", "alias", "semantic"]


@dataclass(frozen=True, slots=True)
class TagMatch:
    """A posting tag the candidate has: how it was matched, from which candidate term, how similar."""

    tag: str
    via: Via
    candidate_term: str
    similarity: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    """One ranked posting. `score` is exactly the sum of `components`.

    `match_percent` is the calibrated chance (0-100) that a reviewer rates this posting a good or strong match
    for the candidate; it means the same across queries (None with custom weights or another model, unless calibrated for them).
    """

    posting_id: str
    title: str
    company: str
    url: str
    score: float
    match_percent: int | None
    components: dict[str, float]
    matched_tags: tuple[TagMatch, ...]
    missing_tags: tuple[str, ...]
    passage: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["matched_tags"] = [asdict(m) for m in self.matched_tags]
        data["missing_tags"] = list(self.missing_tags)
        return data


@dataclass(frozen=True, slots=True)
class SimilarResult:
    """A posting like the given one, with the tags both share and those only one has."""

    posting_id: str
    title: str
    company: str
    url: str
    score: float
    components: dict[str, float]
    shared_tags: tuple[str, ...]
    only_in_source: tuple[str, ...]
    only_in_similar: tuple[str, ...]
    passage: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("shared_tags", "only_in_source", "only_in_similar"):
            data[key] = list(data[key])
        return data


@dataclass(frozen=True, slots=True)
class Blinding:
    """Whether the candidate's text was blinded, and what was removed: kinds and counts, never the text."""

    enabled: bool
    removed: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "removed": dict(self.removed)}

    def summary(self) -> str:
        """One line for people: 'name 1, email 1' ('nothing found', or 'off')."""
        if not self.enabled:
            return "off"
        return ", ".join(f"{kind} {count}" for kind, count in self.removed.items()) or "nothing found"


@dataclass(frozen=True, slots=True)
class Provenance:
    """What produced a ranking, so that it can be explained and re-run: index version, model, weights, ranking code."""

    index_version: str
    model_id: str
    model_hash: str
    weights: dict[str, float]
    ranking_version: str

    @classmethod
    def of(cls, index_version: str, embedder: Any, weights: Any) -> Provenance:
        """From the index version served, the `Embedder` and the `Weights` in use (and this code's RANKING_VERSION)."""
        from matcher.config import RANKING_VERSION

        return cls(index_version, embedder.model_id, embedder.model_hash, weights.as_dict(), RANKING_VERSION)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "weights": dict(self.weights)}


@dataclass(frozen=True, slots=True)
class MatchResponse:
    """A ranking with its context: the results, how many postings were scored, what blinding removed, provenance."""

    results: list[MatchResult]
    candidates_examined: int
    blinded: Blinding
    provenance: Provenance

    def to_dict(self) -> dict[str, Any]:
        return {"results": [r.to_dict() for r in self.results], "candidates_examined": self.candidates_examined,
                "blinded": self.blinded.to_dict(), "provenance": self.provenance.to_dict()}
