"""rrall's CodeSystems cover every code the FHIR output writes, with the same displays; and
the terminology details: problem-list category, RiskAssessment statuses, the induction
outcome only when recorded, plain notes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fhir.resources.R4B.codesystem import CodeSystem
from typer.testing import CliRunner

from rrall import __version__
from rrall.assessment import assess
from rrall.case.load import load_case, parse_case
from rrall.cli import app
from rrall.fhir.assessment import assessment_bundle
from rrall.fhir.codesystems import NAMES, code_systems
from rrall.fhir.export import case_bundle
from rrall.fhir.importer import import_case
from rrall.knowledge.load import KnowledgeBase, default_knowledge
from rrall.report.fastjson import assessment_json
from tests.conftest import ROOT, make_case
from tests.web.conftest import EXAMPLES

RRALL = "https://rrall.org/fhir/CodeSystem/"


def _bundles(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    case = load_case(ROOT / "examples" / "cases" / f"{name}.yaml")
    return case_bundle(case), assessment_bundle(orjson.loads(assessment_json(assess(case))), case,
                                                default_knowledge().glossary)


def _codings(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "system" in value and "code" in value:
            yield value
        for item in value.values():
            yield from _codings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _codings(item)


def _of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_every_code_system_is_valid(kb: KnowledgeBase) -> None:
    systems = code_systems(kb, __version__)
    assert tuple(systems) == NAMES
    for system in systems.values():
        CodeSystem.model_validate(system)
        codes = [c["code"] for c in system["concept"]]
        assert len(codes) == len(set(codes)) == system["count"]
        assert all(c["display"] and c["definition"] for c in system["concept"])


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_rrall_code_written_is_defined_with_its_display(kb: KnowledgeBase, name: str) -> None:
    systems = {s["url"]: {c["code"]: c["display"] for c in s["concept"]}
               for s in code_systems(kb, __version__).values()}
    written = 0
    for bundle in _bundles(name):
        for coding in _codings(bundle):
            if coding["system"].startswith(RRALL):
                written += 1
                assert coding["system"] in systems, coding
                assert coding["code"] in systems[coding["system"]], coding
                assert coding.get("display") == systems[coding["system"]][coding["code"]], coding
    assert written > 0


def test_lesions_are_written_with_the_code_system_display() -> None:
    case = parse_case(make_case(**{"diagnosis.genetics": ["high_hyperdiploid", "IKZF1_deletion"]}))
    shown = {c["code"]: c["display"] for c in _codings(case_bundle(case)) if c["system"] == RRALL + "case"}
    assert shown["high_hyperdiploid"] == "high hyperdiploid" and shown["IKZF1_deletion"] == "IKZF1 deletion"


def test_cli_prints_all_code_systems_or_one() -> None:
    runner = CliRunner()
    every = runner.invoke(app, ["fhir", "codesystem"])
    assert every.exit_code == 0, every.output
    bundle = orjson.loads(every.stdout)
    assert [e["resource"]["url"].rsplit("/", 1)[1] for e in bundle["entry"]] == list(NAMES)
    one = orjson.loads(runner.invoke(app, ["fhir", "codesystem", "risk-group"]).stdout)
    assert one["resourceType"] == "CodeSystem" and {"code": "bfm-S3"}.items() <= one["concept"][2].items()
    wrong = runner.invoke(app, ["fhir", "codesystem", "nothing"])
    assert wrong.exit_code == 2 and "allowed: case, framework" in wrong.output


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_condition_is_a_problem_list_item(name: str) -> None:
    export, _ = _bundles(name)
    for condition in _of(export, "Condition"):
        category = condition["category"][0]["coding"][0]
        assert category == {"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                            "code": "problem-list-item", "display": "Problem List Item"}


def test_not_applicable_risk_assessments_are_final_with_a_note() -> None:
    _, bundle = _bundles("post-allo-hsct-relapse")
    risks = {r["method"]["coding"][0]["code"]: r for r in _of(bundle, "RiskAssessment")}
    bfm = risks["bfm"]
    assert bfm["status"] == "final" and bfm["prediction"][0]["outcome"] == {"text": "not applicable"}
    assert "does not apply to this case" in bfm["note"][0]["text"]
    _, unsure = _bundles("b-iem-early")  # COG: insufficient data
    statuses = {r["status"] for r in _of(unsure, "RiskAssessment")
                if r["prediction"][0]["outcome"].get("text") == "insufficient data"}
    assert statuses == {"preliminary"}


def test_notes_say_uncertain_once_and_name_no_rule() -> None:
    for name in EXAMPLES:
        _, bundle = _bundles(name)
        for risk in _of(bundle, "RiskAssessment"):
            for note in risk["note"]:
                assert "UNCERTAIN" not in note["text"], note


def test_the_induction_outcome_is_written_only_when_recorded() -> None:
    def induction(document: dict[str, Any]) -> list[dict[str, Any]]:
        bundle = case_bundle(parse_case(document))
        found = [o for o in _of(bundle, "Observation")
                 if "induction-outcome" in orjson.dumps(o["code"]).decode()]
        back = import_case(bundle)
        assert back.errors == [] and parse_case(back.document) == parse_case(document)
        assert ("induction_outcome" in back.document["diagnosis"]) is bool(found)  # the round trip keeps it
        return found

    assert induction(make_case()) == []  # left to the case format's default
    [given] = induction(make_case(**{"diagnosis.induction_outcome": "CR"}))
    assert given["valueCodeableConcept"]["coding"][0]["code"] == "550991000124107"
    [failed] = induction(make_case(**{"diagnosis.induction_outcome": "induction_failure"}))
    assert failed["valueCodeableConcept"]["coding"][0]["code"] == "C38014"
