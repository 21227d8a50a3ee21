"""Explanations: which of a posting's tags the candidate has (and how), which it lacks, what passage matched."""

from __future__ import annotations

from collections.abc import Sequence

from matcher.results import TagMatch
from matcher.skills import Vocabulary

MAX_MISSING = 10


def informative(tags: Sequence[str], vocab: Vocabulary, minimum: float) -> list[str]:
    """The tags worth listing as missing or shared, most informative first."""
    weighed = ((vocab.weight(t), t) for t in tags)
    return [t for _, t in sorted((-w, t) for w, t in weighed if w >= minimum)]


def tag_explanation(tags: Sequence[str], have: dict[str, TagMatch], vocab: Vocabulary,
                    minimum: float) -> tuple[tuple[TagMatch, ...], tuple[str, ...]]:
    """Every posting tag the candidate has (most informative first: a common tag weighs little in the score but
    still shows, so the reader sees why), and the posting's informative tags the candidate lacks."""
    weight = vocab.weight
    ordered = sorted((-weight(t), t) for t in dict.fromkeys(tags))  # one weight per tag
    matched = tuple(have[t] for _, t in ordered if t in have)
    missing = tuple(t for w, t in ordered if t not in have and -w >= minimum)[:MAX_MISSING]
    return matched, missing
