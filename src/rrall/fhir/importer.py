"""A FHIR R4 record -> the case format, with every unmapped element named and every
conflict an error naming both resources. Nothing is dropped silently.

Which relapse an Observation belongs to: its `focus` (a relapse or the diagnosis
Condition) when given, else the latest relapse on or before its date, else the diagnosis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rrall.case.model import Case
from rrall.errors import FieldError
from rrall.fhir import codes as C
from rrall.fhir.mapped import Draft, Imported, codes, day, when
from rrall.fhir.observations import Targets, keep_serial, read_observation
from rrall.fhir.read import Resources, label, read_resources, reference_key
from rrall.fhir.therapy import agent_of, read_medications, read_procedure

__all__ = ["Imported", "agent_of", "codes", "import_case"]


VOID = {"entered-in-error", "cancelled", "not-done", "not-taken", "stopped", "refuted", "unknown"}


def _usable(resource: dict[str, Any], patients: set[str], out: Draft) -> bool:
    """Resources withdrawn (entered in error, refuted, not done, not taken) or about
    another patient are not used, and say so."""
    status = resource.get("status")
    verification = codes(resource.get("verificationStatus"))
    if status == "not-done" and _radiotherapy(resource):
        return True  # radiotherapy not done: none was given (read as 0 Gy)
    if status in VOID or any(code in ("refuted", "entered-in-error") for _, code in verification):
        out.warn(resource, "status", f"{status or 'verificationStatus'}: not used")
        return False
    subject = resource.get("subject") or resource.get("patient")
    text = subject.get("reference") if isinstance(subject, dict) else None
    if isinstance(text, str) and patients and _last(text) not in patients:
        out.warn(resource, "subject", "refers to a patient not in this record: not used")
        return False
    return True


def _radiotherapy(resource: dict[str, Any]) -> bool:
    kind = codes(resource.get("code"))
    return resource.get("resourceType") == "Procedure" and bool(kind & C.RADIOTHERAPY_IN)


def _last(reference: str) -> str:
    """The id a reference ends with (Patient/1, https://x/Patient/1/_history/2, urn:uuid:1)."""
    return reference_key(reference).rsplit("/", 1)[-1].removeprefix("urn:uuid:")


def import_case(source: Path | dict[str, Any] | list[dict[str, Any]]) -> Imported:
    found = read_resources(source)
    if found.errors:
        return Imported({}, found.warnings, found.errors)
    out = Draft()
    out.warnings += found.warnings
    people = found.by_type.get("Patient", [])
    if len(people) > 1:  # one clear error, not a conflict for every field they differ in
        names = ", ".join(label(p) for p in people[:5]) + (", ..." if len(people) > 5 else "")
        return Imported({}, out.warnings, [FieldError(
            "Patient", f"the record holds {len(people)} Patient resources ({names}): rrall reads one "
                       "patient's record", "exactly one Patient; send each patient's record on its own")])
    patients = {str(p.get("id")) for p in people}
    patients |= {_last(u) for p in people for u, r in found.by_ref.items() if r is p}
    for kind in list(found.by_type):
        if kind != "Patient":
            found.by_type[kind] = [r for r in found.by_type[kind] if _usable(r, patients, out)]
    _patient(found, out)
    diagnosis, relapses = _conditions(found, out)
    _something_to_assess(found, diagnosis, relapses, out)
    keep_serial(found, out)
    targets = Targets(found, diagnosis, relapses)
    for obs in found.by_type.get("Observation", []):
        read_observation(obs, targets, out)
    if diagnosis is not None and "diagnosis.immunophenotype" not in out.values:
        out.warn(diagnosis, "code", "no B or T lineage (Condition code or immunophenotyping Observation): "
                                    "immunophenotype unknown")
    for proc in found.by_type.get("Procedure", []):
        read_procedure(proc, out)
    read_medications(found, out)
    for kind, items in found.by_type.items():
        if kind not in ("Patient", "Condition", "Observation", "Procedure", "MedicationStatement",
                        "MedicationAdministration", "MedicationRequest", "Medication"):
            for item in items:
                out.warn(item, "resourceType", f"{kind} is not used by rrall")
    document = _document(out, found)
    return Imported(document, out.warnings, out.errors)


def _patient(found: Resources, out: Draft) -> None:
    patients = found.by_type.get("Patient", [])
    if not patients:
        out.errors.append(FieldError("Patient", "the record has no Patient resource", "exactly one Patient"))
        return
    for p in patients:
        out.set("sex", p.get("gender"), p)
        out.set("date_of_birth", p.get("birthDate"), p)
        ids = [i.get("value") for i in p.get("identifier") or [] if i.get("system") == C.CASE_ID]
        out.set("id", ids[0] if ids else p.get("id"), p)
        if not ids:
            out.warn(p, "identifier", f"no identifier with system {C.CASE_ID}; the case id is the Patient id")


def _something_to_assess(found: Resources, diagnosis: dict[str, Any] | None, relapses: list[dict[str, Any]],
                         out: Draft) -> None:
    """Say what the record lacks in its own words (the case format would say "induction
    reached CR", its default, about a record that never said so)."""
    if diagnosis is None:
        out.errors.append(FieldError("diagnosis", "the record has no ALL diagnosis: no Condition coded as "
                                                  "acute lymphoblastic leukaemia",
                                     "a Condition with SNOMED 91857003, ICD-10-CM C91.0/C91.00 or a B or T "
                                     "lineage code, and its onset date"))
    induction = found.by_type.get("Observation", [])
    failed_induction = any((C.RRALL, "induction-outcome") in codes(o.get("code")) for o in induction)
    if not relapses and not failed_induction:
        out.errors.append(FieldError("relapses", "the record has no relapse of ALL (a relapse Condition or "
                                                 "an mCODE disease status 'worsened') and no induction "
                                                 "outcome: nothing to assess",
                                     "a relapse Condition (SNOMED 1259237005 or ICD-10-CM C91.02) with its "
                                     "date and body site"))


def _conditions(found: Resources, out: Draft) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    diagnoses, relapses = [], []
    for cond in found.by_type.get("Condition", []):
        kinds = codes(cond.get("code"))
        if kinds & C.RELAPSE_CODES:
            relapses.append(cond)
        elif kinds & C.DIAGNOSIS_CODES:
            diagnoses.append(cond)
        elif kinds & C.DOWN_SYNDROME_CODES:
            out.set("constitutional.down_syndrome", True, cond)
        else:
            out.warn(cond, "code", "not an ALL diagnosis or relapse code rrall knows; not used")
    for obs in found.by_type.get("Observation", []):  # mCODE disease status: worsened = relapse
        if (C.LOINC, "97509-4") in codes(obs.get("code")):
            if (C.SNOMED, "271299001") in codes(obs.get("valueCodeableConcept")):
                relapses.append({**obs, "onsetDateTime": when(obs),
                                 "bodySite": [obs["bodySite"]] if obs.get("bodySite") else []})
            else:
                out.warn(obs, "valueCodeableConcept", "disease status other than 'worsened' is not used")
    if not relapses:
        for cond in diagnoses:
            if "relapse" in {code for _, code in codes(cond.get("clinicalStatus"))}:
                out.warn(cond, "clinicalStatus", "'relapse' says the leukemia came back, but not when or "
                                                 "where: record the relapse as its own Condition (or mCODE "
                                                 "disease status) with its date and body site; not read as a "
                                                 "relapse")
    diagnosis = None
    for cond in diagnoses:
        out.set("diagnosis.date", day(cond.get("onsetDateTime")) or when(cond), cond)
        lineage = {C.LINEAGE_CODES[k] for k in codes(cond.get("code")) if k in C.LINEAGE_CODES}
        if len(lineage) > 1:
            out.errors.append(FieldError("diagnosis.immunophenotype", f"{label(cond)} codes both B and T"))
        elif lineage:
            out.set("diagnosis.immunophenotype", lineage.pop(), cond)
        for ext in cond.get("extension") or []:
            if ext.get("url") == C.FRONTLINE_END:
                out.set("diagnosis.frontline_end_date", ext.get("valueDate") or ext.get("valueCode"), cond)
        diagnosis = diagnosis or cond
    merged: dict[str, dict[str, Any]] = {}
    for cond in sorted(relapses, key=lambda c: when(c) or ""):
        onset = when(cond)
        if onset is None:
            out.errors.append(FieldError("relapses", f"{label(cond)} has no date (onset or effective)",
                                         "a relapse with its date"))
        elif onset in merged:  # a relapse Condition and a disease-status Observation of the same day
            merged[onset].setdefault("_also", []).append(cond)
        else:
            merged[onset] = cond
    ordered = list(merged.values())
    for i, cond in enumerate(ordered):
        base = f"relapses[{i}]"
        out.set(f"{base}.date", when(cond), cond)
        sites: list[str] = []
        for site in cond.get("bodySite") or []:
            known = [C.SITES_IN[k] for k in codes(site) if k in C.SITES_IN]
            if known:
                sites.extend(s for s in known[:1] if s not in sites)
            else:
                out.warn(cond, "bodySite", "a body site rrall does not map (bone marrow, CNS, testis, other)")
        if sites:
            out.set(f"{base}.sites", sites, cond)
        lineage = {C.LINEAGE_CODES[k] for k in codes(cond.get("code")) if k in C.LINEAGE_CODES}
        if len(lineage) == 1:
            out.set(f"{base}.immunophenotype", lineage.pop(), cond)
    return diagnosis, ordered


def _document(out: Draft, found: Resources) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for path, (value, _) in out.values.items():
        if value is None:
            continue
        node: Any = document
        parts = path.replace("]", "").replace("[", ".").split(".")
        for i, part in enumerate(parts[:-1]):
            fresh: Any = [] if parts[i + 1].isdigit() else {}
            if part.isdigit():
                while len(node) <= int(part):
                    node.append([] if parts[i + 1].isdigit() else {})  # a new one each time
                node = node[int(part)]
            else:
                node = node.setdefault(part, fresh)
        node[parts[-1]] = value
    if found.timestamp and day(found.timestamp):
        document.setdefault("assessment_date", day(found.timestamp))
    order = list(Case.model_fields)  # the case format's own order, for people reading the file
    return dict(sorted(document.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99))
