"""Postings: read one, similar ones, and live writes (upsert one or many, delete), each persisted atomically."""

# No `from __future__ import annotations`: see routes_health.py.

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from matcher.api import forms
from matcher.api.deps import MatcherDep, is_json, media_type, require_json, require_read_key, require_write_key
from matcher.api.errors import UnsupportedMediaType, responses
from matcher.api.schemas import ID_PATTERN, PostingOut, RequestModels, SimilarResponse, WriteResponse
from matcher.api.settings import Settings
from matcher.engine import Matcher
from matcher.errors import PostingError, index_writes
from matcher.postings import FirstIdWins, Posting, parse_json_record, parse_markdown

PostingId = Annotated[str, Path(pattern=ID_PATTERN, max_length=200, description="Posting id (a Markdown file's stem).")]


def _written(matcher: Matcher, ids: list[str], stats: Any = None) -> dict[str, Any]:
    counts = {"indexed": stats.indexed, "unchanged": stats.unchanged, "removed": stats.removed} if stats else {}
    return {"ids": ids, "version": matcher.version, "postings": len(matcher), **counts}


def _from_json(raw: bytes, posting_id: str, model: Any) -> Posting:
    fields = forms.validate(model, forms.parse_json(raw))
    return parse_json_record(fields.record(posting_id), f"PUT {posting_id}")


def _from_markdown(raw: bytes, posting_id: str, max_chars: int) -> Posting:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PostingError(f"PUT {posting_id}", "body", f"not UTF-8 (byte {exc.start})") from None
    posting = parse_markdown(text, posting_id, f"PUT {posting_id}")
    if len(posting.body) > max_chars:
        raise PostingError(f"PUT {posting_id}", "body", f"{len(posting.body)} characters, more than {max_chars}")
    return posting


def _upsert(matcher: Matcher, postings: list[Posting]) -> Any:
    with index_writes(matcher.index_dir):
        return matcher.upsert(postings)


def _batch(records: list[Any]) -> list[Posting]:
    """Parse a batch; it is written atomically, so any bad posting (a duplicate id too) refuses it whole."""
    ids, postings = FirstIdWins(), []
    for i, record in enumerate(records):
        posting = parse_json_record(record.record(record.id), f"postings[{i}]")
        duplicate = ids.check(posting, f"postings[{i}]")
        if duplicate is not None:
            raise duplicate
        postings.append(posting)
    return postings


def _put_body(model: Any) -> dict[str, Any]:
    """OpenAPI for PUT's two body forms (read by hand, since FastAPI binds one content type)."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema},
        "text/markdown": {"schema": {"type": "string", "description": "Markdown with YAML front matter."}},
    }}}


def router(settings: Settings, models: RequestModels) -> APIRouter:
    read_deps = [Depends(require_read_key)] if settings.read_auth else []
    read_errors = (401, 403) if settings.read_auth else ()
    write_errors = (401, 403, 413, 415, 422, 500, 503, 507)
    r = APIRouter(prefix="/v1", tags=["postings"])

    @r.get("/postings/{id}", response_model=PostingOut, dependencies=read_deps,
           responses=responses(*read_errors, 404, 422, 500, 503), summary="One posting and its tags")
    def get_posting(id: PostingId, matcher: MatcherDep) -> dict:
        posting = matcher.get(id)
        return {**posting.to_dict(), "tags": list(matcher.tags_of(id))}

    @r.get("/postings/{id}/similar", response_model=SimilarResponse, dependencies=read_deps,
           responses=responses(*read_errors, 404, 422, 500, 503), summary="Postings like this one")
    def similar(id: PostingId, matcher: MatcherDep,
                k: Annotated[int, Query(ge=1, le=settings.max_k)] = min(10, settings.max_k),
                include_archived: bool = False) -> dict:
        started = time.perf_counter()
        results = matcher.similar(id, k=k, filters={"include_archived": include_archived})
        return {"results": [x.to_dict() for x in results], "took_ms": round((time.perf_counter() - started) * 1000, 3)}

    @r.put("/postings/{id}", response_model=WriteResponse, dependencies=[Depends(require_write_key)],
           responses=responses(*write_errors), openapi_extra=_put_body(models.posting),
           summary="Add or replace one posting (JSON fields or Markdown with front matter)")
    async def put_posting(request: Request, id: PostingId, matcher: MatcherDep) -> dict:
        media = media_type(request) or "application/json"
        raw = await request.body()
        if media == "text/markdown":
            posting = _from_markdown(raw, id, settings.max_posting_chars)
        elif is_json(media):
            posting = _from_json(raw, id, models.posting)
        else:
            raise UnsupportedMediaType(f"PUT a posting as application/json or text/markdown, not {media!r}")
        stats = await run_in_threadpool(_upsert, matcher, [posting])  # reads go on while the index rebuilds
        return _written(matcher, [id], stats)

    @r.post("/postings:batch", response_model=WriteResponse,
            dependencies=[Depends(require_write_key), Depends(require_json)],
            responses=responses(*write_errors), summary="Add or replace many postings in one atomic write")
    def put_postings(body: models.posting_batch, matcher: MatcherDep) -> dict:  # type: ignore
        postings = _batch(body.postings)
        stats = _upsert(matcher, postings)
        return _written(matcher, [p.id for p in postings], stats)

    @r.delete("/postings/{id}", response_model=WriteResponse, dependencies=[Depends(require_write_key)],
              responses=responses(401, 403, 404, 422, 500, 503, 507), summary="Remove a posting")
    def delete_posting(id: PostingId, matcher: MatcherDep) -> dict:
        with index_writes(matcher.index_dir):
            matcher.delete([id])
        return {**_written(matcher, [id]), "removed": 1}

    return r
