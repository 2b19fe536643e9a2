"""FHIR R4 out: RiskAssessment per framework, RequestGroup of options, Provenance; valid."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from rrall.assessment import assess
from rrall.case.load import load_case
from rrall.cli import app
from rrall.fhir.assessment import FRAMEWORK, OPTION_STATUS, assessment_bundle
from rrall.knowledge.load import default_knowledge
from rrall.report.fastjson import assessment_json
from tests.conftest import ROOT
from tests.web.conftest import EXAMPLES, Workbench, example


def _bundle(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    case = load_case(ROOT / "examples" / "cases" / f"{name}.yaml")
    result = orjson.loads(assessment_json(assess(case)))
    return result, assessment_bundle(result, case, default_knowledge().glossary)


def _of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_gives_a_valid_bundle(name: str) -> None:
    result, bundle = _bundle(name)
    Bundle.model_validate(bundle)
    risks = _of(bundle, "RiskAssessment")
    assert [r["method"]["coding"][0]["code"] for r in risks] == list(result["risk"])
    assert all(r["method"]["coding"][0]["system"] == FRAMEWORK for r in risks)
    for risk, fw in zip(risks, result["risk"].values(), strict=True):
        assert risk["status"] == ("preliminary" if fw["status"] == "insufficient_data" else "final")
        if fw["group"]:
            assert risk["prediction"][0]["outcome"]["text"] == fw["group"]
        known = {e["fullUrl"] for e in bundle["entry"]}
        assert all(b["reference"] in known for b in risk["basis"])
    [group] = _of(bundle, "RequestGroup")
    assert len(group["action"]) == len(result["options"])
    statuses = [a["code"][1]["coding"][0] for a in group["action"]]
    assert all(s["system"] == OPTION_STATUS for s in statuses)
    proposals = _of(bundle, "ServiceRequest")
    [provenance] = _of(bundle, "Provenance")
    targets = {t["reference"] for t in provenance["target"]}
    assert targets == {f"urn:uuid:{r['id']}" for r in [*risks, group, *proposals]}
    [device] = _of(bundle, "Device")
    assert {v["value"] for v in device["version"]} == {result["engine_version"], result["knowledge_version"]}
    assert "null" not in orjson.dumps(bundle).decode()


def test_citations_resolve_to_links() -> None:
    _result, bundle = _bundle("ph-positive-t315i")
    [group] = _of(bundle, "RequestGroup")
    ponatinib = next(a for a in group["action"] if a["code"][0]["coding"][0]["code"] == "ponatinib")
    citations = [d for d in ponatinib["documentation"] if d["type"] == "citation"]
    assert citations and all(d.get("citation") for d in citations)
    # its cautions travel with it, as the report gives them (off label under 18, unverified)
    cautions = [d["display"] for d in ponatinib["documentation"] if d["type"] == "documentation"]
    assert any("off label" in c for c in cautions) and any(c.startswith("Unverified") for c in cautions)


def test_cli_and_api(bench: Workbench) -> None:
    case = str(ROOT / "examples/cases/b-iem-late.yaml")
    out = CliRunner().invoke(app, ["assess", "--format", "fhir", case])
    assert out.exit_code == 0 and orjson.loads(out.stdout)["resourceType"] == "Bundle"
    created = bench.client.post("/api/v1/cases", json=example("b-iem-late"), headers=bench.auth()).json()
    response = bench.client.get(f"/api/v1/assessments/{created['latest_assessment_id']}/fhir",
                                headers=bench.auth("viewer"))
    assert response.status_code == 200 and response.headers["content-type"] == "application/fhir+json"
    Bundle.model_validate(response.json())
    assert bench.client.get("/api/v1/assessments/999/fhir", headers=bench.auth()).status_code == 404
    assert bench.client.get(f"/api/v1/assessments/{created['latest_assessment_id']}/fhir").status_code == 401


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_option_action_points_to_a_proposal_rqg_1(name: str) -> None:
    """R4 invariant rqg-1 (resource.exists() != action.exists()): each action references a
    ServiceRequest of the Bundle with intent proposal, for that option."""
    result, bundle = _bundle(name)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    [group] = _of(bundle, "RequestGroup")
    # An option a missing fact could still change is not ruled out yet.
    pending = {a.removeprefix("option:") for m in result["missing_data"] for a in m["affects"]}
    for action, option in zip(group["action"], result["options"], strict=True):
        assert "action" not in action
        request = by_url[action["resource"]["reference"]]
        kind = (request["resourceType"], request["intent"], request["status"])
        assert kind == ("ServiceRequest", "proposal", "draft")
        assert request["code"]["coding"][0] == action["code"][0]["coding"][0]
        assert request["subject"] == group["subject"]
        ruled_out = option["status"] in ("not_eligible", "not_recommended") and option["id"] not in pending
        assert request.get("doNotPerform", False) is ruled_out


def test_risk_assessment_notes_read_as_clinical_words() -> None:
    """No field path or code in a note a person reads; a settled group a pending test could
    change says which test (the lumbar puncture of a Ph+ marrow relapse)."""
    _, bundle = _bundle("b-iem-early")
    notes = [n["text"] for r in _of(bundle, "RiskAssessment") for n in r.get("note", [])]
    assert notes and not any("mrd[" in n or "_" in n.split(":")[0] or "depends on mrd" in n for n in notes)
    _, ph = _bundle("ph-positive-t315i")
    bfm = next(r for r in _of(ph, "RiskAssessment") if "S3" in r["prediction"][0]["outcome"]["text"])
    assert any(n["text"].startswith("Could change with Lumbar puncture") for n in bfm["note"])


def test_no_prior_cranial_radiation_is_a_radiotherapy_not_done() -> None:
    """0 Gy is 'none given': exported as a radiotherapy not done (never a completed brain
    radiotherapy a chart reader would take as given), and read back as 0 Gy."""
    from rrall.fhir.export import case_bundle
    from rrall.fhir.importer import import_case

    case = load_case(ROOT / "examples" / "cases" / "third-relapse-after-car-t.yaml")
    assert case.prior_therapy.cranial_radiation_gy == 0
    bundle = case_bundle(case)
    [radiation] = [e["resource"] for e in bundle["entry"]
                   if e["resource"]["resourceType"] == "Procedure" and "bodySite" in e["resource"]]
    assert radiation["status"] == "not-done" and "extension" not in radiation
    back = import_case(bundle)
    assert not back.errors and back.document["prior_therapy"]["cranial_radiation_gy"] == 0


def test_each_action_carries_its_label_status_per_region() -> None:
    """Inotuzumab for a child of 8: the FDA label covers relapsed or refractory CD22-positive
    B-ALL from age 1 (March 2024); the EU label covers adults only (Besponsa SmPC). The
    exported action says both, as the report does."""
    _result, bundle = _bundle("b-marrow-early")
    [group] = _of(bundle, "RequestGroup")
    action = next(a for a in group["action"] if a["code"][0]["coding"][0]["code"] == "inotuzumab_ozogamicin")
    said = [d["display"] for d in action["documentation"] if d["type"] == "documentation"]
    assert "Within the US label (United States, FDA, 2024-03-06)" in said
    assert "Outside the EU label (European Union, EMA, 2022-02-16)" in said
