"""The workbench's HTML pages: log in, cases, the case form, the assessment, reports."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from rrall.case.model import CASE_ID_MAX
from rrall.case.untrusted import read_document
from rrall.errors import ApiError, CaseInputError, ConflictError
from rrall.report.html import REPORT_CSP, clinician_html, to_pdf
from rrall.store.passwords import keyed
from rrall.store.tables import AssessmentRecord, User
from rrall.web import caseform
from rrall.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    check_password,
    checked_form,
    page_user,
    session_token,
)
from rrall.web.flags import current_flags
from rrall.web.params import OptionalId, PageNumber, Pk, form_id
from rrall.web.view import assessment_context, html, report_context, safe_next
from rrall.web.workbench import Workbench, result_of

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(page_user("viewer"))]
Clinician = Annotated[User, Depends(page_user("clinician"))]
Admin = Annotated[User, Depends(page_user("admin"))]
PAGE = 50
UPLOAD_LIMIT = 500_000


def _wb(request: Request) -> Workbench:
    workbench: Workbench = request.app.state.workbench
    return workbench


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/cases", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str = "/cases") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = html(request, "login.html.j2", login_csrf=token, next=safe_next(next), username="", error="")
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    sent, expected = form.get("csrf_token"), request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or sent != expected:
        raise ApiError(403, "the login form is stale: reload the page and retry")
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/cases")))
    failures = request.app.state.failed_logins
    if failures.blocked(username):
        _wb(request).repo.login_throttled(username)
        raise ApiError(429, "too many failed logins for this user: wait 15 minutes or ask an admin")
    user = await check_password(request, username, password)
    if user is None:
        failures.failed(username)
        return html(request, "login.html.j2", status=401, login_csrf=expected, next=target,
                    username=username, error="User name or password is wrong.")
    settings = request.app.state.settings
    token = secrets.token_urlsafe(32)
    _wb(request).repo.open_session(user, keyed(settings.secret_key, token), settings.session_hours)
    redirect = RedirectResponse(target, status_code=303)
    redirect.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.secure_cookies, max_age=settings.session_hours * 3600)
    redirect.delete_cookie(LOGIN_CSRF_COOKIE)
    return redirect


@router.post("/logout")
async def logout(request: Request, user: Viewer) -> RedirectResponse:
    await checked_form(request)
    token = session_token(request)
    if token:
        _wb(request).repo.close_session(keyed(request.app.state.settings.secret_key, token), user.username)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/cases")
def case_list(request: Request, user: Viewer, q: str = "", page: PageNumber = 0, sort: str = "updated",
              dir: str = "desc") -> HTMLResponse:
    from rrall.web.caselist import COLUMNS, case_rows, select_rows

    wb = _wb(request)
    if sort not in (*COLUMNS, *wb.kb.frameworks):
        sort = "updated"
    wanted = q.replace("\x00", "").strip()  # NUL is no text a case holds (PostgreSQL refuses it)
    rows = [] if len(wanted) > CASE_ID_MAX else select_rows(case_rows(wb.repo, wb.kb, wb.kb.glossary), wanted,
                                                           sort, dir == "desc")
    page = max(page, 0)
    shown = rows[page * PAGE:(page + 1) * PAGE]
    return html(request, "cases.html.j2", items=shown, flags=current_flags(request, [r.pk for r in shown]),
                total=len(rows), q=q,
                page=page, pages=(len(rows) + PAGE - 1) // PAGE, sort=sort, desc=dir == "desc")


# -- the case form ----------------------------------------------------------------------
def _values(form: FormData) -> caseform.Values:
    values: caseform.Values = {}
    for key, value in form.multi_items():
        if key not in ("csrf_token", "_action") and isinstance(value, str):
            values.setdefault(key, []).append(value)
    return values


def _form(request: Request, heading: str, action: str, values: caseform.Values,
          errors: list[Any] | None = None, more: str = "", status: int = 200,
          import_action: str = "", base_version: str = "",
          identifiers: dict[str, str] | None = None) -> HTMLResponse:
    by_path: dict[str, list[str]] = {}
    shown = _rendered_names(caseform.widgets(), values, more)
    for e in errors or []:
        allowed = f" (allowed: {e.allowed})" if e.allowed else ""
        # relapses[0].sites[1] is shown beside relapses[0].sites
        path = e.path if e.path in shown else re.sub(r"\[\d+\]$", "", e.path)
        by_path.setdefault(path, []).append(f"{e.message}{allowed}")
    return html(request, "caseform.html.j2", status=status, heading=heading, action=action, values=values,
                errors=by_path, error_count=len(errors or []), shown=shown, widgets=caseform.widgets(),
                rows=caseform.rows, token_text=caseform.token_text, more=more, message="",
                import_action=import_action, base_version=base_version, identifiers=identifiers or {})


def _rendered_names(widgets: list[caseform.Widget], values: caseform.Values, more: str) -> set[str]:
    names: set[str] = set()
    for w in widgets:
        if w.kind == "group":
            names |= _rendered_names(w.children, values, more)
        elif w.kind == "repeat":
            for row in caseform.rows(w, values, more):
                names |= _rendered_names(row, values, more)
        else:
            names.add(w.name)
    return names


async def _submit(request: Request, user: User, heading: str, action: str, pk: Pk | None) -> Response:
    form = await checked_form(request)
    values = caseform.to_values(caseform.to_document(_values(form)))  # renumbers blank rows away
    chosen = str(form.get("_action", "save"))
    base = str(form.get("_base_version", ""))
    ids = {k: str(form.get(f"_{k}", "")).strip() for k in ("name", "mrn")}
    if chosen.startswith("more:"):
        return _form(request, heading, action, values, more=chosen.removeprefix("more:"), base_version=base,
                     identifiers=ids)
    document = caseform.to_document(values)
    try:
        if pk is None:
            record, _ = _wb(request).create(document, user.username)
        else:
            based_on = form_id(base)
            record, _ = _wb(request).update(pk, document, user.username, based_on)
    except CaseInputError as exc:
        return _form(request, heading, action, values, exc.errors, status=422, base_version=base,
                     identifiers=ids)
    except ConflictError as exc:
        from rrall.errors import FieldError

        path = "id" if "already exists" in str(exc) else ""
        return _form(request, heading, action, values, [FieldError(path, str(exc))], status=409,
                     base_version=base, identifiers=ids)
    _wb(request).repo.set_identifiers(record.id, ids["name"], ids["mrn"], user.username)
    return RedirectResponse(f"/cases/{record.id}", status_code=303)


@router.get("/cases/new")
def new_case(request: Request, user: Clinician) -> HTMLResponse:
    return _form(request, "New case", "/cases/new", {}, import_action="/cases/import")


@router.post("/cases/new")
async def create_case(request: Request, user: Clinician) -> Response:
    return await _submit(request, user, "New case", "/cases/new", None)


@router.post("/cases/import")
async def import_case(request: Request, user: Clinician) -> Response:
    from rrall.errors import FieldError

    form = await checked_form(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        await form.close()
        return _form(request, "New case", "/cases/new", {}, [FieldError("file", "choose a case file")],
                     status=422, import_action="/cases/import")
    data = await upload.read(UPLOAD_LIMIT + 1)
    await form.close()  # the spooled upload file
    problem = None
    document: Any = None
    if len(data) > UPLOAD_LIMIT:
        problem = f"the file is over {UPLOAD_LIMIT} bytes"
    else:
        try:
            document = read_document(data.decode("utf-8"))  # JSON is YAML
        except (UnicodeDecodeError, ValueError) as exc:
            problem = _file_problem(exc)
    if problem or not isinstance(document, dict):
        return _form(request, "New case", "/cases/new", {},
                     [FieldError("file", problem or "a case file holds one JSON/YAML object")],
                     status=422, import_action="/cases/import")
    try:
        record, _ = _wb(request).create(document, user.username)
    except (CaseInputError, ConflictError) as exc:
        errors = exc.errors if isinstance(exc, CaseInputError) else [FieldError("id", str(exc))]
        return _form(request, "New case (from the imported file)", "/cases/new", caseform.to_values(document),
                     errors, status=422, import_action="/cases/import")
    return RedirectResponse(f"/cases/{record.id}", status_code=303)


def _file_problem(exc: Exception) -> str:
    """Where a case file stops being JSON or YAML, by line and column, and what was wrong."""
    if isinstance(exc, UnicodeDecodeError):
        return (f"not a JSON or YAML case file: byte {exc.start + 1} is not UTF-8 text; save the file as "
                "UTF-8 and import it again")
    # The reader's message names the line and column and quotes nothing from the file.
    return (f"not a JSON or YAML case file: {exc} "
            "(check the indentation and that each entry is written “key: value”)")


@router.get("/cases/{pk}/edit")
def edit_case(request: Request, pk: Pk, user: Clinician) -> HTMLResponse:
    version = _wb(request).repo.version(pk)
    _wb(request).repo.record(user.username, "case.edit_form", "case", pk, version=version.version)
    return _form(request, f"Edit case {version.document.get('id', pk)} (version {version.version})",
                 f"/cases/{pk}/edit", caseform.to_values(version.document), base_version=str(version.version),
                 identifiers=_wb(request).repo.identifiers(pk))


@router.post("/cases/{pk}/edit")
async def save_case(request: Request, pk: Pk, user: Clinician) -> Response:
    _wb(request).repo.case(pk)
    return await _submit(request, user, "Edit case", f"/cases/{pk}/edit", pk)


# -- the assessment page, decisions and reports ------------------------------------------
def _chosen_assessment(request: Request, pk: int, assessment: int | None) -> AssessmentRecord:
    repo = _wb(request).repo
    record = repo.assessment(assessment) if assessment else next(iter(repo.assessments(pk)), None)
    if record is None or record.case_pk != pk:
        raise ApiError(404, f"no assessment {assessment or ''} for case {pk}")
    return record


@router.get("/cases/{pk}")
def case_page(request: Request, pk: Pk, user: Viewer, assessment: OptionalId = None,
              meeting: OptionalId = None) -> HTMLResponse:
    """`meeting`: opened from a meeting's list, so a decision is recorded for that meeting."""
    repo = _wb(request).repo
    record = _chosen_assessment(request, pk, assessment)
    repo.record(user.username, "case.view", "case", pk, assessment=record.id)
    ctx = assessment_context(request, pk, record)
    if meeting is not None:
        found = repo.meeting(meeting)
        ctx["decision_values"] = {"meeting_id": [str(meeting)]}
        ctx["default_decision_date"] = found.meeting_date.isoformat()  # decided at that meeting
        ctx["back"] = f"/meetings/{meeting}"
    return html(request, "assessment.html.j2", **ctx)


@router.post("/cases/{pk}/reassess")
async def reassess(request: Request, pk: Pk, user: Clinician) -> RedirectResponse:
    await checked_form(request)
    _wb(request).reassess(pk, user.username)
    return RedirectResponse(f"/cases/{pk}", status_code=303)


@router.post("/cases/{pk}/decisions")
async def decide(request: Request, pk: Pk, user: Clinician) -> Response:
    from rrall.web.decisions import decision_from_form

    form = await checked_form(request)
    sent = form_id(str(form.get("assessment_id", "")))
    if sent is None:
        raise ApiError(422, "the decision form names no assessment: reload the case page")
    record = _chosen_assessment(request, pk, sent)
    new, errors = decision_from_form(form, record, result_of(record))
    back = str(form.get("back", "")) or f"/cases/{pk}"
    if errors:
        ctx = assessment_context(request, pk, record, decision_errors=errors, decision_values=_values(form))
        return html(request, "assessment.html.j2", status=422, **ctx)
    assert new is not None
    _wb(request).repo.add_decision(pk, new, user.username)
    return RedirectResponse(safe_next(back) + "#decisions", status_code=303)


@router.get("/cases/{pk}/report.{fmt}")
def report(request: Request, pk: Pk, fmt: str, user: Viewer, kind: str = "clinician",
           assessment: OptionalId = None, lang: str = "en") -> Response:
    from rrall.report.family import family_html, languages

    wb = _wb(request)
    if fmt not in ("html", "pdf") or kind not in ("clinician", "family") or lang not in languages(wb.kb):
        raise ApiError(404, "reports are report.html or report.pdf, kind clinician or family, "
                       f"lang one of {', '.join(languages(wb.kb))}")
    record = _chosen_assessment(request, pk, assessment)
    url = request.app.state.settings.public_url
    ctx = report_context(request, pk, record, f"{url}/cases/{pk}" if url else "")
    if kind == "family":
        decided = ctx.decisions[-1] if ctx.decisions else None
        page = family_html(ctx.result, ctx.document, wb.kb, lang, decided,
                           request.app.state.settings.care_team_contact, wb.release_of(record))
    else:
        page = clinician_html(ctx)
    wb.repo.record(user.username, f"report.{kind}.{fmt}", "assessment", record.id)
    name = f"rrall-{kind}-case{pk}-assessment{record.id}{'' if lang == 'en' else '-' + lang}.{fmt}"
    if fmt == "pdf":
        return Response(to_pdf(page), media_type="application/pdf",
                        headers={"content-disposition": f'attachment; filename="{name}"'})
    return HTMLResponse(page, headers={"content-security-policy": REPORT_CSP})


@router.get("/cases/{pk}/charts/{kind}.svg")
def chart(request: Request, pk: int, kind: str, user: Viewer, assessment: int | None = None) -> Response:
    """A chart of the assessment page as an image (the same SVG the reports embed)."""
    from rrall.web.view import charts_of

    if kind not in ("timeline", "mrd"):
        raise ApiError(404, "charts are timeline.svg or mrd.svg")
    record = _chosen_assessment(request, pk, assessment)
    drawn = charts_of(request, pk, record).get(kind)
    if drawn is None:
        raise ApiError(404, f"no {kind} chart for this assessment")
    return Response(drawn.svg, media_type="image/svg+xml",
                    headers={"content-security-policy": "default-src 'none'; style-src 'unsafe-inline'"})


@router.get("/cases/{pk}/assessment.fhir.json")
def fhir_download(request: Request, pk: Pk, user: Viewer, assessment: OptionalId = None) -> Response:
    """The assessment as a FHIR R4 Bundle, for the record or another system."""
    import orjson

    from rrall.fhir.assessment import assessment_bundle

    repo = _wb(request).repo
    record = _chosen_assessment(request, pk, assessment)
    result = result_of(record)
    document = repo.version(pk, record.case_version).document
    case = _wb(request).validate(document | {"assessment_date": result["assessment_date"]})
    repo.record(user.username, "assessment.fhir", "assessment", record.id)
    name = f"rrall-case{pk}-assessment{record.id}.fhir.json"
    body = orjson.dumps(assessment_bundle(result, case, _wb(request).kb.glossary, record.created_at),
                        option=orjson.OPT_INDENT_2)
    return Response(body, media_type="application/fhir+json",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/references")
def references(request: Request, user: Viewer) -> HTMLResponse:
    kb = _wb(request).kb
    return html(request, "references.html.j2", references=kb.references, knowledge_version=kb.version)


@router.get("/audit")
def audit(request: Request, user: Admin, page: PageNumber = 0) -> HTMLResponse:
    entries = _wb(request).repo.audit_log(200, max(page, 0) * 200)
    return html(request, "audit.html.j2", entries=entries, page=page)

