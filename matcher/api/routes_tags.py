"""The skill vocabulary with aliases and posting counts, for autocompletion."""

# No `from __future__ import annotations`: see routes_health.py.

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from matcher.api.deps import MatcherDep, require_read_key
from matcher.api.errors import responses
from matcher.api.schemas import RequestModels, TagsResponse
from matcher.api.settings import Settings
from matcher.engine import Matcher

MAX_TAGS = 10_000


class TagTable:
    """Rows for every tag of one index view, computed once per published version (views are immutable)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Any = None
        self._rows: list[dict[str, Any]] = []

    def rows(self, matcher: Matcher) -> list[dict[str, Any]]:
        view = matcher.view
        with self._lock:
            if self._snapshot is not view:
                self._rows, self._snapshot = _rows(view), view
            return self._rows


def _rows(view: Any) -> list[dict[str, Any]]:
    vocab, counts = view.vocab, view.tag_postings(include_archived=False)
    rows = []
    for tag in vocab.tags:
        live = counts.get(tag, 0)
        rows.append({"tag": tag, "name": vocab.name(tag), "aliases": list(vocab.aliases(tag)), "postings": live})
    rows.sort(key=lambda row: (-row["postings"], row["tag"]))
    return rows


def _matches(row: dict[str, Any], prefix: str) -> bool:
    return any(term.lower().startswith(prefix) for term in (row["tag"], row["name"], *row["aliases"]))


def router(settings: Settings, models: RequestModels) -> APIRouter:
    deps = [Depends(require_read_key)] if settings.read_auth else []
    errors = (401, 403) if settings.read_auth else ()
    r = APIRouter(prefix="/v1", tags=["tags"], dependencies=deps)
    table = TagTable()

    @r.get("/tags", response_model=TagsResponse, responses=responses(*errors, 422, 500, 503),
           summary="Skill vocabulary: canonical tags, names, aliases, posting counts (most used first)")
    def tags(matcher: MatcherDep,
             prefix: Annotated[str, Query(max_length=100, description="Keep tags whose tag, name or an alias "
                                                                      "starts with this (case-insensitive).")] = "",
             min_postings: Annotated[int, Query(ge=0, description="Keep tags on at least this many live "
                                                                   "postings.")] = 0,
             limit: Annotated[int, Query(ge=1, le=MAX_TAGS)] = MAX_TAGS) -> dict:
        wanted = prefix.strip().lower()
        rows = [row for row in table.rows(matcher)
                if row["postings"] >= min_postings and (not wanted or _matches(row, wanted))]
        return {"tags": rows[:limit], "count": len(rows)}

    return r
