"""The summary shape of an assessment (`--detail summary`): ids, the classification, each
framework's group and HSCT rule, each option's status, the missing fields and the sources
cited by id. Its schema is `AssessmentSummary` (`rrall schema --output --detail summary`).

Made from an assessment's parts, so the engine's summary path (frames, no reasons or
trials) and the projection of a whole assessment write the same record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from pydantic import BaseModel

from rrall._version import __version__
from rrall.results import Classification, FrameworkResult, OptionResult


def heading(case_id: str, knowledge_version: str, assessment_date: date, input_sha256: str,
            notice: str, engine_version: str = __version__) -> dict[str, Any]:
    """The ids an assessment starts with, as JSON values."""
    return {
        "case_id": case_id,
        "engine_version": engine_version,
        "knowledge_version": knowledge_version,
        "assessment_date": assessment_date.isoformat(),
        "input_sha256": input_sha256,
        "notice": notice,
    }


def summary_record(
    head: dict[str, Any],
    classification: Classification,
    risk: Iterable[FrameworkResult],
    options: Iterable[OptionResult],
    missing_fields: list[str],
    citations: Iterable[str],
) -> dict[str, Any]:
    return {
        "detail": "summary",
        **head,
        "classification": _plain(classification),
        "risk": {r.framework: {"status": r.status, "group": r.group, "hsct_in_cr2": r.hsct_in_cr2,
                               "rules": r.rules, "branches": [_plain(b) for b in r.branches]}
                 for r in risk},
        "options": [{"id": o.id, "phase": o.phase, "status": o.status, "rule": o.rule,
                     "branches": [_plain(b) for b in o.branches]} for o in options],
        "missing_fields": missing_fields,
        "citations": sorted(citations),
    }


def _plain(model: BaseModel) -> Any:
    return model.__pydantic_serializer__.to_python(model, mode="json")
