"""The outermost layer: body size limit, a canonical 500 for bugs, metrics, and one access-log line.

The access log carries method, route template, status, latency and byte counts: never a body, a query
string or a raw path, so CV text and skills cannot reach the logs.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.api.errors import HEAD_ASKED, error_body, internal_error

if TYPE_CHECKING:
    from matcher.api.metrics import Metrics
    from matcher.api.settings import Settings

access = logging.getLogger("matcher.access")
UNMATCHED = "<unmatched>"  # one label for every unknown path, so probes cannot blow up the metrics


class TooLarge(Exception):
    pass


class ServiceMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer streamed responses)."""

    def __init__(self, app: ASGIApp, settings: Settings, metrics: Metrics) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        sent: dict[str, Any] = {"status": 500, "bytes": 0, "started": False}
        method = scope["method"]
        if method == "HEAD":  # answered as the GET it asks about, headers and all, without the body
            scope = {**scope, "method": "GET", HEAD_ASKED: True}

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"], sent["started"] = message["status"], True
            elif message["type"] == "http.response.body":
                sent["bytes"] += len(message.get("body", b""))
                if method == "HEAD":
                    message = {**message, "body": b""}
            await send(message)

        received = 0
        try:
            body = await self._read_body(scope, receive)
            received = len(body)
            await self.app(scope, _replay(body, receive), send_counted)
        except TooLarge:
            limit = self.settings.max_body_bytes
            await _send_json(send_counted, 413, error_body(
                413, "payload_too_large", f"request body is larger than the limit of {limit} bytes",
                {"limit_bytes": limit}))
        except Exception as exc:  # noqa: BLE001 - a bug anywhere below becomes one canonical 500
            if sent["started"]:
                internal_error(exc, _route(scope))  # mid-stream: too late for a status; log and close
            else:
                response = internal_error(exc, _route(scope))
                await response(scope, receive, send_counted)
        finally:
            self._record(scope, method, sent, received, time.perf_counter() - started)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        """The whole body, refusing early (by Content-Length) or as soon as it passes the limit."""
        limit = self.settings.max_body_bytes
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise TooLarge
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _record(self, scope: Scope, method: str, sent: dict[str, Any], received: int, seconds: float) -> None:
        route, status = _route(scope), int(sent["status"])
        self.metrics.observe(method, route, status, seconds)
        if self.settings.access_log:
            access.info("%s %s %d %.1fms in=%dB out=%dB", method, route, status, seconds * 1000, received,
                        sent["bytes"])


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hand the buffered body to the app once, then pass through (a later receive waits for disconnect)."""
    done = False

    async def replay() -> Message:
        nonlocal done
        if done:
            return await receive()
        done = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
