"""`rrall assess --format fhir`: one FHIR Bundle per case (an array for several)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from rrall.assessment import Assessment
    from rrall.case.model import Case
    from rrall.errors import CaseInputError
    from rrall.knowledge.glossary import Glossary


class FhirRenderer:
    def __init__(self, words: Glossary) -> None:
        self.words = words
        self.bundles: list[dict[str, Any]] = []
        self.case: Case | None = None

    def assessment(self, assessment: Assessment) -> None:
        from rrall.fhir.assessment import assessment_bundle
        from rrall.report.fastjson import assessment_json

        assert self.case is not None, "the CLI passes the case before its assessment"
        result = orjson.loads(assessment_json(assessment))
        self.bundles.append(assessment_bundle(result, self.case, self.words))

    def error(self, error: CaseInputError) -> None:
        sys.stderr.write(f"{error}\n")

    def close(self) -> None:
        body: Any = self.bundles[0] if len(self.bundles) == 1 else self.bundles
        sys.stdout.buffer.write(orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")
        sys.stdout.flush()
