"""The result objects every surface returns: small frozen dataclasses with a `to_dict` for JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
