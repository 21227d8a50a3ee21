"""Matching: one candidate (`POST /v1/match`) and many (`POST /v1/score`, JSON or streamed JSON Lines)."""

# No `from __future__ import annotations`: see routes_health.py.

import json
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from matcher.api import forms
from matcher.api.deps import MatcherDep, require_read_key
from matcher.api.errors import responses
from matcher.api.schemas import MatchResponse, RequestModels, ScoreResponse
from matcher.api.settings import Settings
from matcher.batch import failed_line
from matcher.engine import Matcher
from matcher.errors import InvalidInput, MatcherError, NotFound
from matcher.filters import Filters
from matcher.query import Candidate
from matcher.results import Provenance

NDJSON = "application/x-ndjson"


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _candidate(item: Any, blind: bool) -> Candidate:
    return Candidate(item.text, tuple(item.skills or ()), blind)


def _score_one(matcher: Matcher, body: Any, item: Any, candidate: Candidate, filters: Filters) -> dict:
    if body.posting_ids is not None:
        results = matcher.score_pairs(candidate, body.posting_ids)
        examined = len(results)
    else:
        response = matcher.match_response(candidate, body.k, filters)
        results, examined = response.results, response.candidates_examined
    return {"id": item.id, "results": [r.to_dict() for r in results], "candidates_examined": examined,
            "blinded": candidate.blinding.to_dict()}


def _score_lines(matcher: Matcher, body: Any, candidates: list[Candidate], filters: Filters) -> Iterator[dict]:
    """One object per candidate, in order; an error on one candidate (e.g. a posting deleted meanwhile) is
    reported on its line and the rest go on."""
    provenance = _provenance(matcher)
    for number, (item, candidate) in enumerate(zip(body.candidates, candidates, strict=True), start=1):
        try:
            yield {**_score_one(matcher, body, item, candidate, filters), "provenance": provenance}
        except MatcherError as exc:
            yield failed_line(item.id, number, exc)


def _provenance(matcher: Matcher) -> dict:
    return Provenance.of(matcher.version, matcher.embedder, matcher.weights).to_dict()


def _exists(matcher: Matcher, posting_id: str) -> bool:
    try:
        matcher.get(posting_id)
    except NotFound:
        return False
    return True


def _check_score(matcher: Matcher, body: Any, settings: Settings) -> None:
    """Refuse a request that would fail part-way, before any work: too many pairs, unknown postings."""
    if body.posting_ids is None:
        return
    pairs = len(body.candidates) * len(body.posting_ids)
    if pairs > settings.max_pairs:
        raise InvalidInput(f"{pairs} candidate x posting pairs, more than the limit of {settings.max_pairs}",
                           details={"limit": settings.max_pairs})
    unknown = [pid for pid in dict.fromkeys(body.posting_ids) if not _exists(matcher, pid)]
    if unknown:
        raise NotFound(f"unknown posting id(s): {', '.join(unknown[:5])}", details={"unknown": unknown[:100]})


def _match(matcher: Matcher, body: Any) -> dict:
    started = time.perf_counter()
    filters = Filters.from_mapping(body.filters.to_mapping())
    response = matcher.match_response(_candidate(body, body.blind), body.k, filters)
    return {**response.to_dict(), "took_ms": _ms(started)}


def _score(matcher: Matcher, body: Any, settings: Settings, stream: bool) -> Any:
    started = time.perf_counter()
    filters = Filters.from_mapping(body.filters.to_mapping())
    candidates = [_candidate(c, body.blind) for c in body.candidates]
    _check_score(matcher, body, settings)
    if stream:
        lines = _score_lines(matcher, body, candidates, filters)
        return StreamingResponse((json.dumps(line, ensure_ascii=False) + "\n" for line in lines), media_type=NDJSON)
    pairs = zip(body.candidates, candidates, strict=True)
    provenance = _provenance(matcher)
    results = [_score_one(matcher, body, item, candidate, filters) for item, candidate in pairs]
    return {"results": results, "provenance": provenance, "took_ms": _ms(started)}


def router(settings: Settings, models: RequestModels) -> APIRouter:
    deps = [Depends(require_read_key)] if settings.read_auth else []
    errors = (401, 403) if settings.read_auth else ()
    r = APIRouter(prefix="/v1", tags=["match"], dependencies=deps)  # JSON or multipart: see forms.body

    # Bodies are read by hand (JSON, or a form carrying CV files), then validated with the same models; ranking is
    # CPU-bound, so it runs in the thread pool and never blocks the event loop.
    @r.post("/match", response_model=MatchResponse, responses=responses(*errors, 413, 415, 422, 500, 503),
            openapi_extra=forms.openapi_body(models.match, forms.MATCH_FORM),
            summary="Rank postings for a CV (text, or a PDF / DOCX / text file) and/or skills")
    async def match(request: Request, matcher: MatcherDep) -> dict:
        body = forms.validate(models.match, await forms.body(request, settings, forms.match_form))
        return await run_in_threadpool(_match, matcher, body)

    @r.post("/score", response_model=ScoreResponse, openapi_extra=forms.openapi_body(models.score, forms.SCORE_FORM),
            responses={200: {"content": {NDJSON: {"schema": {"type": "string"}}},
                             "description": f"JSON, or one JSON object a line when the request says `Accept: {NDJSON}`."},
                       **responses(*errors, 404, 413, 415, 422, 500, 503)},
            summary="Score many candidates: top-k each, or explicit candidate x posting pairs")
    async def score(request: Request, matcher: MatcherDep) -> Any:
        body = forms.validate(models.score, await forms.body(request, settings, forms.score_form))
        stream = NDJSON in request.headers.get("accept", "")
        return await run_in_threadpool(_score, matcher, body, settings, stream)

    return r
