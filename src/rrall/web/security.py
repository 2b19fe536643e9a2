"""Security headers, a request size limit and a log line per request without identifiers."""

from __future__ import annotations

import ipaddress
import logging
import time

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rrall.web.errors import error_body, internal_error, operation_outcome

log = logging.getLogger("rrall.web")

HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
     b"script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class TooLarge(Exception):
    pass


class SecurityMiddleware:
    """Adds the headers to every response, refuses bodies over `max_body_bytes` (by
    Content-Length or while streaming), and logs method, route template, status and time:
    never the URL itself, whose path or query may hold a case id or a search term."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, secure: bool) -> None:
        self.app = app
        self.max = max_body_bytes
        self.headers = [*HEADERS, *([(b"strict-transport-security", b"max-age=31536000")] if secure else [])]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max:
            await self._too_large(send, scope["path"])
            return
        seen = 0
        status = 0
        responded = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max:
                raise TooLarge
            return message

        async def with_headers(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                names = {k for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in self.headers if k not in names)]
                if scope["path"] != "/static" and not scope["path"].startswith("/static/"):
                    message["headers"].append((b"cache-control", b"no-store"))
            await send(message)

        try:
            await self.app(scope, limited, with_headers)
        except TooLarge:
            if not responded:
                await self._too_large(send, scope["path"])
            status = 413
        except Exception as exc:
            # Answered here, not by Starlette's outermost handler, so that the 500 gets the
            # security headers and the request its log line. The exception's text may quote
            # patient data: only its type is logged.
            route = getattr(scope.get("route"), "path", "(unrouted)")
            log.error("internal error %s on %s %s", type(exc).__name__, scope["method"], route)
            if not responded:
                await internal_error(scope, receive, with_headers)
            status = 500
        route = getattr(scope.get("route"), "path", "(unrouted)")
        log.info("%s %s %s %.1fms", scope["method"], route, status, (time.perf_counter() - started) * 1000)

    async def _too_large(self, send: Send, path: str) -> None:
        message = f"request body over {self.max} bytes"
        error = error_body(413, "too_large", message)
        if path.startswith("/cds-services"):  # as every other error there (CDS Hooks 3.0)
            error["operationOutcome"] = operation_outcome(413, message, None)
        body = orjson.dumps(error)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), *self.headers]})
        await send({"type": "http.response.body", "body": body})


class QuietErrors:
    """Outermost wrapper for the server: Starlette re-raises an unhandled exception after
    the 500 response is sent, and uvicorn would log its traceback, whose values can quote
    patient data. Log the exception's type only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            log.error("unhandled %s (answered 500)", type(exc).__name__)


def from_loopback(request: Request) -> bool:
    """Whether the request came from this machine: its TCP peer is a loopback address.
    Never the Host header or the URL built from it, which the caller writes. Behind a
    reverse proxy on the same machine every request is from loopback: set
    RRALL_PUBLIC_URL there, and rules that need the caller's address do not apply."""
    peer = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(peer).is_loopback
    except ValueError:  # not an address (a Unix socket, a test client's name)
        return False
