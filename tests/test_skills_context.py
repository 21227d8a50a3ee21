"""The ambiguous-skill context checks, in their fast forms, say what the regexes they replaced say."""

from __future__ import annotations

import random
import re

from matcher.skills import extract

# As the checks were written before (searched over the whole line prefix).
_FORCED_CAPITAL = re.compile(r"(?:^" + extract._LINE_LEAD + r"|[.!?:]\s*[*_\"'(\[]*)$")
_TITLE_BEFORE = re.compile(r"[A-Z][\w'.]*[ ]$")


def _prefixes(n: int) -> list[str]:
    """Line prefixes (no newline, as `_line_prefix` gives): bullets, numbers, marks, quotes, capitals, spaces."""
    rng = random.Random(9)
    pieces = [" ", "  ", "\t", "\u00a0", "\u2003", "-", "*", "**", "_", "#", ">", "\u2022", "\u00b7", "+", "1.", "12)",
              "3\\.", ".", "!", "?", ":", ";", ",", "\"", "'", "(", "[", ")", "Go", "Senior", "in", "x", "A", "Ab.",
              "O'Neil", "e.g.", "\x02", "R", "é", "İ", "9"]
    return [""] + ["".join(rng.choices(pieces, k=rng.randint(1, 8))) for _ in range(n)]


def test_forced_capital_as_the_regex() -> None:
    for prefix in _prefixes(20000):
        assert extract._forced_capital(prefix) == (_FORCED_CAPITAL.search(prefix) is not None), repr(prefix)


def _phrases(n: int) -> list[str]:
    """Words (some capitalised, some with apostrophes, dots, punctuation glued on) and spaces."""
    rng = random.Random(10)
    words = ["Senior", "go", "O'Neil", "A.B.", "x", "(Lead", "Go,", "Ab_c", "Éva", "İs", "v1.2", "'R'", "-", "R&D"]
    return ["".join(rng.choice(words) + rng.choice([" ", " ", "  ", "", ","]) for _ in range(rng.randint(1, 6)))
            for _ in range(n)]


def test_title_before_from_the_last_space_as_from_the_start() -> None:
    for prefix in _prefixes(20000) + _phrases(20000):
        start = prefix.rfind(" ", 0, len(prefix) - 1) + 1
        assert (extract._TITLE_BEFORE.search(prefix, start) is None) == (_TITLE_BEFORE.search(prefix) is None), prefix


def test_both_answers_occur() -> None:
    found = [extract._forced_capital(p) for p in _prefixes(2000)]
    assert 100 < sum(found) < len(found) - 100
    titled = [_TITLE_BEFORE.search(p) is not None for p in _phrases(2000)]
    assert 100 < sum(titled) < len(titled) - 100
