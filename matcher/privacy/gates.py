"""Cheap tests that prove a blinding rule cannot match a text (or a line), so `blind` can skip the rule's slow scan.

Each gate is a necessary condition for a match, never a guess: when it passes, the rule runs exactly as before, so
blinding's output is the same with or without the gates (tests/test_blind.py checks each gate's reasoning).
"""

from __future__ import annotations

import re
from functools import cache

from matcher.privacy import rules

# The only characters that a case-insensitive regex matches to an ASCII letter although their `str.lower()` is not
# that letter ("İ" -> "i̇" is two characters, "ı" and "ſ" stay as they are). In a text without them, `text.lower()`
# holds a lower-case literal exactly where `re.IGNORECASE` finds it, and keeps `\w` and non-`\w` characters apart.
CASE_ODD = ("\u0130", "\u0131", "\u017f")


def caseless(text: str) -> bool:
    """Whether `text.lower()` can stand for `text` under `re.IGNORECASE` (see `CASE_ODD`)."""
    return not any(c in text for c in CASE_ODD)


def may_match(literals: rules.Literals | None, text: str, lower: str, is_caseless: bool) -> bool:
    """False only when no match of a phrase rule with these `literals` can exist in `text`."""
    if literals is None:
        return True
    if literals.cased:
        return any(s in text for s in literals.strings)
    return not is_caseless or any(s in lower for s in literals.strings)


# A label's last word stands before `[ \t.]*` and a colon, or before a "(...)" that precedes the colon (see
# `rules.BEFORE_COLON`, whose leading `\w+` is tried at every character): read backwards from each colon or "(",
# the reversed text finds every such word in one quick pass.
_BEFORE_COLON_OR_PAREN_REVERSED = re.compile(r"[:：(][ \t.]*(\w+)")


def label_lines(text: str) -> list[tuple[int, str]]:
    """(start, line) of the lines with a colon where a label's last word stands before a colon or a "(": the only
    lines on which `rules.BEFORE_COLON` can find a label word."""
    reverse, n = text[::-1], len(text)
    starts = {text.rfind("\n", 0, n - 1 - m.start()) + 1 for m in _BEFORE_COLON_OR_PAREN_REVERSED.finditer(reverse)
              if m.group(1)[::-1].lower() in rules.LABEL_LAST_WORDS}
    lines = [(start, _line_at(text, start)) for start in sorted(starts)]
    return [(start, line) for start, line in lines if ":" in line or "：" in line]


def _line_at(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


# An item of a comma-separated line (between separators, stripped) that is wholly one of `rules.ITEM_WORDS`.
_ITEM = re.compile("[,;|•·\n][^\\S\n]*(?:" + "|".join(f"(?{'i' if rx.flags & re.IGNORECASE else ''}:{rx.pattern})"
                                                      for rx in rules.ITEM_WORDS.values())
                   + ")[^\\S\n]*(?=[,;|•·\n]|\\Z)")


def item_lines(text: str) -> list[tuple[int, str]]:
    """(start, line) of the lines holding an item that is one of `rules.ITEM_WORDS`: the only ones that can yield
    an item span."""
    # A newline in front makes the first line's start a separator like the others (offsets shift by one).
    starts = {text.rfind("\n", 0, m.start()) + 1 for m in _ITEM.finditer("\n" + text)}
    return [(start, _line_at(text, start)) for start in sorted(starts)]


def may_hold_link(text: str) -> bool:
    """False only when `rules.LINK` has no match in `text`: each holds "://", "www." in any case (no other letter
    matches "w" case-insensitively) or, as written, a dot and one of `rules.LINK_ENDINGS`."""
    return ("://" in text or any(f".{ending}" in text for ending in rules.LINK_ENDINGS)
            or "www." in text.lower())


@cache
def _plus_then_digit() -> re.Pattern[str]:
    from phonenumbers import phonenumberutil as util

    # phonenumbers parses a number without a default region only when what it extracted starts with a plus sign
    # and is "viable": plus signs, then punctuation or '*', then a digit (its `_VALID_PHONE_NUMBER`, matched with
    # its `_REGEX_FLAGS`). The extracted number is a slice of the text, so the text must hold this.
    return re.compile(f"[{util._PLUS_CHARS}][{util._VALID_PUNCTUATION}{util._PLUS_CHARS}{util._STAR_SIGN}]*"
                      f"{util._DIGITS}", util._REGEX_FLAGS)


def may_hold_phone(text: str) -> bool:
    """False only when phonenumbers (no default region) can find no number in `text`."""
    return ("+" in text or "\uff0b" in text) and _plus_then_digit().search(text) is not None
