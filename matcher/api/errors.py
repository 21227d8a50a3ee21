"""One error shape for every error the service returns: `{"error": {code, message, status, details}}`."""

from __future__ import annotations

import logging
import re
import traceback
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from matcher.api.schemas import ErrorResponse
from matcher.errors import MatcherError

log = logging.getLogger("matcher.api")

# Starlette's own HTTP errors (routing, methods) -> our codes.
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large",
              415: "unsupported_media_type", 422: "invalid_input", 500: "internal_error", 503: "unavailable",
              507: "index_write_failed"}


class Unauthorized(MatcherError):
    """No API key, or one that is not configured."""

    status = 401
    code = "unauthorized"


class Forbidden(MatcherError):
    """The operation is refused whatever the key (writes with no key configured)."""

    status = 403
    code = "forbidden"


class UnsupportedMediaType(MatcherError):
    """A body in a content type the endpoint does not read."""

    status = 415
    code = "unsupported_media_type"


def error_body(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, "details": details or {}}}


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, code, message, details), status_code=status, headers=headers)


def from_matcher_error(exc: MatcherError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, exc.code, exc.message, dict(exc.details), headers)


async def _matcher_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MatcherError)
    return from_matcher_error(exc)


PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
HEAD_ASKED = "matcher.head"  # scope key: the client sent HEAD, which the middleware answers as a GET


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (probed through the router, so nested routers count too);
    HEAD wherever GET is, since the middleware answers HEAD as GET without the body."""
    methods = []
    for method in PROBED_METHODS:
        scope = {"type": "http", "path": request.scope["path"], "root_path": request.scope.get("root_path", ""),
                 "method": method, "headers": []}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.routes):
            methods.append(method)
    return methods + (["HEAD"] if "GET" in methods else [])


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status, headers = exc.status_code, dict(exc.headers or {})
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 400:  # FastAPI could not read the body (not UTF-8): a malformed body, like invalid JSON
        return error_response(422, "invalid_input", "the request body could not be read as JSON (UTF-8)",
                              {"errors": [{"loc": "body", "msg": message, "type": "body_unreadable"}]})
    if status == 404:
        message = f"no endpoint at {request.url.path}; see /docs for the API"
    elif status == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
        method = "HEAD" if request.scope.get(HEAD_ASKED) else request.method
        message = f"{method} is not allowed on {request.url.path}; use {headers['Allow']}"
    return error_response(status, HTTP_CODES.get(status, "http_error"), message, {}, headers or None)


# Parts of a pydantic error location that name a validator or a union branch, not a field the client sent.
_VALIDATOR_PART = re.compile(r"^(function-(before|after|wrap|plain)|constrained-[a-z]+|lax-or-strict|json-or-python|"
                             r"nullable|tagged-union|union|literal|chain|default|list|dict|tuple|set|str|int|float|"
                             r"bool|none)(\[.*\])?$")
# One message for a field whose several accepted forms all failed (a union): say what is accepted.
UNION_MESSAGES = {
    "posted_after": "not a date: give YYYY-MM-DD or ms since the epoch",
    "posted_before": "not a date: give YYYY-MM-DD or ms since the epoch",
    "hashtags": "expected a string like '#golang,#aws' or a list of tags",
}


def _field_loc(error: dict[str, Any]) -> str:
    """'body.filters.posted_after', not 'body.filters.posted_after.function-before[_integral(), constrained-int]'."""
    parts = list(error.get("loc", ()))
    last = len(parts) - 1
    keep = [p for i, p in enumerate(parts)
            if isinstance(p, int) or (i == last and error.get("type") == "extra_forbidden")
            or not _VALIDATOR_PART.match(str(p))]
    return ".".join(str(part) for part in keep)


def field_errors(raw: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Validation errors by the field the client sent: one entry a field, its union alternatives merged."""
    by_loc: dict[str, list[dict[str, Any]]] = {}
    for error in raw:
        by_loc.setdefault(_field_loc(error), []).append(error)
    merged = []
    for loc, errors in by_loc.items():
        if len(errors) == 1:
            msg = str(errors[0].get("msg", ""))
        else:
            msg = UNION_MESSAGES.get(loc.rsplit(".", 1)[-1]) or "; or ".join(dict.fromkeys(str(e.get("msg", ""))
                                                                                        for e in errors))
        merged.append({"loc": loc, "msg": msg, "type": str(errors[0].get("type", ""))})
    return merged


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 listing every problem by the field the client sent; inputs are never echoed (they may hold CV text)."""
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(list(exc.errors()))
    first = errors[0] if errors else {"loc": "body", "msg": "invalid request"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return error_response(422, "invalid_input", f"{first['loc']}: {first['msg']}{more}", {"errors": errors})


def internal_error(exc: BaseException, route: str) -> JSONResponse:
    """A bug: log where it happened (type and frames, not the message, which may quote input), answer 500."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled %s on %s\n%s", type(exc).__name__, route, frames)
    return error_response(500, "internal_error", "internal server error; the server log has the details")


def install(app: FastAPI) -> None:
    """Render domain errors, HTTP errors and validation errors in the canonical shape."""
    app.add_exception_handler(MatcherError, _matcher_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an operation can return, all in the canonical shape."""
    return {status: {"model": ErrorResponse, "description": HTTPStatus(status).phrase} for status in statuses}
