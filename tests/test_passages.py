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


def test_only_four_characters_fold_onto_ascii_letters() -> None:
    # `_eeo_text` lower-cases text instead of searching it case-insensitively unless it holds one of these.
    import re

    from matcher.passages import _FOLDS_ONTO_ASCII

    every = "".join(chr(i) for i in range(0x80, 0x110000) if not 0xD800 <= i < 0xE000)
    assert set(re.findall("[a-z]", every, re.IGNORECASE)) == set(_FOLDS_ONTO_ASCII.pattern[1:-1])
    assert {c for c in every if any(x.isascii() for x in c.lower())} <= set(_FOLDS_ONTO_ASCII.pattern[1:-1])


def test_equal_opportunity_text_as_a_case_insensitive_search_says() -> None:
    import random

    from matcher.passages import _EEO_TEXT, _eeo_text

    rng = random.Random(3)
    words = ["Equal", "EMPLOYMENT", "opportunity", "OPPORTUNİTY", "opportunıty", "Regardleſs", "of", "RACE", "age",
             "without", "regard", "to", "Protected", "veteran", "reasonable", "accommodation", "•", "–", "’", "é",
             "\u212anow", " ", "  ", "\n", "Σ", "ǅ"]
    texts = ["".join(rng.choices(words, k=rng.randint(1, 12))) for _ in range(3000)]
    texts += [" ".join(rng.choices(words, k=rng.randint(1, 12))) for _ in range(3000)]
    found = [_eeo_text(t) for t in texts]
    assert found == [_EEO_TEXT.search(t) is not None for t in texts]
    assert 100 < sum(found) < len(texts) - 100  # both answers occur often


def test_sentence_ends_where_the_look_behind_pattern_ends() -> None:
    import random
    import re

    from matcher.passages import _SENTENCE_END

    rng = random.Random(4)
    texts = ["".join(rng.choices("ab.!? \n\t\u00a0\u2028xyz", k=rng.randint(0, 60))) for _ in range(5000)]
    behind = re.compile(r"(?<=[.!?])\s+")
    for text in texts:
        assert [m.end() for m in _SENTENCE_END.finditer(text, 0, 40)] == [m.end() for m in behind.finditer(text, 0, 40)]
