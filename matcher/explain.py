"""Explanations: which of a posting's tags the candidate has (and how), which it lacks, what passage matched."""

from __future__ import annotations

from matcher.index.snapshot import Entry
from matcher.layout import Layout
from matcher.results import TagMatch
from matcher.skills import Vocabulary

MAX_MISSING = 10


def informative(tags: tuple[str, ...], vocab: Vocabulary, minimum: float) -> list[str]:
    """The tags worth showing, most informative first."""
    kept = [t for t in tags if vocab.weight(t) >= minimum]
    return sorted(kept, key=lambda t: (-vocab.weight(t), t))


def tag_explanation(
    entry: Entry, have: dict[str, TagMatch], vocab: Vocabulary, minimum: float
) -> tuple[tuple[TagMatch, ...], tuple[str, ...]]:
    """Matched tags (each on the posting) and the posting's informative tags the candidate lacks."""
    shown = informative(entry.tags, vocab, minimum)
    matched = tuple(have[t] for t in shown if t in have)
    missing = tuple(t for t in shown if t not in have)[:MAX_MISSING]
    return matched, missing


def passage_text(entry: Entry, layout: Layout, row: int) -> str:
    """The text of the passage at matrix `row`, which belongs to `entry`."""
    start = int(layout.offsets[layout.position[entry.posting.id]])
    index = min(max(row - start, 0), len(entry.passages) - 1)
    return entry.passages[index].text
