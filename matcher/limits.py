"""Limits and shared rules in one place: the library enforces them; the CLI, the API and the README read them here."""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- queries ---------------------------------------------------------------------------------------------
MAX_K = 1_000  # results per candidate, library and CLI; the API's default cap (MATCHER_MAX_K) is lower
DEFAULT_API_MAX_K = 100
MAX_TEXT_CHARS = 100_000  # one CV or profile text
MAX_SKILLS = 200  # skills in one list
MAX_SKILL_CHARS = 100  # one skill
MAX_FILTER_TAGS = 50  # tags in `tags_any` / `tags_all`
MAX_FILTER_CHARS = 200  # a text filter (job_type, company, location)

# -- requests --------------------------------------------------------------------------------------------
MAX_BODY_BYTES = 10_000_000
MAX_CANDIDATES = 1_000  # candidates in one POST /v1/score
MAX_POSTING_IDS = 1_000  # postings named in one POST /v1/score
MAX_PAIRS = 10_000  # candidate x posting pairs in one POST /v1/score
MAX_BATCH_POSTINGS = 1_000  # postings in one POST /v1/postings:batch

# -- postings (every door: JSON PUT, Markdown PUT, batch, files and JSON Lines in `matcher index`) ------------
POSTING_ID_MAX_CHARS = 200
# 1-200 of these characters, but not '.' or '..' (spelt without look-ahead, so Rust, Python and ECMA regexes agree)
POSTING_ID_PATTERN = r"^(?:[A-Za-z0-9._:-]{3,200}|[A-Za-z0-9_:-][A-Za-z0-9._:-]?|\.[A-Za-z0-9_:-])$"
POSTING_ID_RULE = "1-200 characters of letters A-Z a-z, digits, '.', '_', ':' or '-' (not '.' or '..')"
MAX_POSTING_CHARS = 200_000  # the Markdown body
MAX_TITLE_CHARS = 500
MAX_FIELD_CHARS = 2_000  # every other text field: companyName, location, url, summary, ...
MAX_HASHTAGS = 100
MAX_TAG_CHARS = 100
MIN_TIMESTAMP_MS = 0  # 1970-01-01
MAX_TIMESTAMP_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last instant a date can name
MAX_SAFE_INT = 2**53  # integers beyond this are not exact in a JSON number (featured, filter dates in ms)

_POSTING_ID = re.compile(POSTING_ID_PATTERN)


def check_candidate(text: str | None, skills: tuple[str, ...] | list[str]) -> None:
    """Refuse a CV text or skills list beyond the limits (the API checks the same numbers in its schema), or that is
    not text: a lone surrogate, which JSON (\\ud800) or undecodable bytes on a command line can spell, and no UTF-8
    text holds (the model's tokenizer fails on it)."""
    from matcher.errors import InvalidInput

    if text is not None and len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"text: {len(text)} characters, more than the limit of {MAX_TEXT_CHARS}")
    if len(skills) > MAX_SKILLS:
        raise InvalidInput(f"skills: {len(skills)} skills, more than the limit of {MAX_SKILLS}")
    long = next((s for s in skills if len(s) > MAX_SKILL_CHARS), None)
    if long is not None:
        raise InvalidInput(f"skills: a skill of {len(long)} characters, more than the limit of {MAX_SKILL_CHARS}")
    for name, value in [("text", text or ""), *(("skills", s) for s in skills)]:
        at = unpaired_surrogate(value)
        if at is not None:
            raise InvalidInput(f"{name}: holds an unpaired surrogate (U+{ord(value[at]):04X}) at character {at}, "
                               "which is not text: send UTF-8 text")


def unpaired_surrogate(text: str) -> int | None:
    """Where `text` holds a lone surrogate (not encodable as UTF-8), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def is_posting_id(value: object) -> bool:
    """True when `value` is a valid posting id (a Markdown file's stem must be one)."""
    return isinstance(value, str) and _POSTING_ID.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Limit:
    """One documented limit: its name, value and what it bounds (the README table is checked against these)."""

    name: str
    value: int
    what: str


POSTING_LIMITS = (
    Limit("POSTING_ID_MAX_CHARS", POSTING_ID_MAX_CHARS, f"posting id: {POSTING_ID_RULE}"),
    Limit("MAX_POSTING_CHARS", MAX_POSTING_CHARS, "characters in a posting's Markdown body"),
    Limit("MAX_TITLE_CHARS", MAX_TITLE_CHARS, "characters in a title"),
    Limit("MAX_FIELD_CHARS", MAX_FIELD_CHARS, "characters in any other text field (companyName, location, url, ...)"),
    Limit("MAX_HASHTAGS", MAX_HASHTAGS, "hashtags on one posting"),
    Limit("MAX_TAG_CHARS", MAX_TAG_CHARS, "characters in one hashtag"),
    Limit("MAX_TIMESTAMP_MS", MAX_TIMESTAMP_MS, "latest `timestamp` (ms since the epoch, from 0; or a date)"),
    Limit("MAX_SAFE_INT", MAX_SAFE_INT, "largest magnitude of `featured` and of dates given in ms"),
)
QUERY_LIMITS = (
    Limit("MAX_K", MAX_K, "results per candidate (library, CLI); the API caps it at MATCHER_MAX_K"),
    Limit("MAX_TEXT_CHARS", MAX_TEXT_CHARS, "characters in a CV or profile text (API: MATCHER_MAX_TEXT_CHARS)"),
    Limit("MAX_SKILLS", MAX_SKILLS, "skills in one list (API: MATCHER_MAX_SKILLS)"),
    Limit("MAX_SKILL_CHARS", MAX_SKILL_CHARS, "characters in one skill"),
    Limit("MAX_FILTER_TAGS", MAX_FILTER_TAGS, "tags in `tags_any` or `tags_all`"),
    Limit("MAX_FILTER_CHARS", MAX_FILTER_CHARS, "characters in a text filter (job_type, company, location)"),
)
ALL_LIMITS = POSTING_LIMITS + QUERY_LIMITS
