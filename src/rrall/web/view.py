"""Helpers the pages share: rendering with the common globals, and the assessment view."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from rrall.report.charts import Chart
from rrall.report.family import languages
from rrall.report.html import Identifiers, ReportContext
from rrall.store.tables import AssessmentRecord
from rrall.web.auth import template_globals
from rrall.web.flags import current_flags
from rrall.web.workbench import Workbench, result_of


def html(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    env = request.app.state.templates
    kb = request.app.state.workbench.kb
    context.setdefault("knowledge_version", kb.version)
    context.setdefault("words", kb.glossary)
    context.setdefault("frameworks", list(kb.frameworks.values()))
    body = env.get_template(template).render(**template_globals(request), **context)
    return HTMLResponse(body, status_code=status)


def safe_next(target: str) -> str:
    """Only a path on this site: never another host (open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/cases"
    return target


def decision_dict(d: Any) -> dict[str, Any]:
    return {"decision_date": d.decision_date, "plan": d.plan, "rationale": d.rationale,
            "attendees": d.attendees, "chosen_options": d.chosen_options, "assessment_id": d.assessment_id,
            "created_by": getattr(d, "created_by", "")}


def report_context(request: Request, pk: int, record: AssessmentRecord, case_url: str = "") -> ReportContext:
    """What the page and the reports show of one stored assessment."""
    wb: Workbench = request.app.state.workbench
    document = wb.repo.version(pk, record.case_version).document
    decisions = tuple(decision_dict(d) for d in wb.repo.decisions(pk=pk) if d.assessment_id == record.id)
    meta = wb.repo.identifiers(pk)
    return ReportContext(result_of(record), document, wb.kb, decisions, case_url,
                         Identifiers(meta.get("name", ""), meta.get("mrn", "")),
                         request.app.state.settings.region)


CHART_CACHE = 64  # assessments whose charts are kept (an assessment never changes)


def charts_of(request: Request, pk: int, record: AssessmentRecord) -> dict[str, Chart | None]:
    """The charts of a stored assessment, drawn once per process: the page and its chart
    images both use them. The cache belongs to the app (one per database)."""
    cache: dict[int, dict[str, Chart | None]] | None = getattr(request.app.state, "charts", None)
    if cache is None:
        cache = request.app.state.charts = {}
    found = cache.get(record.id)
    if found is None:
        found = report_context(request, pk, record).charts()
        if len(cache) >= CHART_CACHE:
            cache.pop(next(iter(cache)))
        cache[record.id] = found
    return found


def assessment_context(request: Request, pk: int, record: AssessmentRecord,
                       decision_errors: dict[str, str] | None = None,
                       decision_values: dict[str, list[str]] | None = None) -> dict[str, Any]:
    wb: Workbench = request.app.state.workbench
    case = wb.repo.case(pk)
    page = report_context(request, pk, record).page(charts_of(request, pk, record))
    return {
        **page, "case": case, "record": record,
        "assessments": wb.repo.assessments(pk),
        "all_decisions": [decision_dict(d) for d in wb.repo.decisions(pk=pk)],
        "meetings": wb.repo.meetings(),
        "chart_src": lambda chart: f"/cases/{pk}/charts/{chart.kind}.svg?assessment={record.id}",
        "decide_link": "#decision-form" if getattr(request.state, "user", None) and
        request.state.user.role != "viewer" else "",
        "current_knowledge": wb.kb.version,
        "knowledge_flag": current_flags(request, [pk]).get(pk, ""),
        "decision_errors": decision_errors or {},
        "decision_values": decision_values or {},
        "outdated": record.case_version != case.latest_version,
        "report": False,
        "family_languages": languages(wb.kb),
        "default_decision_date": date.today().isoformat(),
        "decision_labels": DECISION_LABELS,
    }


DECISION_LABELS = {"decision_date": "Date of the decision", "attendees": "Attendees",
                   "chosen_options": "Options chosen", "plan": "Plan"}
