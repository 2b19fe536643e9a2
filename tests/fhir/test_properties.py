"""Properties of the FHIR mapping: every valid case survives case -> Bundle -> case, and the
form shown to clinicians survives form -> case -> form."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings

from rrall.case.load import parse_case
from rrall.fhir.export import case_bundle
from rrall.fhir.importer import import_case
from rrall.knowledge.load import default_knowledge
from rrall.web import caseform
from tests.conftest import TODAY
from tests.strategies import cases

KB = default_knowledge()
SOME = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SOME
@given(cases())
def test_fhir_round_trip(raw: dict[str, Any]) -> None:
    case = parse_case(raw, KB, TODAY)
    bundle = case_bundle(case)
    Bundle.model_validate(bundle)
    imported = import_case(bundle)
    assert imported.errors == [] and imported.warnings == []
    assert parse_case(imported.document, KB, TODAY) == case


@SOME
@given(cases())
def test_case_form_round_trip(raw: dict[str, Any]) -> None:
    case = parse_case(raw, KB, TODAY)
    document = case.model_dump(mode="json", exclude_none=True)
    assert parse_case(caseform.to_document(caseform.to_values(document)), KB, TODAY) == case
