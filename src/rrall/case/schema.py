"""The JSON Schema of the case format, generated from the model."""

from __future__ import annotations

from typing import Any

from rrall.case.model import Case
from rrall.vocabulary import CASE_FORMAT_VERSION


def case_json_schema() -> dict[str, Any]:
    schema = Case.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://rrall.org/schema/case/v{CASE_FORMAT_VERSION}.json"
    schema["title"] = f"rrall case (format v{CASE_FORMAT_VERSION})"
    schema["description"] = (
        "One child's relapsed or refractory ALL history. Dates are ISO YYYY-MM-DD. "
        "Cross-field rules (dates in order, testis only in males, MRD within range, marrow "
        "blasts >= 5 % only with bone_marrow) are checked by rrall and listed in docs/case-format.md."
    )
    return schema
