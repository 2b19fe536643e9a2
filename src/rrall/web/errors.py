"""One JSON error shape on every API path: status, code, message, field errors."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import Receive, Scope, Send

from rrall.errors import API_CODES, ApiError, CaseInputError, ConflictError, FieldError, NotFoundError

CODES = API_CODES


def error_body(status: int, code: str, message: str,
               errors: list[FieldError] | None = None) -> dict[str, Any]:
    return {"status": status, "code": code, "message": message,
            "errors": [e.to_dict() for e in errors or []]}


def operation_outcome(status: int, message: str, errors: list[FieldError] | None) -> dict[str, Any]:
    """The same error as a FHIR OperationOutcome (CDS Hooks 3.0 asks for one on non-2xx)."""
    kind = {401: "security", 403: "forbidden", 404: "not-found", 412: "incomplete", 413: "too-long"}.get(
        status, "invalid" if status < 500 else "exception")
    issues: list[dict[str, Any]] = [{"severity": "error", "code": kind, "diagnostics": message}]
    issues += [{"severity": "error", "code": "invalid", "diagnostics": e.message, "expression": [e.path]}
               for e in errors or [] if e.path]
    return {"resourceType": "OperationOutcome", "issue": issues}


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path.startswith("/cds-services")


def _respond(request: Request, status: int, code: str, message: str,
             errors: list[FieldError] | None = None, headers: dict[str, str] | None = None) -> Response:
    if _is_api(request):
        body = error_body(status, code, message, errors)
        if request.url.path.startswith("/cds-services"):
            body["operationOutcome"] = operation_outcome(status, message, errors)  # CDS Hooks 3.0
        return JSONResponse(body, status_code=status, headers=headers)
    templates = request.app.state.templates
    return HTMLResponse(templates.get_template("error.html.j2").render(
        request=request, status=status, message=message, user=getattr(request.state, "user", None)),
        status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 and _is_api(request) else None
        return _respond(request, exc.status, exc.code, exc.message, exc.errors, headers)

    @app.exception_handler(CaseInputError)
    async def invalid_case(request: Request, exc: CaseInputError) -> Response:
        return _respond(request, 422, "invalid_case", "the case is not valid; see errors", exc.errors)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return _respond(request, 404, "not_found", str(exc))

    @app.exception_handler(ConflictError)
    async def conflict(request: Request, exc: ConflictError) -> Response:
        return _respond(request, 409, "conflict", str(exc))


    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        headers = dict(exc.headers) if exc.headers else {}
        if status == 405:  # Starlette names the methods of the first route with this path only
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        return _respond(request, status, CODES.get(status, "error"), str(exc.detail), headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = exc.errors()
        if any(e["type"] == "json_invalid" for e in problems):
            return _respond(request, 400, "invalid_json", "the body is not valid JSON")
        if not _is_api(request) and all(e["loc"][0] == "path" for e in problems):
            return _respond(request, 404, "not_found", "there is no such page")  # /cases/99999999999
        errors = [FieldError(".".join(str(p) for p in e["loc"] if p != "body"), str(e["msg"]))
                  for e in problems]
        return _respond(request, 422, "invalid_input", "the request is not valid; see errors", errors)


async def internal_error(scope: Scope, receive: Receive, send: Send) -> None:
    """The 500 answer, in the error shape of the path asked for (security.py sends it)."""
    request = Request(scope, receive)
    message = "internal error; the server log names its type"
    await _respond(request, 500, "internal_error", message)(scope, receive, send)


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (RFC 9110 15.5.6: a 405 lists them all),
    found by asking the router how it would route the same path with each method."""
    methods = set()
    for method in ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(not isinstance(route, Mount) and route.matches(scope)[0] is Match.FULL
               for route in request.app.router.routes):
            methods.add(method)
    return ", ".join(sorted(methods))
