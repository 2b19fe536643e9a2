"""The summary shape of an assessment (`--detail summary`), as JSON bytes.

Projected from the full assessment, so every value is the full output's; its schema is
`AssessmentSummary` (`rrall schema --output --detail summary`)."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel

from rrall.results import Assessment


def _plain(model: BaseModel) -> Any:
    return model.__pydantic_serializer__.to_python(model, mode="json")


def summary_record(a: Assessment) -> dict[str, Any]:
    return {
        "detail": "summary",
        "case_id": a.case_id,
        "engine_version": a.engine_version,
        "knowledge_version": a.knowledge_version,
        "assessment_date": a.assessment_date.isoformat(),
        "input_sha256": a.input_sha256,
        "notice": a.notice,
        "classification": _plain(a.classification),
        "risk": {fid: {"status": r.status, "group": r.group, "hsct_in_cr2": r.hsct_in_cr2,
                       "rules": r.rules, "branches": [_plain(b) for b in r.branches]}
                 for fid, r in a.risk.items()},
        "options": [{"id": o.id, "phase": o.phase, "status": o.status, "rule": o.rule,
                     "branches": [_plain(b) for b in o.branches]} for o in a.options],
        "missing_fields": [m.field for m in a.missing_data],
        "citations": sorted(a.references),
    }


def summary_json(a: Assessment) -> bytes:
    return orjson.dumps(summary_record(a))
