"""The literal gate in front of the title rules only ever rules out a rule that cannot match."""

from __future__ import annotations

import random
import re

import pytest

from matcher.skills import titles
from matcher.skills.gate import LiteralGate, may_contain, required_literals
from tests.conftest import SEEDS


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\bc[etf]o\b", {"ceo", "cto", "cfo"}),
    (r"a?bc", {"bc"}),
    (r"(?:x|yy*)z+", {"z"}),
    (r"back[\s-]?end|\bapi\b", {"back", "api"}),
    (r"(?:head|vp) (?:of )?product", {"product"}),
    (r"managers?", {"manager"}),
    (r"\bit (?:support|manager)", {"support", "manager"}),
    (r"(?i)abc", None),
    (r"a|b*", None),
    (r"[^a]x?", None),
])
def test_required_literals(pattern: str, expected: set[str] | None) -> None:
    found = required_literals(pattern)
    assert (None if found is None else set(found)) == expected


def test_may_contain() -> None:
    assert may_contain("Head of IT", frozenset({"IT"}))
    assert not may_contain("head of it", frozenset({"IT"}))
    assert may_contain("anything", None)


def _lines() -> list[str]:
    lines = [line for path in sorted(SEEDS.rglob("*.md")) for line in path.read_text().splitlines()]
    rng = random.Random(5)
    pieces = [lit for _, pattern in titles._RULES for lit in required_literals(pattern) or ()]
    pieces += ["-", " ", "  ", "\n", ".", "İ", "of", "s", "x", "ing", "er", "c", "o", "manager"]
    lines += ["".join(rng.choices(pieces, k=rng.randint(1, 6))) for _ in range(3000)]
    return lines


def test_the_gate_never_rules_out_a_rule_that_matches() -> None:
    gate = LiteralGate(dict(titles._RULES))
    for line in _lines():
        low = line.lower()
        maybe = gate.candidates(low)
        for family, pattern in titles._RULES:
            if re.search(pattern, low):
                assert family in maybe, (family, line)


def test_keyword_families_as_every_rule_says() -> None:
    """Without the gate: each rule searched on its own (the management rule after the individual-contributor cut)."""
    for line in _lines():
        low = line.lower()
        expected = {f for f, p in titles._RULES if f != "management" and re.search(p, low)}
        expected |= {f for f, rx, _ in titles._CASED if rx.search(line)}
        if re.search(dict(titles._RULES)["management"], titles._IC_MANAGER.sub(" ", low)):
            expected.add("management")
        if "fullstack" in expected:
            expected |= {"backend", "frontend"}
        assert titles.keyword_families(line) == expected, line
