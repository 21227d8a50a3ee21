"""Passages: Markdown cleaning, section kinds, and the invariant a reloaded index relies on (pure logic)."""

from __future__ import annotations

from matcher.passages import MAX_CHARS, clean, split_passages
from matcher.postings import load_postings
from tests.conftest import SEEDS


def test_clean_keeps_link_labels_and_drops_markup() -> None:
    text = "## Stack\n**Go** and [our API](https://x.io/a_b) ![logo](l.png)  snake_case > `code`"
    assert clean(text) == "Stack Go and our API snake case code"


def test_sections_get_their_kind() -> None:
    body = ("We build payments.\n\n## Requirements\n\n- 5 years of Go\n- PostgreSQL\n\n## Benefits\n\n"
            "Remote work, stock options.\n\n## About us\n\nWe are a team of 40.")
    kinds = [p.kind for p in split_passages(body)]
    assert kinds == ["intro", "requirements", "benefits", "about"]


def test_passage_text_is_the_cleaned_span_of_the_body() -> None:
    # A reloaded index rebuilds each passage's text from its span: it must be what was embedded.
    report = load_postings([SEEDS])
    assert report.postings
    for posting in report.postings:
        for p in split_passages(posting.body):
            assert p.text == clean(posting.body[p.start:p.end])
            assert p.text and p.end - p.start <= 2 * MAX_CHARS
