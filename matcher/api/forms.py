"""Request bodies read by hand: JSON, or multipart/form-data with CV files kept in memory (never spooled to disk)."""

from __future__ import annotations

import json
import sys
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from matcher.api.deps import is_json, media_type
from matcher.api.errors import UnsupportedMediaType
from matcher.api.settings import Settings
from matcher.documents import SUPPORTED, read_document
from matcher.errors import InvalidInput

MULTIPART = "multipart/form-data"
MATCH_FIELDS = {"file", "text", "skills", "k", "filters", "blind"}


class InMemoryMultiPartParser(MultiPartParser):
    """Starlette's parser, minus the disk: by default it spools a file part over 1 MB to a temporary file.

    A CV must never touch the disk, and the whole body is already in memory anyway (the service middleware
    buffers it, capped at `max_body_bytes`), so the spool never rolls over (a max_size this large is never hit).
    """

    spool_max_size = sys.maxsize


def invalid(loc: tuple[Any, ...], msg: str, kind: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", *loc), "msg": msg, "type": kind}])


def parse_json(raw: bytes | str, loc: tuple[Any, ...] = ()) -> Any:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise invalid(loc, f"invalid JSON: {exc}", "json_invalid") from None


def validate(model: type[BaseModel], data: Any) -> Any:
    """Validate like FastAPI does for a declared body: 422 with each problem located under `body`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


async def read_form(request: Request, settings: Settings, max_files: int) -> FormData:
    """Parse a multipart body in memory (no temporary files), with the service's limits."""
    parser = InMemoryMultiPartParser(request.headers, request.stream(), max_files=max_files, max_fields=1_000,
                                     max_part_size=settings.max_body_bytes)
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise invalid((), f"the multipart body could not be read: {exc.message}", "multipart_invalid") from None


async def file_text(upload: UploadFile, settings: Settings) -> str:
    """The text of an uploaded CV file; the extraction (CPU-bound) runs in the thread pool."""
    data = await upload.read()
    document = await run_in_threadpool(read_document, data, upload.filename, max_bytes=settings.max_body_bytes,
                                       max_chars=settings.max_text_chars)
    return document.text


def _strings(form: FormData, name: str) -> list[str]:
    values = form.getlist(name)
    if any(not isinstance(v, str) for v in values):
        raise invalid((name,), f"'{name}' must be a plain form field, not a file", "string_type")
    return [v for v in values if isinstance(v, str) and v.strip()]


def _one(form: FormData, name: str) -> str | None:
    values = _strings(form, name)
    if len(values) > 1:
        raise invalid((name,), f"give '{name}' once", "too_many")
    return values[0] if values else None


def _file(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return value
    if value.strip():
        raise invalid((name,), f"'{name}' must be a file part (a CV as {SUPPORTED})", "file_type")
    return None  # a browser's empty file input


async def match_form(request: Request, settings: Settings) -> dict[str, Any]:
    """`POST /v1/match` as a form: `file` (a CV file) or `text`, `skills` (repeated), `k`, `filters` (JSON)."""
    form = await read_form(request, settings, max_files=1)
    try:
        unknown = sorted(set(form.keys()) - MATCH_FIELDS)
        if unknown:
            raise invalid((unknown[0],), f"unknown form field(s) {', '.join(unknown)}; valid: "
                          f"{', '.join(sorted(MATCH_FIELDS))}", "extra_forbidden")
        data: dict[str, Any] = {}
        text, upload = _one(form, "text"), _file(form, "file")
        if text is not None and upload is not None:
            raise InvalidInput("give the CV as text or as a file, not both")
        if upload is not None:
            data["text"] = await file_text(upload, settings)
        elif text is not None:
            data["text"] = text
        if skills := _strings(form, "skills"):
            data["skills"] = skills
        if (k := _one(form, "k")) is not None:
            data["k"] = int(k) if k.strip().isdigit() else k  # a form sends strings; the model checks the rest
        if (filters := _one(form, "filters")) is not None:
            data["filters"] = parse_json(filters, ("filters",))
        if (blind := _one(form, "blind")) is not None:
            data["blind"] = {"true": True, "false": False}.get(blind.strip().lower(), blind)  # the model checks the rest
        return data
    finally:
        await form.close()


async def score_form(request: Request, settings: Settings) -> dict[str, Any]:
    """`POST /v1/score` as a form: `request` (the JSON body) plus one file part per candidate, named by its id."""
    form = await read_form(request, settings, max_files=settings.max_candidates)
    try:
        raw = _one(form, "request")
        if raw is None:
            raise invalid(("request",), "a multipart score needs a 'request' field with the JSON body", "missing")
        data = parse_json(raw, ("request",))
        candidates = data.get("candidates") if isinstance(data, dict) else None
        by_id = {c["id"]: c for c in candidates or () if isinstance(c, dict) and isinstance(c.get("id"), str)}
        for name in dict.fromkeys(form.keys()):
            if name == "request":
                continue
            upload = _file(form, name)
            if name not in by_id:
                raise invalid((name,), f"file part '{name}' names no candidate id", "unknown_candidate")
            if upload is None:
                continue
            if by_id[name].get("text") is not None:
                raise InvalidInput(f"candidate '{name}': give the CV as text or as a file, not both")
            by_id[name]["text"] = await file_text(upload, settings)
        return data
    finally:
        await form.close()


async def body(request: Request, settings: Settings, multipart: Any) -> Any:
    """The JSON body, or the data of a multipart form read by `multipart(request, settings)`."""
    media = media_type(request)
    if media == MULTIPART:
        return await multipart(request, settings)
    if not media or is_json(media):  # no header is read as JSON, as FastAPI does
        return parse_json(await request.body())
    raise UnsupportedMediaType(f"send application/json or {MULTIPART}, not {media!r}")


def openapi_body(model: type[BaseModel], form: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI for a body that comes as JSON or as a form (read by hand, since FastAPI binds one type); the JSON
    schema is a component added by `add_schemas`."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}, MULTIPART: {"schema": form}}}}


def add_schemas(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Put the JSON schemas of bodies read by hand among the spec's components, as FastAPI does for its own."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = generate()
        _, top = models_json_schema([(m, "validation") for m in models], ref_template="#/components/schemas/{model}")
        spec.setdefault("components", {}).setdefault("schemas", {}).update(top.get("$defs", {}))
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _binary(description: str) -> dict[str, Any]:
    return {"type": "string", "format": "binary", "description": description}


MATCH_FORM: dict[str, Any] = {"type": "object", "properties": {
    "file": _binary(f"A CV file: {SUPPORTED}. Read in memory, never stored. Instead of `text`."),
    "text": {"type": "string", "description": "CV or profile text (instead of `file`)."},
    "skills": {"type": "array", "items": {"type": "string"}, "description": "One field per skill."},
    "k": {"type": "integer", "minimum": 1, "description": "How many results."},
    "filters": {"type": "string", "description": "The `filters` object of the JSON form, as JSON text."},
    "blind": {"type": "string", "enum": ["true", "false"], "description": "As `blind` in the JSON form."}}}

SCORE_FORM: dict[str, Any] = {"type": "object", "required": ["request"], "properties": {
    "request": {"type": "string", "description": "The JSON body, as text; a candidate may leave out `text`."}},
    "additionalProperties": _binary(f"A CV file for the candidate whose id is this part's name: {SUPPORTED}.")}
