"""Batch scoring: JSON Lines of candidates in, JSON Lines of results out, in order, one line at a time."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from matcher.documents import DocumentError, read_file
from matcher.engine import Matcher
from matcher.errors import InvalidInput, MatcherError
from matcher.filters import Filters
from matcher.query import Candidate

LINE_KEYS = {"id", "text", "file", "skills", "filters", "blind"}


def parse_line(raw: str | bytes, number: int, include_archived: bool,
               blind: bool = True, base: Path | None = None) -> tuple[str, Candidate, Filters]:
    """Validate one input line: `{"id": str, "text"?: str, "file"?: path, "skills"?: [str], "filters"?: {...},
    "blind"?: bool}`. A relative "file" path is taken from `base` (the input file's folder); it is read in memory.
    """
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
        raise InvalidInput(f"line {number}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(sorted(LINE_KEYS))}")
    text, skills = data.get("text"), data.get("skills") or []
    if text is not None and not isinstance(text, str):
        raise InvalidInput(f"line {number}: 'text' must be a string")
    if data.get("file") is not None:
        text = _file_text(data["file"], text, number, base)
    if not isinstance(skills, list) or not all(isinstance(s, str) for s in skills):
        raise InvalidInput(f"line {number}: 'skills' must be a list of strings")
    blind = data.get("blind", blind)
    if not isinstance(blind, bool):
        raise InvalidInput(f"line {number}: 'blind' must be true or false")
    raw_filters = dict(data.get("filters") or {}) if isinstance(data.get("filters") or {}, dict) else None
    if raw_filters is None:
        raise InvalidInput(f"line {number}: 'filters' must be an object")
    raw_filters.setdefault("include_archived", include_archived)
    try:
        candidate = Candidate(text, tuple(skills), blind)
    except InvalidInput as exc:
        raise InvalidInput(f"line {number}: {exc.message}") from None
    return line_id, candidate, Filters.from_mapping(raw_filters)


def _file_text(file: object, text: str | None, number: int, base: Path | None) -> str:
    if not isinstance(file, str) or not file:
        raise InvalidInput(f"line {number}: 'file' must be a path (a string)")
    if text is not None:
        raise InvalidInput(f"line {number}: give 'text' or 'file', not both")
    try:
        return read_file((base or Path.cwd()) / file).text
    except DocumentError as exc:
        raise type(exc)(f"line {number}: {exc.message}") from None


def _line_id(raw: str | bytes) -> str | None:
    try:
        data = json.loads(raw)
        return data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def failed_line(line_id: str | None, number: int, exc: MatcherError) -> dict[str, Any]:
    """A failed line, in the one shape `matcher batch` and `POST /v1/score` share:
    `{"id", "error": {code, message, status, details: {line, ...}}}` (lines count from 1)."""
    return {"id": line_id, "error": exc.to_dict(line=number)}


def run_batch(matcher: Matcher, lines: Iterable[str | bytes], *, k: int = 10,
              include_archived: bool = False, blind: bool = True,
              base: Path | None = None) -> Iterator[dict[str, Any]]:
    """Yield one output object per non-blank input line, in input order; a bad line yields an error object.

    Each output line: `{"id", "results", "candidates_examined", "blinded", "provenance"}` (`Matcher.match_response`).
    """
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            yield run_line(matcher, raw, number, k=k, include_archived=include_archived, blind=blind, base=base)


def run_line(matcher: Matcher, raw: str | bytes, number: int, *, k: int = 10, include_archived: bool = False,
             blind: bool = True, base: Path | None = None) -> dict[str, Any]:
    """The output object of one non-blank input line (line `number`, from 1): its results or its error."""
    try:
        line_id, candidate, filters = parse_line(raw, number, include_archived, blind, base)
        return {"id": line_id, **matcher.match_response(candidate, k=k, filters=filters).to_dict()}
    except MatcherError as exc:
        return failed_line(_line_id(raw), number, exc)
