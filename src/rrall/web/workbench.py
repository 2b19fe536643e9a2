"""What the API and the pages share: validate, assess, store, with one audit trail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from rrall.assessment import Assessment, assess
from rrall.case.load import parse_case
from rrall.case.model import Case
from rrall.knowledge.load import KnowledgeBase
from rrall.report.fastjson import assessment_json
from rrall.store.repository import Repository, StoredAssessment
from rrall.store.tables import AssessmentRecord, CaseRecord


@dataclass
class Workbench:
    repo: Repository
    kb: KnowledgeBase

    def validate(self, document: Any, today: date | None = None) -> Case:
        """The case, or CaseInputError with every problem and its field path."""
        return parse_case(document, self.kb, today)

    def assess(self, document: Any) -> tuple[Assessment, bytes]:
        result = assess(self.validate(document), self.kb)
        return result, assessment_json(result)

    def create(self, document: dict[str, Any], actor: str) -> tuple[CaseRecord, AssessmentRecord]:
        result, body = self.assess(document)
        record = self.repo.create_case(document, actor)
        return record, self._store(record.id, record.latest_version, result, body, actor)

    def update(self, pk: int, document: dict[str, Any], actor: str) -> tuple[CaseRecord, AssessmentRecord]:
        self.repo.case(pk)
        result, body = self.assess(document)
        record = self.repo.update_case(pk, document, actor)
        return record, self._store(pk, record.latest_version, result, body, actor)

    def reassess(self, pk: int, actor: str) -> AssessmentRecord:
        """Assess the latest version again, e.g. after a knowledge-base update."""
        version = self.repo.version(pk)
        result, body = self.assess(version.document)
        return self._store(pk, version.version, result, body, actor)

    def _store(self, pk: int, version: int, result: Assessment, body: bytes, actor: str) -> AssessmentRecord:
        stored = StoredAssessment(result.input_sha256, result.engine_version, result.knowledge_version,
                                  body.decode())
        return self.repo.add_assessment(pk, version, stored, actor)


def result_of(record: AssessmentRecord) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(record.result_json)
    return loaded


def as_json_document(value: Any) -> Any:
    """A parsed case file as JSON: YAML reads 2024-01-02 as a date, stored documents keep text."""
    if isinstance(value, dict):
        return {str(k): as_json_document(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json_document(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
