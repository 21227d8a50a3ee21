"""A cheap exact pre-check for many regexes: the literal strings each one's matches must contain, found in one pass."""

from __future__ import annotations

import re
from collections.abc import Mapping

# The parse tree of Python's own regex compiler: reading it keeps the literals in step with the patterns. Any node
# this module does not know yields "no literal required", which only makes the gate let more through.
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from matcher.skills.scan import literal_trie

MAX_SPELLINGS = 16  # a run of characters and classes is kept while it has at most this many spellings
_REPEATS = frozenset({sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT)})


def _best(options: list[frozenset[str]]) -> frozenset[str] | None:
    """The most selective set: its shortest literal the longest, then the fewest literals."""
    return max(options, key=lambda s: (min(map(len, s)), -len(s)), default=None)


def _chars(op: object, av: object) -> frozenset[str] | None:
    """The characters a one-character node matches, when it is a literal or a small class of literals."""
    if op is sre.LITERAL:
        return frozenset(chr(av))  # type: ignore[arg-type]
    if op is sre.IN and all(o is sre.LITERAL for o, _ in av):  # type: ignore[attr-defined]
        return frozenset(chr(a) for _, a in av)  # type: ignore[attr-defined]
    return None


def _needed(items: sre_parse.SubPattern | list) -> frozenset[str] | None:
    """A set of literals one of which every match of the sequence `items` contains, or None when unknown.

    Consecutive characters make strings, a small class multiplying them ("c[eft]o" -> ceo, cfo, cto).
    """
    options: list[frozenset[str]] = []
    run: set[str] = {""}
    for op, av in [*items, (None, None)]:
        chars = _chars(op, av)
        if chars is not None and len(run) * len(chars) <= MAX_SPELLINGS:
            run = {r + c for r in run for c in chars}
            continue
        if run != {""}:
            options.append(frozenset(run))
        run = set(chars) if chars is not None and len(chars) <= MAX_SPELLINGS else {""}
        found = _node(op, av) if chars is None and op is not None else None
        if found:
            options.append(found)
    return _best(options)


def _node(op: object, av: object) -> frozenset[str] | None:
    if op is sre.BRANCH:
        union: set[str] = set()
        for branch in av[1]:  # type: ignore[index]
            found = _needed(branch)
            if found is None:
                return None
            union |= found
        return frozenset(union)
    if op is sre.SUBPATTERN:
        _, add_flags, _, inner = av  # type: ignore[misc]
        return None if add_flags & re.IGNORECASE else _needed(inner)
    if op in _REPEATS:
        low, _, inner = av  # type: ignore[misc]
        return _needed(inner) if low >= 1 else None
    if op is getattr(sre, "ATOMIC_GROUP", None):
        return _needed(av)  # type: ignore[arg-type]
    return None


def required_literals(pattern: str) -> frozenset[str] | None:
    """Strings one of which any match of `pattern` contains (case as written), or None when there is no such set."""
    parsed = sre_parse.parse(pattern)
    if parsed.state.flags & re.IGNORECASE:
        return None
    return _needed(parsed)


def may_contain(text: str, literals: frozenset[str] | None) -> bool:
    """Whether `text` holds one of `literals` (from `required_literals`; None: always)."""
    return literals is None or any(literal in text for literal in literals)


class LiteralGate:
    """Which of named patterns may match a text: those with a required literal in it (or with none known).

    Exact as a filter: a pattern left out cannot match. One regex pass over the text finds, at every position, the
    longest literal starting there; the shorter literals starting there are its prefixes, credited with it.
    """

    def __init__(self, patterns: Mapping[str, str]) -> None:
        needs = {name: required_literals(pattern) for name, pattern in patterns.items()}
        self.always = frozenset(name for name, lits in needs.items() if lits is None)
        literals = sorted({lit for lits in needs.values() if lits for lit in lits})
        self._names = {
            lit: frozenset(name for name, lits in needs.items() if lits and any(lit.startswith(x) for x in lits))
            for lit in literals
        }
        self._find = re.compile("(?=(" + literal_trie(literals) + "))").finditer if literals else None

    def candidates(self, text: str) -> set[str]:
        """Names of the patterns that may match `text`."""
        found = set(self.always)
        if self._find is not None:
            names = self._names
            for match in self._find(text):
                found |= names[match.group(1)]
        return found
