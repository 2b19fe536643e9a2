"""Tumor-board mode: a meeting's case list, decisions per case and a printable summary."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rrall.store.tables import User
from rrall.web.auth import checked_form, page_user
from rrall.web.flags import current_flags
from rrall.web.params import Pk, form_id
from rrall.web.view import html
from rrall.web.workbench import Workbench, result_of

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(page_user("viewer"))]
Clinician = Annotated[User, Depends(page_user("clinician"))]


def _wb(request: Request) -> Workbench:
    workbench: Workbench = request.app.state.workbench
    return workbench


@router.get("/meetings")
def meetings(request: Request, user: Viewer) -> HTMLResponse:
    return html(request, "meetings.html.j2", meetings=_wb(request).repo.meetings(), errors={}, values={})


@router.post("/meetings")
async def create_meeting(request: Request, user: Clinician) -> Response:
    form = await checked_form(request)
    title, when = str(form.get("title", "")).strip(), str(form.get("meeting_date", "")).strip()
    errors = {}
    if not title:
        errors["title"] = "give the meeting a title"
    elif len(title) > 200:
        errors["title"] = "at most 200 characters"
    try:
        meeting_date = date.fromisoformat(when)
    except ValueError:
        errors["meeting_date"] = "a date written YYYY-MM-DD"
    if errors:
        return html(request, "meetings.html.j2", status=422, meetings=_wb(request).repo.meetings(),
                    errors=errors, values={"title": title, "meeting_date": when})
    meeting = _wb(request).repo.create_meeting(title, meeting_date, user.username)
    return RedirectResponse(f"/meetings/{meeting.id}", status_code=303)


def _rows(request: Request, meeting_id: int) -> list[dict[str, Any]]:
    repo = _wb(request).repo
    cases = repo.meeting_cases(meeting_id)
    latest = repo.latest_assessments([c.id for c in cases])
    decisions = repo.decisions(meeting_id=meeting_id)
    rows = []
    for case in cases:
        record = latest.get(case.id)
        result = result_of(record) if record else None
        rows.append({
            "case": case, "assessment": record, "r": result,
            "main": [o for o in (result or {}).get("options", [])
                     if o["status"] in ("standard", "consider") and o["phase"] != "supportive"],
            "decisions": [d for d in decisions if d.case_pk == case.id],
        })
    return rows


@router.get("/meetings/{meeting_id}")
def meeting(request: Request, meeting_id: Pk, user: Viewer) -> HTMLResponse:
    repo = _wb(request).repo
    found = repo.meeting(meeting_id)
    listed = {r["case"].id for r in _rows(request, meeting_id)}
    _total, all_cases = repo.cases(limit=500)
    rows = _rows(request, meeting_id)
    return html(request, "meeting.html.j2", meeting=found, rows=rows,
                flags=current_flags(request, [r["case"].id for r in rows]),
                candidates=[c for c in all_cases if c.id not in listed])


@router.post("/meetings/{meeting_id}/cases")
async def add_case(request: Request, meeting_id: Pk, user: Clinician) -> RedirectResponse:
    form = await checked_form(request)
    pk = form_id(str(form.get("case", "")))
    if pk is not None:
        _wb(request).repo.add_to_meeting(meeting_id, pk, user.username)
    return RedirectResponse(f"/meetings/{meeting_id}", status_code=303)


@router.get("/meetings/{meeting_id}/print")
def printable(request: Request, meeting_id: Pk, user: Viewer) -> HTMLResponse:
    found = _wb(request).repo.meeting(meeting_id)
    rows = _rows(request, meeting_id)
    attendees = sorted({a for r in rows for d in r["decisions"] for a in d.attendees})
    _wb(request).repo.record(user.username, "meeting.print", "meeting", meeting_id)
    return html(request, "meeting_print.html.j2", meeting=found, rows=rows,
                attendees=attendees)
