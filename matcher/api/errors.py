"""One error shape for every error the service returns: `{"error": {code, message, status, details}}`."""

from __future__ import annotations

import logging
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
              415: "unsupported_media_type", 422: "invalid_input", 500: "internal_error", 503: "unavailable"}


class Unauthorized(MatcherError):
    """No API key, or one that is not configured."""

    status = 401
    code = "unauthorized"


class Forbidden(MatcherError):
    """The operation is refused whatever the key (writes with no key configured)."""

    status = 403
    code = "forbidden"


class PayloadTooLarge(MatcherError):
    """The request body is larger than `max_body_bytes`."""

    status = 413
    code = "payload_too_large"


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


def _allowed_methods(request: Request) -> str:
    """Every method of every route at this path (Starlette's 405 names only the first route's)."""
    scope = {"type": "http", "path": request.scope["path"], "root_path": request.scope.get("root_path", ""),
             "method": request.method}
    methods: set[str] = set()
    for route in request.app.routes:
        if getattr(route, "methods", None) and route.matches(scope)[0] != Match.NONE:
            methods |= set(route.methods)
    return ", ".join(sorted(methods))


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
        headers["Allow"] = _allowed_methods(request)
        message = f"{request.method} is not allowed on {request.url.path}; allowed: {headers['Allow'] or 'none'}"
    return error_response(status, HTTP_CODES.get(status, "http_error"), message, {}, headers or None)


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 listing every problem by location; inputs are never echoed (they may hold CV text)."""
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": _loc(tuple(e.get("loc", ()))), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
              for e in exc.errors()]
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


ERROR_STATUSES = (401, 403, 404, 413, 415, 422, 500, 503)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an operation can return, all in the canonical shape."""
    return {status: {"model": ErrorResponse, "description": HTTPStatus(status).phrase} for status in statuses}
