"""Records shaped like the official HL7 and mCODE examples: each is read, or its warning or
error gives the real reason (issue 16: genetics variants, medications known by an RxNorm
clinical drug, anthracycline doses, no ALL at all, two servers, several Patients, a relapse
only in clinicalStatus)."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from rrall.case.load import load_case, parse_case
from rrall.cli import app
from rrall.errors import CaseInputError
from rrall.fhir.importer import import_case
from rrall.fhir.read import read_resources
from tests.conftest import ROOT
from tests.fhir.test_import import is_diagnosis

LOINC, HGNC, SO = "http://loinc.org", "http://www.genenames.org", "http://www.sequenceontology.org/"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"


def _entries(name: str) -> list[dict[str, Any]]:
    from rrall.fhir.export import case_bundle

    return case_bundle(load_case(ROOT / "examples" / "cases" / f"{name}.yaml"))["entry"]


def _collection(entries: list[dict[str, Any]], kind: str = "collection") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": entries,
            "timestamp": "2020-12-18T09:00:00Z"}  # b-marrow-late's assessment date


def _add(entries: list[dict[str, Any]], resource: dict[str, Any]) -> None:
    patient = entries[0]["resource"]["id"]
    entries.append({"fullUrl": f"urn:uuid:{resource['id']}",
                    "resource": resource | {"subject": {"reference": f"urn:uuid:{patient}"}}})


def _variant(ident: str, genes: list[tuple[str, str]], when: str, focus: str | None = None,
             kind: tuple[str, str] | None = None, present: bool = True) -> dict[str, Any]:
    """A Genomic Variant as mCODE writes a fusion (the pediatric ALL example's ETV6::RUNX1)."""
    components = [{"code": {"coding": [{"system": LOINC, "code": "48018-6"}]},
                   "valueCodeableConcept": {"coding": [{"system": HGNC, "code": c, "display": d}]}}
                  for c, d in genes]
    if kind:
        change = {"coding": [{"system": SO, "code": kind[0], "display": kind[1]}]}
        components.append({"code": {"coding": [{"system": LOINC, "code": "48019-4"}]},
                           "valueCodeableConcept": change})
    value = ("LA9633-4", "Present") if present else ("LA9634-2", "Absent")
    out: dict[str, Any] = {
        "resourceType": "Observation", "id": ident, "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "69548-6"}]}, "effectiveDateTime": when,
        "valueCodeableConcept": {"coding": [{"system": LOINC, "code": value[0], "display": value[1]}]},
        "component": components}
    if focus:
        out["focus"] = [{"reference": f"urn:uuid:{focus}"}]
    return out


def _without_diagnosis_genetics(name: str) -> tuple[list[dict[str, Any]], str]:
    entries = _entries(name)
    dx = next(e["resource"]["id"] for e in entries if is_diagnosis(e["resource"]))
    kept = [e for e in entries if not ("genetic-lesion" in orjson.dumps(e["resource"].get("code")).decode()
                                       and e["resource"].get("focus") == [{"reference": f"urn:uuid:{dx}"}])]
    return kept, dx


def test_an_mcode_etv6_runx1_fusion_on_the_diagnosis_is_diagnosis_genetics() -> None:
    entries, dx = _without_diagnosis_genetics("b-marrow-late")  # genetics at diagnosis: ETV6::RUNX1
    _add(entries, _variant("fusion", [("HGNC:3495", "ETV6"), ("HGNC:10471", "RUNx1")], "2016-06-01", dx,
                           ("SO:1000044", "chromosomal_translocation")))
    imported = import_case(_collection(entries))
    assert imported.errors == []
    assert not any("cannot tell" in w for w in imported.warnings)
    assert any(w.startswith("Observation/fusion.code: read as ETV6::RUNX1 in diagnosis.genetics") and
               "counts as absent" in w for w in imported.warnings)
    assert parse_case(imported.document) == load_case(ROOT / "examples/cases/b-marrow-late.yaml")


def test_other_variants_are_placed_by_date_or_say_why_not() -> None:
    entries, _dx = _without_diagnosis_genetics("b-marrow-late")
    _add(entries, _variant("kmt2a", [("HGNC:7132", "KMT2A"), ("HGNC:7135", "AFF1")], "2016-06-02",
                           kind=("SO:0001565", "gene_fusion")))  # no focus: dated before the relapse
    _add(entries, _variant("tp53", [("HGNC:11998", "TP53")], "2020-11-03"))
    _add(entries, _variant("abl1-dx", [("HGNC:76", "ABL1")], "2016-06-01"))
    _add(entries, _variant("absent", [("HGNC:3495", "ETV6"), ("HGNC:10471", "RUNX1")], "2016-06-01",
                           present=False))
    imported = import_case(_collection(entries))
    assert imported.errors == [] and imported.document["diagnosis"]["genetics"] == ["KMT2A"]
    warned = {w.split(":", 1)[0]: w for w in imported.warnings}
    tp53 = warned["Observation/tp53.component"]
    assert "(TP53) that is not an ABL1 kinase-domain mutation or a lesion" in tp53
    assert "read at a relapse" in warned["Observation/abl1-dx.focus"]
    assert "reported present" in warned["Observation/absent.valueCodeableConcept"]


def test_a_medication_known_by_an_rxnorm_clinical_drug_is_named_and_its_mg_dose_explained() -> None:
    entries = _entries("b-marrow-late")
    for ident, code, display, dose in (
            ("doxo", "1790099", "doxorubicin hydrochloride 20 MG per 10 ML Injection", {"value": 105.96,
                                                                                      "unit": "mg"}),
            ("pred", "8640", "predniSONE", {"value": 36.01, "unit": "mg"}),
            ("bare", "99999", None, {"value": 1, "unit": "mg"})):
        coding = {"system": RXNORM, "code": code} | ({"display": display} if display else {})
        _add(entries, {"resourceType": "MedicationAdministration", "id": ident, "status": "completed",
                       "medicationCodeableConcept": {"coding": [coding]}, "effectiveDateTime": "2016-06-10",
                       "dosage": {"dose": dose | {"system": UCUM, "code": dose["unit"]}}})
    imported = import_case(_collection(entries))
    warned = {w.split(":", 1)[0]: w for w in imported.warnings}
    doxo = warned["MedicationAdministration/doxo.dosage"]
    assert "doxorubicin: the dose is in mg, which cannot be converted to mg/m2 without the body" in doxo
    pred = warned["MedicationAdministration/pred.medication[x]"]
    assert "'predniSONE' is not an agent rrall tracks" in pred
    assert "'RxNorm 99999' is not an agent" in warned["MedicationAdministration/bare.medication[x]"]
    assert not any("(no code)" in w for w in imported.warnings)


def test_anthracycline_doses_in_mg_per_m2_count_or_say_the_real_gap() -> None:
    entries = [e for e in _entries("b-marrow-late") if "cumulative-dose" not in orjson.dumps(e).decode()]
    _add(entries, {"resourceType": "MedicationStatement", "id": "stated", "status": "completed",
                   "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "3639"}]},
                   "dosage": [{"doseAndRate": [{"doseQuantity": {"value": 30, "unit": "mg/m2",
                                                                 "system": "http://unitsofmeasure.org",
                                                                 "code": "mg/m2"}}]}]})
    for i, unit in enumerate(("mg/m2", "mg/m²")):
        _add(entries, {"resourceType": "MedicationAdministration", "id": f"ida-{i}", "status": "completed",
                       "medicationCodeableConcept": {"text": "Idarubicin"}, "effectiveDateTime": "2016-06-10",
                       "dosage": {"dose": {"value": 10, "unit": unit}}})
    imported = import_case(_collection(entries))
    warned = {w.split(":", 1)[0]: w for w in imported.warnings}
    stated = warned["MedicationStatement/stated.dosage"]
    assert "gives the dose of each administration, not the cumulative dose" in stated
    assert "body surface area" not in stated
    assert {"agent": "idarubicin", "cumulative_mg_per_m2": 20} in \
        imported.document["prior_therapy"]["anthracyclines"]


def test_a_record_with_no_all_says_so() -> None:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "2014-02-03"}
    asthma = {"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/p"},
              "code": {"coding": [{"system": "http://snomed.info/sct", "code": "195967001"}]}}
    imported = import_case(_collection([{"resource": patient}, {"resource": asthma}]))
    assert [e.path for e in imported.errors] == ["diagnosis", "relapses"]
    assert "no ALL diagnosis" in imported.errors[0].message
    assert "no relapse of ALL" in imported.errors[1].message
    path = ROOT / "tests" / "fhir" / "_no_all.json"
    try:
        path.write_bytes(orjson.dumps(_collection([{"resource": patient}, {"resource": asthma}])))
        result = CliRunner().invoke(app, ["fhir", "import", str(path)])
    finally:
        path.unlink()
    assert result.exit_code == 2 and "induction reached CR" not in result.output
    assert "no ALL diagnosis" in result.output


def test_the_same_type_and_id_on_two_servers_are_two_resources() -> None:
    entries = _entries("b-marrow-late")
    for e in entries:
        r = e["resource"]
        e["fullUrl"] = f"https://ehr.example/fhir/{r['resourceType']}/{r['id']}"
    wbc = next(e["resource"] for e in entries
               if "26464-8" in orjson.dumps(e["resource"].get("code")).decode())
    relapse = next(e["resource"] for e in entries if e["resource"]["resourceType"] == "Condition"
                   and not is_diagnosis(e["resource"]))
    lab = {"resourceType": "Observation", "id": wbc["id"], "status": "final",  # the lab's Observation/<id>
           "code": {"coding": [{"system": LOINC, "code": "32525-8"}]},
           "subject": {"reference": f"Patient/{entries[0]['resource']['id']}"},
           "focus": [{"reference": f"https://ehr.example/fhir/Condition/{relapse['id']}"}],
           "valueCodeableConcept": {"coding": [{"system": "https://rrall.org/fhir/CodeSystem/case",
                                                "code": "positive"}]}}
    document = load_case(ROOT / "examples/cases/b-marrow-late.yaml")
    entries = [e for e in entries if "32525-8" not in orjson.dumps(e["resource"].get("code")).decode()]
    entries.append({"fullUrl": f"https://lab.example/fhir/Observation/{wbc['id']}", "resource": lab})
    imported = import_case(_collection(entries, "searchset"))
    assert imported.errors == [], imported.errors
    assert parse_case(imported.document) == document  # the EHR's WBC and the lab's CD19, both read


def test_a_relative_reference_is_read_on_its_own_server() -> None:
    def med(base: str, name: str) -> dict[str, Any]:
        return {"fullUrl": f"{base}/Medication/m1", "resource": {
            "resourceType": "Medication", "id": "m1", "code": {"text": name}}}

    given = {"resourceType": "MedicationAdministration", "id": "a1", "status": "completed",
             "medicationReference": {"reference": "Medication/m1"}, "subject": {"reference": "Patient/p"},
             "effectiveDateTime": "2020-01-01"}
    found = read_resources(_collection([med("https://a.example/fhir", "Dasatinib"),
                                        med("https://b.example/fhir", "Imatinib"),
                                        {"fullUrl": "https://b.example/fhir/MedicationAdministration/a1",
                                         "resource": given}]))
    assert found.errors == [] and len(found.by_type["Medication"]) == 2
    [administration] = found.by_type["MedicationAdministration"]
    assert found.resolve(administration["medicationReference"], administration)["code"]["text"] == "Imatinib"
    assert found.resolve({"reference": "Medication/m1"}) is None  # two servers hold it: never a guess


def test_several_patients_are_one_clear_error() -> None:
    entries = _entries("b-marrow-late")
    for i in range(11):
        other = copy.deepcopy(entries[0])
        other["resource"] |= {"id": f"other-{i}", "birthDate": f"20{10 + i}-01-01"}
        other["fullUrl"] = f"urn:uuid:other-{i}"
        entries.append(other)
    imported = import_case(_collection(entries))
    [error] = imported.errors
    assert error.path == "Patient" and "holds 12 Patient resources" in error.message


def test_a_relapse_only_in_clinical_status_is_named() -> None:
    entries = [e for e in _entries("b-marrow-late") if e["resource"]["resourceType"] != "Condition"
               or is_diagnosis(e["resource"])]
    dx = next(e["resource"] for e in entries if is_diagnosis(e["resource"]))
    dx["clinicalStatus"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                        "code": "relapse"}]}
    imported = import_case(_collection(entries))
    assert any(w.startswith(f"Condition/{dx['id']}.clinicalStatus: 'relapse' says the leukemia came back")
               for w in imported.warnings)
    assert imported.errors == []  # the record says induction reached CR: the case format's check speaks
    with pytest.raises(CaseInputError) as refused:
        parse_case(imported.document)
    assert [e.path for e in refused.value.errors] == ["relapses"]
    unrecorded = [e for e in entries if "induction-outcome" not in orjson.dumps(e["resource"]).decode()]
    imported = import_case(_collection(unrecorded))
    assert [e.path for e in imported.errors] == ["relapses"]
    assert "no relapse of ALL" in imported.errors[0].message


def test_a_down_syndrome_condition_is_read_into_the_constitutional_block() -> None:
    """Case format v1.1: an ICD-10-CM Q90 Condition says Down syndrome; nothing else is guessed."""
    entries = _entries("b-marrow-late")
    _add(entries, {"resourceType": "Condition", "id": "ds",
                   "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "Q90.9",
                                        "display": "Down syndrome, unspecified"}]}})
    imported = import_case(_collection(entries))
    assert not imported.errors, imported.errors
    assert imported.document["constitutional"] == {"down_syndrome": True}
    assert not any("Condition/ds" in w for w in imported.warnings), imported.warnings


def test_down_syndrome_survives_case_to_bundle_to_case() -> None:
    from rrall.fhir.export import case_bundle

    case = load_case(ROOT / "examples" / "cases" / "b-marrow-late.yaml")
    with_ds = case.model_copy(update={"constitutional": parse_case(
        {**case.model_dump(mode="json", exclude_none=True), "constitutional": {"down_syndrome": True}}
    ).constitutional})
    imported = import_case(case_bundle(with_ds))
    assert imported.document["constitutional"] == {"down_syndrome": True}
