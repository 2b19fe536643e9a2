"""FHIR R4 in: every example survives case -> Bundle -> case; NDJSON and searchset input;
unmapped elements are warnings naming resource and element; conflicts are errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from rrall.case.load import load_case, parse_case
from rrall.cli import app
from rrall.fhir import codes as C
from rrall.fhir.build import hgvs_protein, short_protein
from rrall.fhir.export import case_bundle
from rrall.fhir.importer import import_case
from tests.conftest import ROOT, set_path
from tests.web.conftest import EXAMPLES

runner = CliRunner()


def bundle(name: str) -> dict[str, Any]:
    return case_bundle(load_case(ROOT / "examples" / "cases" / f"{name}.yaml"))


def resources(b: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in b["entry"]]


def is_diagnosis(resource: dict[str, Any]) -> bool:
    """The diagnosis Condition of an exported case (rrall's `diagnosis` category)."""
    categories = orjson.dumps(resource.get("category")).decode()
    return resource["resourceType"] == "Condition" and '"code":"diagnosis"' in categories


@pytest.mark.parametrize("name", EXAMPLES)
def test_round_trip_is_identity(name: str) -> None:
    case = load_case(ROOT / "examples" / "cases" / f"{name}.yaml")
    b = case_bundle(case)
    Bundle.model_validate(b)  # valid FHIR R4 (fhir.resources R4B models)
    imported = import_case(b)
    assert imported.errors == [] and imported.warnings == []
    assert parse_case(imported.document) == case


def test_ndjson_folder_and_searchset(tmp_path: Path) -> None:
    b = bundle("ph-positive-t315i")
    by_type: dict[str, list[bytes]] = {}
    for r in resources(b):
        by_type.setdefault(r["resourceType"], []).append(orjson.dumps(r))
    for kind, lines in by_type.items():
        (tmp_path / f"{kind}.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    from_ndjson = import_case(tmp_path)
    assert from_ndjson.errors == []
    expected = import_case(b).document
    expected.pop("assessment_date")  # NDJSON has no Bundle timestamp
    assert from_ndjson.document == expected
    searchset = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"fullUrl": f"https://ehr.example/fhir/{r['resourceType']}/{r['id']}", "resource": r,
         "search": {"mode": "match"}} for r in resources(b)]}
    from_search = import_case(searchset)
    assert from_search.errors == [] and from_search.document == expected


def test_unmapped_elements_are_named() -> None:
    b = bundle("b-marrow-early")
    b["entry"].append({"fullUrl": "urn:uuid:enc", "resource": {"resourceType": "Encounter", "id": "enc",
                                                                 "status": "finished",
                                                                 "class": {"code": "AMB"}}})
    b["entry"].append({"fullUrl": "urn:uuid:hb", "resource": {
        "resourceType": "Observation", "id": "hb", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]}}})
    imported = import_case(b)
    assert "Encounter/enc.resourceType: Encounter is not used by rrall" in imported.warnings
    assert any(w.startswith("Observation/hb.code:") for w in imported.warnings)


def test_two_diagnosis_dates_are_a_conflict_naming_both() -> None:
    b = bundle("b-marrow-early")
    dx = next(r for r in resources(b) if is_diagnosis(r))
    other = copy.deepcopy(dx) | {"id": "dx-2", "onsetDateTime": "2019-01-01"}
    b["entry"].append({"fullUrl": "urn:uuid:dx-2", "resource": other})
    imported = import_case(b)
    [error] = imported.errors
    assert error.path == "diagnosis.date"
    assert f"Condition/{dx['id']}" in error.message and "Condition/dx-2" in error.message


def test_invalid_fhir_is_an_error_naming_the_resource() -> None:
    b = bundle("b-marrow-early")
    b["entry"][0]["resource"]["birthDate"] = "2012-13-45"
    imported = import_case(b)
    assert imported.errors and "Patient/" in imported.errors[0].path
    assert "birthDate" in imported.errors[0].message


def test_ehr_shaped_data() -> None:
    """Units converted, administrations summed, orders not counted, mCODE disease status read."""
    b = bundle("b-marrow-late")
    entries = [e for e in b["entry"] if e["resource"]["resourceType"] != "Condition"
               or is_diagnosis(e["resource"])]  # drop the relapse Condition...
    patient = entries[0]["resource"]["id"]
    entries.append({"fullUrl": "urn:uuid:status", "resource": {  # ...and give it as mCODE disease status
        "resourceType": "Observation", "id": "status", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "97509-4"}]},
        "subject": {"reference": f"urn:uuid:{patient}"}, "effectiveDateTime": "2021-09-14",
        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "271299001"}]},
        "bodySite": {"coding": [{"system": "http://snomed.info/sct", "code": "14016003"}]}}})
    for i, dose in enumerate((30, 30, 25)):
        entries.append({"fullUrl": f"urn:uuid:dauno-{i}", "resource": {
            "resourceType": "MedicationAdministration", "id": f"dauno-{i}", "status": "completed",
            "medicationCodeableConcept": {"text": "Daunorubicin"},
            "subject": {"reference": f"urn:uuid:{patient}"}, "effectiveDateTime": "2016-01-0" + str(i + 1),
            "dosage": {"dose": {"value": dose, "unit": "mg/m2", "system": "http://unitsofmeasure.org",
                                "code": "mg/m2"}}}})
    entries.append({"fullUrl": "urn:uuid:order", "resource": {
        "resourceType": "MedicationRequest", "id": "order", "status": "active", "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                  "code": "1597258"}]},
        "subject": {"reference": f"urn:uuid:{patient}"}}})
    entries.append({"fullUrl": "urn:uuid:mg", "resource": {
        "resourceType": "MedicationAdministration", "id": "mg", "status": "completed",
        "medicationCodeableConcept": {"text": "Idarubicin"}, "subject": {"reference": f"urn:uuid:{patient}"},
        "effectiveDateTime": "2016-02-01", "dosage": {"dose": {"value": 12, "unit": "mg"}}}})
    for e in entries:
        if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "26464-8":
            e["resource"]["valueQuantity"] = {"value": 12.5, "unit": "10*3/uL",
                                              "system": "http://unitsofmeasure.org", "code": "10*3/uL"}
    imported = import_case({"resourceType": "Bundle", "type": "collection", "entry": entries})
    assert imported.errors == []
    doc = imported.document
    assert doc["relapses"][0]["date"] == "2021-09-14" and doc["relapses"][0]["sites"] == ["bone_marrow"]
    assert {"agent": "daunorubicin", "cumulative_mg_per_m2": 85} in doc["prior_therapy"]["anthracyclines"]
    assert doc["diagnosis"]["wbc_per_uL"] == 12500
    assert "blinatumomab" not in orjson.dumps(doc).decode()
    assert any("MedicationRequest/order.status" in w for w in imported.warnings)
    assert any("MedicationAdministration/mg.dosage" in w and "mg/m2" in w for w in imported.warnings)


def test_hgvs_protein_notation() -> None:
    assert hgvs_protein("T315I") == "p.Thr315Ile"
    assert short_protein("p.Thr315Ile") == "T315I" and short_protein("p.(Glu255Lys)") == "E255K"
    assert short_protein("p.T315I") == "T315I" and short_protein("c.944C>T") is None


def test_cli_import(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(orjson.dumps(bundle("t-iem-late")))
    ok = runner.invoke(app, ["fhir", "import", str(path), "--out", str(tmp_path / "case.json")])
    assert ok.exit_code == 0, ok.output
    assert orjson.loads((tmp_path / "case.json").read_bytes())["id"] == "t-iem-late"
    broken = bundle("t-iem-late")
    broken["entry"] = [e for e in broken["entry"] if e["resource"]["resourceType"] != "Patient"]
    path.write_bytes(orjson.dumps(broken))
    refused = runner.invoke(app, ["fhir", "import", str(path)])
    assert refused.exit_code == 2 and "no Patient resource" in refused.output
    assert runner.invoke(app, ["fhir", "import", str(tmp_path / "nothing.json")]).exit_code == 2


def _entries(name: str) -> list[dict[str, Any]]:
    return bundle(name)["entry"]


def _obs(entries: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(e["resource"] for e in entries if e["resource"]["resourceType"] == "Observation"
                and code in orjson.dumps(e["resource"]["code"]).decode())


def test_the_same_resource_twice_counts_once_and_a_changed_copy_is_an_error() -> None:
    entries = _entries("ph-positive-t315i")
    statement = next(e for e in entries if e["resource"]["resourceType"] == "MedicationStatement"
                     and "cumulative-dose" in orjson.dumps(e["resource"]).decode())
    twice = import_case({"resourceType": "Bundle", "type": "collection", "entry": [*entries, statement]})
    assert twice.errors == []
    doses = twice.document["prior_therapy"]["anthracyclines"]
    assert {"agent": "daunorubicin", "cumulative_mg_per_m2": 120} in doses
    changed = copy.deepcopy(statement)
    changed["resource"]["status"] = "active"
    clash = import_case({"resourceType": "Bundle", "type": "collection", "entry": [*entries, changed]})
    assert clash.errors and "appears twice with different content" in clash.errors[0].message


def test_references_in_every_form_and_dates_place_observations() -> None:
    entries = _entries("second-relapse")
    base = "https://ehr.example/fhir"
    for e in entries:  # as an EHR sends them: absolute fullUrls and versioned references
        r = e["resource"]
        e["fullUrl"] = f"{base}/{r['resourceType']}/{r['id']}"
        for f in r.get("focus", []):
            f["reference"] = f"{base}/Condition/{f['reference'].removeprefix('urn:uuid:')}/_history/3"
        if r["resourceType"] != "Patient":
            r["subject"] = {"reference": f"Patient/{entries[0]['resource']['id']}"}
    imported = import_case({"resourceType": "Bundle", "type": "searchset", "entry": entries,
                            "timestamp": "2024-02-12T09:30:00Z"})
    assert imported.errors == [] and imported.warnings == []
    assert parse_case(imported.document) == load_case(ROOT / "examples" / "cases" / "second-relapse.yaml")


def test_withdrawn_and_other_patients_resources_are_not_used() -> None:
    entries = _entries("b-marrow-early")
    wbc = _obs(entries, "26464-8")
    wbc["status"] = "entered-in-error"
    blasts = _obs(entries, "marrow-blasts")
    blasts["subject"] = {"reference": "Patient/someone-else"}
    imported = import_case({"resourceType": "Bundle", "type": "collection", "entry": entries})
    assert "wbc_per_uL" not in imported.document["diagnosis"]
    assert "marrow_blasts_percent" not in imported.document["relapses"][0]
    assert any(w.endswith("status: entered-in-error: not used") for w in imported.warnings)
    assert any("refers to a patient not in this record" in w for w in imported.warnings)


def test_values_rrall_cannot_read_are_warnings_and_undated_outcomes_are_not_guessed() -> None:
    entries = _entries("second-relapse")
    blasts = _obs(entries, "marrow-blasts")
    blasts["valueString"] = "about 40"
    del blasts["valueQuantity"]
    outcome = _obs(entries, "reinduction-outcome")
    del outcome["focus"]
    imported = import_case({"resourceType": "Bundle", "type": "collection", "entry": entries})
    assert any("marrow_blasts_percent: no value rrall can read" in w for w in imported.warnings)
    assert any("cannot tell which relapse" in w for w in imported.warnings)
    assert all("reinduction_outcome" not in r for r in imported.document["relapses"])


def test_genetics_none_found_and_a_lesion_is_a_conflict() -> None:
    entries = _entries("t-marrow-early")  # genetics: [] at diagnosis
    none_found = _obs(entries, "genetic-lesion")
    lesion = copy.deepcopy(none_found) | {"id": "lesion-1"}
    lesion["valueCodeableConcept"] = {"coding": [{"system": "https://rrall.org/fhir/CodeSystem/case",
                                                  "code": "NOTCH1"}]}
    imported = import_case({"resourceType": "Bundle", "type": "collection",
                            "entry": [*entries, {"fullUrl": "urn:uuid:lesion-1", "resource": lesion}]})
    assert imported.errors and imported.errors[0].path == "diagnosis.genetics"


def test_serial_counts_keep_the_one_at_diagnosis() -> None:
    entries = _entries("b-marrow-early")
    wbc = _obs(entries, "26464-8")
    later = copy.deepcopy(wbc) | {"id": "wbc-later", "effectiveDateTime": "2021-09-14"}
    later["valueQuantity"] = {"value": 3200, "unit": "/uL", "system": "http://unitsofmeasure.org",
                              "code": "/uL"}
    imported = import_case({"resourceType": "Bundle", "type": "collection",
                            "entry": [*entries, {"fullUrl": "urn:uuid:wbc-later", "resource": later}]})
    assert imported.errors == []
    assert imported.document["diagnosis"]["wbc_per_uL"] == wbc["valueQuantity"]["value"]
    assert any("Observation/wbc-later" in w and "at diagnosis" in w for w in imported.warnings)


def test_lineage_from_an_immunophenotyping_observation() -> None:
    entries = _entries("t-iem-late")
    dx = next(e["resource"] for e in entries if is_diagnosis(e["resource"]))
    dx["code"]["coding"] = [c for c in dx["code"]["coding"] if c["code"] == "91857003"]  # ALL, no lineage
    entries.append({"fullUrl": "urn:uuid:ip", "resource": {
        "resourceType": "Observation", "id": "ip", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "101119-6"}]},
        "subject": {"reference": f"urn:uuid:{entries[0]['resource']['id']}"},
        "focus": [{"reference": f"urn:uuid:{dx['id']}"}],
        "valueCodeableConcept": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/icd-o-3",
                                             "code": "9837/3"}]}}})
    imported = import_case({"resourceType": "Bundle", "type": "collection", "entry": entries})
    assert imported.errors == [] and imported.document["diagnosis"]["immunophenotype"] == "T"


def example_dict(name: str) -> dict[str, Any]:
    return load_case(ROOT / "examples" / "cases" / f"{name}.yaml").model_dump(mode="json", exclude_none=True)


V11_FIELDS = [
    pytest.param({"constitutional": {"down_syndrome": True, "germline_predisposition": ["TP53", "other"]},
                  "hsct_eligible": False, "relapses.0.cd7": "negative",
                  "relapses.0.cd7_blasts_percent": 12.5}, id="present"),
    pytest.param({"constitutional": {"down_syndrome": False, "germline_predisposition": []},
                  "hsct_eligible": True, "relapses.0.cd7": "positive"}, id="recorded-absent"),
    pytest.param({"constitutional": {"germline_predisposition": [
        "constitutional_mismatch_repair_deficiency"]}}, id="down-syndrome-unrecorded"),
]


@pytest.mark.parametrize("fields", V11_FIELDS)
def test_case_format_1_1_fields_survive_the_round_trip(fields: dict[str, Any]) -> None:
    """Down syndrome (present, or recorded absent), germline predisposition (found, or none
    found), the team's HSCT judgement and CD7 are written and read back, not lost."""
    raw = example_dict("t-marrow-early")
    for dotted, value in fields.items():
        set_path(raw, dotted, value)
    assert_round_trip(raw)


def assert_round_trip(raw: dict[str, Any]) -> None:
    """The case written as a valid FHIR Bundle and read back is the same case, with no
    warning and no error."""
    case = parse_case(raw)
    b = case_bundle(case)
    Bundle.model_validate(b)
    imported = import_case(b)
    assert imported.errors == [] and imported.warnings == []
    assert parse_case(imported.document) == case


def test_down_syndrome_present_and_recorded_absent_is_a_conflict() -> None:
    """A Down syndrome Condition beside an Observation recording it absent: an error naming
    the field, never one of them picked."""
    raw = example_dict("t-marrow-early")
    raw["constitutional"] = {"down_syndrome": False}
    entries = case_bundle(parse_case(raw))["entry"]
    raw["constitutional"] = {"down_syndrome": True}
    written = [e for e in case_bundle(parse_case(raw))["entry"] if e["resource"]["resourceType"] != "Patient"]
    condition = [e for e in written if b"Q90" in orjson.dumps(e["resource"].get("code"))]
    assert len(condition) == 1
    imported = import_case({"resourceType": "Bundle", "type": "collection", "entry": [*entries, *condition]})
    assert [e.path for e in imported.errors] == ["constitutional.down_syndrome"]


def test_germline_none_found_and_a_predisposition_is_a_conflict() -> None:
    """'Tested, none found' beside a germline predisposition found: an error naming the
    field, never one of them picked."""
    raw = example_dict("t-marrow-early")
    raw["constitutional"] = {"germline_predisposition": []}
    entries = case_bundle(parse_case(raw))["entry"]
    raw["constitutional"] = {"germline_predisposition": ["TP53"]}
    found = [e for e in case_bundle(parse_case(raw))["entry"] if b"TP53" in orjson.dumps(e["resource"])]
    assert len(found) == 1
    imported = import_case({"resourceType": "Bundle", "type": "collection", "entry": [*entries, *found]})
    assert [e.path for e in imported.errors] == ["constitutional.germline_predisposition"]


REFRACTORY_DISEASE = [
    pytest.param({"date": "2025-04-22", "marrow_blasts_percent": 31.0, "cd19": "positive", "cd22": "dim"},
                 id="b-antigens"),
    pytest.param({"cd7": "positive", "cd7_blasts_percent": 99.5}, id="cd7-undated"),
    pytest.param({"abl1_kinase_mutations": ["T315I", "E255K"]}, id="kinase-mutations"),
    pytest.param({"abl1_kinase_mutations": []}, id="kinase-mutations-none-found"),
]


@pytest.mark.parametrize("block", REFRACTORY_DISEASE)
def test_refractory_disease_survives_the_round_trip(block: dict[str, Any]) -> None:
    """The markers of primary refractory disease (case format 1.2) are written on the
    diagnosis Condition and read back into diagnosis.refractory_disease, not lost."""
    raw = example_dict("primary-refractory")
    if "abl1_kinase_mutations" in block:
        raw["diagnosis"]["genetics"] = ["BCR::ABL1"]
    raw["diagnosis"]["refractory_disease"] = block
    assert_round_trip(raw)


def test_a_marker_on_the_diagnosis_of_a_relapse_is_not_used() -> None:
    """CD19 on the diagnosis of a case with a relapse is not the relapse's: a warning, and
    neither the relapse nor a refractory-disease block gets it."""
    raw = example_dict("primary-refractory")
    raw["diagnosis"]["refractory_disease"] = {"cd19": "negative"}
    marker = [e for e in case_bundle(parse_case(raw))["entry"]
              if C.CD19[1] in orjson.dumps(e["resource"].get("code")).decode()]
    relapse = example_dict("b-marrow-early")
    entries = case_bundle(parse_case(relapse))["entry"]
    dx = next(e["resource"] for e in entries if e["resource"]["resourceType"] == "Condition"
              and "diagnosis" in orjson.dumps(e["resource"].get("category")).decode())
    observation = copy.deepcopy(marker[0]["resource"])
    observation["focus"] = [{"reference": f"urn:uuid:{dx['id']}"}]
    observation["subject"] = {"reference": f"urn:uuid:{entries[0]['resource']['id']}"}
    imported = import_case({"resourceType": "Bundle", "type": "collection",
                            "entry": [*entries, {"fullUrl": "urn:uuid:x-cd19", "resource": observation}]})
    assert imported.errors == []
    assert "refractory_disease" not in imported.document["diagnosis"]
    assert imported.document["relapses"][0].get("cd19") == relapse["relapses"][0].get("cd19")
    assert any("which relapse" in w for w in imported.warnings), imported.warnings


def test_marrow_mrd_at_relapse_survives_the_round_trip() -> None:
    """Case format 1.3: the MRD time point at_relapse (with its value, unit, method and date)
    is written and read back, not lost or turned into another time point."""
    raw = example_dict("b-iem-late")
    raw["mrd"] = [*raw.get("mrd", []), {"timepoint": "at_relapse", "value": 0.05, "unit": "percent",
                                        "method": "pcr", "date": raw["relapses"][0]["date"]}]
    assert_round_trip(raw)
