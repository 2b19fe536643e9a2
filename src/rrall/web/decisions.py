"""A tumor-board decision from the decision form, with every problem named by field."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.datastructures import FormData

from rrall.store.repository import NewDecision
from rrall.store.tables import AssessmentRecord
from rrall.web.params import form_id


def decision_from_form(form: FormData, record: AssessmentRecord,
                       result: dict[str, Any]) -> tuple[NewDecision | None, dict[str, str]]:
    errors: dict[str, str] = {}
    text = {k: str(form.get(k, "")).strip() for k in ("decision_date", "attendees", "plan", "rationale",
                                                        "meeting_id")}
    try:
        when = date.fromisoformat(text["decision_date"])
    except ValueError:
        given = text["decision_date"]
        errors["decision_date"] = (
            f"{given!r} is not a date; pick it in the calendar or write it as 2025-03-21 (year-month-day)"
            if given else "give the date of the decision")
        when = date.min
    attendees = [a.strip() for a in text["attendees"].replace(";", "\n").replace(",", "\n").splitlines()
                 if a.strip()]
    if not attendees:
        errors["attendees"] = "name at least one attendee (one per line or comma-separated)"
    if not text["plan"]:
        errors["plan"] = "write the plan the board chose"
    known = {o["id"] for o in result["options"]}
    chosen = [str(v) for v in form.getlist("chosen_options")]
    if any(c not in known for c in chosen):
        errors["chosen_options"] = "only options of this assessment can be chosen"
    meeting = form_id(text["meeting_id"])
    if errors:
        return None, errors
    return NewDecision(assessment_id=record.id, decision_date=when, attendees=attendees,
                       chosen_options=chosen, plan=text["plan"], rationale=text["rationale"],
                       meeting_id=meeting), {}
