"""The summary shape of an assessment (`--detail summary`), as JSON bytes.

Projected from the full assessment, so every value is the full output's; its schema is
`AssessmentSummary` (`rrall schema --output --detail summary`). A batch asks the engine
for the same record directly (Engine.summary), skipping the words it does not show."""

from __future__ import annotations

from typing import Any

import orjson

from rrall.engine.detail import heading
from rrall.engine.detail import summary_record as record
from rrall.results import Assessment


def summary_record(a: Assessment) -> dict[str, Any]:
    head = heading(a.case_id, a.knowledge_version, a.assessment_date, a.input_sha256, a.notice,
                   a.engine_version)
    return record(head, a.classification, a.risk.values(), a.options,
                  [m.field for m in a.missing_data], a.references)


def summary_json(a: Assessment) -> bytes:
    return orjson.dumps(summary_record(a))
