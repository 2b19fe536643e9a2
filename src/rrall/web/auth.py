"""Who is asking: bearer tokens for the API, a session cookie (with CSRF) for the pages."""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import quote

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import FormData

from rrall.errors import ApiError
from rrall.store.accounts import ROLES
from rrall.store.passwords import keyed
from rrall.store.tables import User

SESSION_COOKIE = "rrall_session"
LOGIN_CSRF_COOKIE = "rrall_login_csrf"


class LoginRequired(Exception):
    """A page asked for without a session: the handler redirects to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def _allowed(user: User, role: str) -> bool:
    return ROLES.index(user.role) >= ROLES.index(role)


# Reads the header only (auto_error off: the 401 below is in the error shape); its use
# puts the scheme in the OpenAPI document and on every operation that needs it.
BEARER = HTTPBearer(scheme_name="bearerToken", auto_error=False,
                    description="An API token from `rrall users token NAME` (opaque, not a JWT).")


def api_user(role: str = "viewer") -> Callable[..., Awaitable[User]]:
    """Dependency: the user of a bearer token with at least `role`. Async on purpose: one
    indexed lookup is cheaper on the event loop than a hop to the thread pool."""

    async def dependency(request: Request,
                         sent: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> User:
        if sent is None or not sent.credentials.strip():
            raise ApiError(401, "authentication required: send 'Authorization: Bearer <token>' "
                           "(rrall users token NAME issues one)")
        user = request.app.state.repo.user_for_token(sent.credentials.strip())
        if user is None:
            raise ApiError(401, "the bearer token is not valid or has been revoked")
        if not _allowed(user, role):
            raise ApiError(403, f"this needs the {role} role; you have {user.role}")
        request.state.user = user
        return user  # type: ignore[no-any-return]

    return dependency


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def page_user(role: str = "viewer") -> Callable[[Request], User]:
    """Dependency: the logged-in user of a page, or a redirect to the login page."""

    def dependency(request: Request) -> User:
        token = session_token(request)
        settings = request.app.state.settings
        user = request.app.state.repo.user_for_session(keyed(settings.secret_key, token)) if token else None
        if user is None:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(quote(path, safe="/"))
        request.state.user = user
        if not _allowed(user, role):
            raise ApiError(403, f"this needs the {role} role; you have {user.role}")
        return user  # type: ignore[no-any-return]

    return dependency


def csrf_token(request: Request) -> str:
    token = session_token(request) or ""
    return keyed(request.app.state.settings.secret_key, "csrf:" + token)


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session."""
    form = await request.form()
    if any(isinstance(v, str) and "\x00" in v for _, v in form.multi_items()):
        raise ApiError(422, "NUL characters are not allowed in a form")
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(request)):
        raise ApiError(403, "the form's security token is missing or stale: reload the page and retry")
    return form


async def check_password(request: Request, username: str, password: str) -> User | None:
    """The user, if the password is theirs. The scrypt check takes tens of milliseconds of
    CPU: it runs in a worker thread (hashlib releases the GIL), at most `password_checks`
    at a time, so that a flood of logins neither stalls the event loop (every other
    request waited behind it) nor takes every core and 16 MB of memory per check."""
    limiter: anyio.CapacityLimiter = request.app.state.password_checks
    user: User | None = await anyio.to_thread.run_sync(
        request.app.state.repo.authenticate, username, password, limiter=limiter)
    return user


def password_check_limiter() -> anyio.CapacityLimiter:
    """Half the cores, at least one: the rest stay free for everyone else's requests."""
    return anyio.CapacityLimiter(max(1, (os.cpu_count() or 2) // 2))


class FailedLogins:
    """Failed logins per user name in this process: after `limit` within `window` seconds,
    further attempts are refused until the window passes (slows password guessing)."""

    def __init__(self, limit: int = 5, window: float = 900) -> None:
        self.limit, self.window = limit, window
        self.seen: dict[str, list[float]] = {}

    def _recent(self, username: str) -> list[float]:
        cutoff = time.monotonic() - self.window
        kept = [t for t in self.seen.get(username, []) if t > cutoff]
        self.seen[username] = kept
        return kept

    def blocked(self, username: str) -> bool:
        return len(self._recent(username)) >= self.limit

    def failed(self, username: str) -> None:
        self._recent(username).append(time.monotonic())


def template_globals(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "user", None)
    return {"request": request, "user": user, "csrf": csrf_token(request) if user else ""}
