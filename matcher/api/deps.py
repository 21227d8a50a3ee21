"""Request dependencies: the app's `Matcher` (reloaded when another process published a new version), API keys."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from matcher.api.errors import Forbidden, Unauthorized, UnsupportedMediaType
from matcher.engine import Matcher
from matcher.errors import IndexMissing, MatcherError

if TYPE_CHECKING:
    from matcher.api.settings import Settings

log = logging.getLogger("matcher.api")
bearer = HTTPBearer(auto_error=False, description="An API key from `MATCHER_API_KEYS`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


class Refresher:
    """Checks the index folder's manifest at most every `interval` seconds; one check at a time."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.last = float("-inf")
        self._lock = threading.Lock()

    def due(self) -> bool:
        return self.interval >= 0 and time.monotonic() - self.last >= self.interval

    def check(self, matcher: Matcher, *, force: bool = False) -> None:
        """Reload a version another process published. `force` waits for a check in progress (readiness)."""
        if not self._lock.acquire(blocking=force):
            return  # another request is checking; serve the loaded version meanwhile
        try:
            self.last = time.monotonic()
            matcher.refresh()
        except (MatcherError, OSError) as exc:  # e.g. a version pruned while loading: keep serving, retry later
            log.warning("index refresh failed, still serving the loaded version: %s", exc)
        finally:
            self._lock.release()


async def get_matcher(request: Request) -> Matcher:
    """The loaded `Matcher`; first picks up a version another worker published, when a check is due."""
    matcher: Matcher | None = request.app.state.matcher
    if matcher is None:
        raise IndexMissing("the index is not loaded yet; retry when /readyz answers 200")
    refresher: Refresher = request.app.state.refresher
    if refresher.due():
        await run_in_threadpool(refresher.check, matcher)
    return matcher


def check_key(settings: Settings, credentials: HTTPAuthorizationCredentials | None, what: str) -> None:
    """Accept a configured key; no key configured means the operation is refused, not open."""
    if not settings.api_keys:
        raise Forbidden(f"{what} are disabled: no API key is configured (set MATCHER_API_KEYS)")
    if credentials is None:
        raise Unauthorized("missing API key: send the header 'Authorization: Bearer KEY'")
    given = credentials.credentials.encode()
    if not any(hmac.compare_digest(given, key.encode()) for key in settings.api_keys):
        raise Unauthorized("invalid API key")


async def require_write_key(request: Request, credentials: Credentials) -> None:
    check_key(request.app.state.settings, credentials, "writes")


async def require_read_key(request: Request, credentials: Credentials) -> None:
    check_key(request.app.state.settings, credentials, "keyed reads")


def is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def media_type(request: Request) -> str:
    """The request body's media type, lower case, without parameters ('' when none is given)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def require_json(request: Request) -> None:
    """A JSON endpoint answers 415 to a body in another content type (no header is read as JSON)."""
    given = media_type(request)
    if given and not is_json(given):
        raise UnsupportedMediaType(f"send this request's body as application/json, not {given!r}")


MatcherDep = Annotated[Matcher, Depends(get_matcher)]
