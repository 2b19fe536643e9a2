"""Helpers the pages share: rendering with the common globals, and the assessment view."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from rrall.report.charts import mrd_svg, timeline_svg
from rrall.store.tables import AssessmentRecord
from rrall.web.auth import template_globals
from rrall.web.workbench import Workbench, result_of

FRAMEWORKS = [{"key": "bfm", "short": "BFM"}, {"key": "intreall", "short": "IntReALL"},
              {"key": "cog", "short": "COG"}, {"key": "uk", "short": "UK"}]


def html(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    env = request.app.state.templates
    context.setdefault("knowledge_version", request.app.state.workbench.kb.version)
    body = env.get_template(template).render(**template_globals(request), **context)
    return HTMLResponse(body, status_code=status)


def safe_next(target: str) -> str:
    """Only a path on this site: never another host (open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/cases"
    return target


def assessment_context(request: Request, pk: int, record: AssessmentRecord,
                       decision_errors: dict[str, str] | None = None,
                       decision_values: dict[str, list[str]] | None = None) -> dict[str, Any]:
    wb: Workbench = request.app.state.workbench
    case = wb.repo.case(pk)
    document = wb.repo.version(pk, record.case_version).document
    result = result_of(record)
    return {
        "case": case, "record": record, "r": result, "doc": document,
        "assessments": wb.repo.assessments(pk),
        "decisions": wb.repo.decisions(pk=pk),
        "meetings": wb.repo.meetings(),
        "timeline": timeline_svg(document, result),
        "mrd": mrd_svg(document, wb.kb.thresholds.get("mrd_end_of_reinduction", ())),
        "knowledge_version": result["knowledge_version"],
        "current_knowledge": wb.kb.version,
        "decision_errors": decision_errors or {},
        "decision_values": decision_values or {},
        "outdated": record.case_version != case.latest_version,
    }
