"""`blind(text)`: the text with identifying and protected details removed, and how many of each kind went.

Pure and fast (regular expressions, phonenumbers and a first-name list; ~1 ms for a CV): it runs on every query.
The removed text is never returned, logged or kept; only kinds and counts leave this function.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from matcher.errors import InvalidInput
from matcher.privacy import gates, names, rules
from matcher.results import Blinding

KINDS: tuple[str, ...] = ("name", "email", "phone", "address", "url", "date_of_birth", "age", "gender", "pronouns",
                          "nationality", "family", "religion", "ethnicity", "health")


@dataclass(frozen=True)
class Blinded:
    """Blinded text, and counts of what was removed by kind (only kinds with a count, in `KINDS` order)."""

    text: str
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.removed.values())


@dataclass(frozen=True, order=True)
class _Span:
    start: int
    end: int
    kind: str
    replacement: str = ""


def _labelled(text: str) -> tuple[list[_Span], list[str]]:
    """Labelled values ("Date of birth: ..."), and the words of labelled names (to find them elsewhere)."""
    spans, parts = [], []
    # Only lines where a label's last word stands before a colon can hold a labelled value: scanning those alone
    # makes blinding several times faster on real CVs (it runs on every query).
    matches = ((start, m) for start, line in gates.label_lines(text)
               if _may_hold_label(line) for m in rules.LABELLED.finditer(line))
    for offset, m in matches:
        kind, value = rules.label_kind(m), m.group("value")
        check = rules.VALUE_CHECKS.get(kind)
        # An empty field followed by another label ("Birthday:  Languages: ...") is left alone.
        if not value.strip() or (check and not check.search(value)) or re.match(r"[A-Z][\w .-]{0,24}:", value):
            continue
        spans.append(_Span(offset + m.start(), offset + m.end(), kind))
        if kind == "name":
            parts.extend(names.split_name(value))
    return spans, parts


def _may_hold_label(line: str) -> bool:
    return any(m.group(1).lower() in rules.LABEL_LAST_WORDS for m in rules.BEFORE_COLON.finditer(line))


def _phones(text: str) -> list[_Span]:
    """International numbers (+...) by Google's phonenumbers; local ones are left to the PHRASES rule."""
    import phonenumbers

    # No default region and POSSIBLE leniency: only numbers written with '+'; with a region it took date ranges
    # ("2019  03/2020") for numbers in real CVs. So a text without a plus sign before a digit has none.
    if not gates.may_hold_phone(text):
        return []
    return [_Span(m.start, m.end, "phone")
            for m in phonenumbers.PhoneNumberMatcher(text, None, leniency=phonenumbers.Leniency.POSSIBLE)]


def _names(text: str, labelled_parts: list[str]) -> list[_Span]:
    """Name lines at the top and introduced names ("My name is ..."), then the name's words wherever they recur."""
    parts = list(labelled_parts)
    spans = []
    for start, end, tokens in names.header_names(text):
        spans.append(_Span(start, end, "name"))
        parts.extend(tokens)
    for m in names.introduced(text):
        tokens = m.group(1).split()
        if tokens and (names.name_tokens(m.group(1)) or names.is_first_name(tokens[0])):
            spans.append(_Span(m.start(1), m.end(1), "name"))
            parts.extend(t for t in tokens if len(t.strip(".")) > 1)
    pattern = names.recurring(parts)
    if pattern is not None:
        spans += [_Span(m.start(), m.end(), "name") for m in pattern.finditer(text)]
    return _merge(spans, text)


def _merge(spans: list[_Span], text: str) -> list[_Span]:
    """One span per mention: "Maria" and "Gonzalez" side by side are one name, not two."""
    merged: list[_Span] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end + 1 and not text[merged[-1].end:span.start].strip():
            merged[-1] = _Span(merged[-1].start, max(merged[-1].end, span.end), span.kind)
        else:
            merged.append(span)
    return merged


def _items(text: str) -> list[_Span]:
    """A lone attribute word as a whole item of a short comma-separated line ("Female, 52, single")."""
    spans = []
    for start, line in gates.item_lines(text):
        items = list(re.finditer(r"[^,;|•·]+", line))
        if len(items) < 2 or len(line) > 160:
            continue
        found = []
        for item in items:
            word = item.group().strip()
            for kind, rx in rules.ITEM_WORDS.items():
                if word and rx.fullmatch(word):
                    offset = start + item.start() + item.group().index(word)
                    found.append(_Span(offset, offset + len(word), kind))
        if any(s.kind not in rules.NEEDS_COMPANY for s in found):
            spans += found
    return spans


def _contact_links(text: str) -> list[_Span]:
    """Any link in the contact block at the top (a personal site); further down, links are employers' and
    projects' sites (evidence of fit) unless they are profiles (`rules.PHRASES`) or labelled ("Website: ...")."""
    top = text[:_offset_of_line(text, rules.CONTACT_LINES)]
    if not gates.may_hold_link(top):
        return []
    return [_Span(m.start(), m.end(), "url") for m in rules.LINK.finditer(top)]


def _offset_of_line(text: str, n: int) -> int:
    """Where line `n` (from 0) starts; the text's length when it has fewer lines."""
    offset = 0
    for _ in range(n):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return len(text)
    return offset


def _pronouns(text: str, tokens: set[str], is_caseless: bool) -> list[_Span]:
    # A pronoun is a whole word, so in a caseless text (`gates.CASE_ODD`) it is one of the lower-cased text's tokens.
    if is_caseless and tokens.isdisjoint(rules.NEUTRAL):
        return []
    return [_Span(m.start(), m.end(), "pronouns", _neutral(m.group())) for m in rules.PRONOUNS.finditer(text)]


def _neutral(word: str) -> str:
    # IGNORECASE also matches "ſ" to "s" and "ı", "İ" to "i" ("ſhe"), which lower() keeps: ask the regex engine then.
    pronoun = word.lower()
    if pronoun not in rules.NEUTRAL:
        pronoun = next(p for p in rules.NEUTRAL if re.fullmatch(p, word, re.IGNORECASE))
    neutral = rules.NEUTRAL[pronoun]
    return neutral.capitalize() if word[0].isupper() else neutral


def _resolve(spans: list[_Span]) -> list[_Span]:
    """Non-overlapping spans: the earliest first, the longest of those starting together."""
    kept: list[_Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


_EMPTY_LINE = re.compile(r"^[ \t\W_]*$")
_ORPHANS = re.compile(r"(?:^|(?<=\s))(?:[,;|•·/&+-]|and|with)(?=\s*(?:[,;|•·.]|$))|\(\s*\)|\[\s*\]", re.MULTILINE)


def _tidy_line(line: str) -> str:
    """Collapse what removal left on a line: doubled separators, empty brackets; '' when only punctuation is left."""
    line = re.sub(r"[ \t]{2,}", " ", line)
    line = re.sub(r"\s*([,;|•·])(?:\s*[,;|•·])+", r"\1", line)
    line = _ORPHANS.sub("", line)
    line = re.sub(r"\s+([,.;:])", r"\1", line).strip(" \t,;|•·-")
    return "" if _EMPTY_LINE.match(line) else line


def spans(text: str) -> list[_Span]:
    """What `blind` removes from `text`: disjoint spans, in order, each with its kind."""
    lower = text.lower()
    tokens, is_caseless = rules.trigger_tokens(lower), gates.caseless(text)
    labelled, name_parts = _labelled(text)
    found = labelled + _phones(text) + _names(text, name_parts) + _items(text) + _pronouns(text, tokens, is_caseless)
    found += [_Span(m.start(), m.end(), kind)
              for (kind, rx, words), literals in zip(rules.COMPILED_PHRASES, rules.PHRASE_LITERALS, strict=True)
              if (words is None or not words.isdisjoint(tokens)) and gates.may_match(literals, text, lower, is_caseless)
              for m in rx.finditer(text)]
    found += _contact_links(text)
    return _resolve(found)


def blind(text: str) -> Blinded:
    """Remove names, contact details and protected attributes from a candidate's text; count them by kind.

    >>> blind("Maria Gonzalez\\nNationality: Mexican\\nJava developer").text
    'Java developer'
    """
    kept = spans(text)
    if not kept:
        return Blinded(text)
    counts = Counter(span.kind for span in kept)
    return Blinded(_apply(text, kept), {kind: counts[kind] for kind in KINDS if counts[kind]})


def _apply(text: str, spans: list[_Span]) -> str:
    """The text with `spans` replaced; only the lines they touch are tidied (or dropped when nothing is left), so
    the rest of the CV (bullets, spacing, layout that passages and headlines read) stays exactly as written."""
    out = []
    first = 0  # spans are sorted and disjoint: those before `first` end before the current line
    for line in re.finditer(r"^.*$", text, re.MULTILINE):
        start, end = line.span()
        while first < len(spans) and spans[first].end <= start:
            first += 1
        last = first
        while last < len(spans) and spans[last].start < end:
            last += 1
        touching = spans[first:last]
        if not touching:
            out.append(line.group())
            continue
        pieces, cursor = [], start
        for span in touching:  # clipped to this line: a span may run on from the line before
            pieces += [text[cursor:max(span.start, cursor)], span.replacement]
            cursor = min(span.end, end)
        pieces.append(text[cursor:end])
        tidied = _tidy_line("".join(pieces))
        if tidied:
            out.append(tidied)
    return "\n".join(out).strip()


def blind_text(text: str | None, skills: tuple[str, ...] = ()) -> tuple[str | None, Blinding]:
    """A candidate's text blinded for ranking, and what was removed; refuses a text that held nothing else."""
    if not text:
        return text, Blinding(True)
    result = blind(text)
    if not result.text.strip() and not any(s.strip() for s in skills):
        raise InvalidInput("after removing personal details (names, contact details, protected attributes) the "
                           "text was empty: give the candidate's experience or a skills list")
    return result.text or None, Blinding(True, result.removed)
