"""Batch scoring: JSON Lines of candidates in, JSON Lines of results out, in order, one line at a time."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from matcher.engine import Matcher
from matcher.errors import InvalidInput, MatcherError
from matcher.filters import Filters
from matcher.limits import check_candidate_size
from matcher.query import Candidate

LINE_KEYS = {"id", "text", "skills", "filters"}


def parse_line(raw: str | bytes, number: int, include_archived: bool) -> tuple[str, Candidate, Filters]:
    """Validate one input line: `{"id": str, "text"?: str, "skills"?: [str], "filters"?: {...}}`."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"line {number}: invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"line {number}: expected a JSON object with keys id, text, skills, filters")
    line_id = data.get("id")
    if not isinstance(line_id, str) or not line_id:
        raise InvalidInput(f"line {number}: 'id' must be a non-empty string")
    unknown = sorted(set(data) - LINE_KEYS)
    if unknown:
        raise InvalidInput(f"line {number}: unknown key(s) {', '.join(unknown)}; valid: id, text, skills, filters")
    text, skills = data.get("text"), data.get("skills") or []
    if text is not None and not isinstance(text, str):
        raise InvalidInput(f"line {number}: 'text' must be a string")
    if not isinstance(skills, list) or not all(isinstance(s, str) for s in skills):
        raise InvalidInput(f"line {number}: 'skills' must be a list of strings")
    try:
        check_candidate_size(text, skills)
    except InvalidInput as exc:
        raise InvalidInput(f"line {number}: {exc.message}") from None
    raw_filters = dict(data.get("filters") or {}) if isinstance(data.get("filters") or {}, dict) else None
    if raw_filters is None:
        raise InvalidInput(f"line {number}: 'filters' must be an object")
    raw_filters.setdefault("include_archived", include_archived)
    return line_id, Candidate(text, tuple(skills)), Filters.from_mapping(raw_filters)


def _line_id(raw: str | bytes) -> str | None:
    try:
        data = json.loads(raw)
        return data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def run_batch(matcher: Matcher, lines: Iterable[str | bytes], *, k: int = 10,
              include_archived: bool = False) -> Iterator[dict[str, Any]]:
    """Yield one output object per non-blank input line, in input order; a bad line yields an error object."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line_id, candidate, filters = parse_line(raw, number, include_archived)
            results = next(matcher.match_many([candidate], k=k, filters=filters))
            yield {"id": line_id, "results": [r.to_dict() for r in results]}
        except MatcherError as exc:
            yield {"id": _line_id(raw), "error": {"code": exc.code, "message": exc.message, "line": number}}
