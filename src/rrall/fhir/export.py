"""A case as a FHIR R4 Bundle (type collection): the shape `rrall fhir import` reads back.

Used for the round-trip test (case -> Bundle -> case is identity for every example), for
`rrall fhir export`, and as a template for what an EHR extract should hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rrall.case.model import Case, MrdMeasurement, RefractoryDisease, Relapse
from rrall.fhir import codes as C
from rrall.fhir.build import concept, hgvs_protein, own, quantity, rid


class _Writer:
    def __init__(self, case: Case) -> None:
        self.case = case
        self.entries: list[dict[str, Any]] = []
        self.patient = rid(case.id, "patient")

    def add(self, name: str, resource: dict[str, Any]) -> str:
        ident = rid(self.case.id, name)
        resource = {"id": ident, **resource}
        resource["subject"] = {"reference": f"urn:uuid:{self.patient}"}
        self.entries.append({"fullUrl": f"urn:uuid:{ident}", "resource": resource})
        return ident

    def observation(self, name: str, code: dict[str, Any], focus: str | None, when: Any,
                    **value: Any) -> str:
        resource: dict[str, Any] = {"resourceType": "Observation", "status": "final", "code": code, **value}
        if when is not None:
            resource["effectiveDateTime"] = str(when)
        if focus:
            resource["focus"] = [{"reference": f"urn:uuid:{focus}"}]
        return self.add(name, resource)


def case_bundle(case: Case) -> dict[str, Any]:
    w = _Writer(case)
    w.entries.append({"fullUrl": f"urn:uuid:{w.patient}", "resource": {
        "resourceType": "Patient", "id": w.patient, "identifier": [{"system": C.CASE_ID, "value": case.id}],
        "gender": case.sex, "birthDate": str(case.date_of_birth)}})
    _diagnosis(w, case)
    _constitutional(w, case)
    relapse_ids = [_relapse(w, i, r) for i, r in enumerate(case.relapses, start=1)]
    for i, m in enumerate(case.mrd):
        _mrd(w, i, m, relapse_ids)
    _prior(w, case)
    if case.donor:
        components = []
        if case.donor.hla_match:
            components.append({"code": concept(own("hla-match")), "valueString": case.donor.hla_match})
        w.observation("donor", concept(own("donor")), None, None,
                      valueCodeableConcept=concept(own(case.donor.type)), component=components or None)
    if case.performance:
        code = {"karnofsky": C.KARNOFSKY, "ecog": C.ECOG}.get(case.performance.scale, C.LANSKY)
        w.observation("performance", concept(code), None, case.performance.date,
                      valueInteger=case.performance.score)
    if case.hsct_eligible is not None:
        w.observation("hsct-eligible", concept(own("hsct-eligible")), None, None,
                      valueBoolean=case.hsct_eligible)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "entry": w.entries}
    if case.assessment_date:
        bundle["timestamp"] = f"{case.assessment_date}T00:00:00Z"
    for entry in bundle["entry"]:  # drop the empty optional parts written as None
        entry["resource"] = {k: v for k, v in entry["resource"].items() if v is not None}
    return bundle


def _constitutional(w: _Writer, case: Case) -> None:
    """Down syndrome as a Condition (ICD-10-CM Q90) when present, as rrall's yes/no
    Observation when recorded absent; each germline predisposition found (or none found)."""
    c = case.constitutional
    if c is None:
        return
    if c.down_syndrome:
        w.add("down-syndrome", {"resourceType": "Condition", "code": concept(C.DOWN_SYNDROME_OUT),
                                "category": [concept(C.PROBLEM_LIST_ITEM)]})
    elif c.down_syndrome is False:
        w.observation("down-syndrome", concept(own("down-syndrome")), None, None, valueBoolean=False)
    if c.germline_predisposition is not None:
        written: list[str] = list(c.germline_predisposition) or ["none-found"]
        for found in written:
            w.observation(f"germline-{found}", concept(own("germline-predisposition")), None, None,
                          valueCodeableConcept=concept(own(found)))


def _diagnosis(w: _Writer, case: Case) -> None:
    d = case.diagnosis
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "code": concept(C.ALL_ANY, C.LINEAGE_OUT[d.immunophenotype]),
        "onsetDateTime": str(d.date),
        "category": [concept(C.PROBLEM_LIST_ITEM), concept(own("diagnosis"))]}
    if d.frontline_end_date is not None:
        key = "valueCode" if d.frontline_end_date == "not_completed" else "valueDate"
        condition["extension"] = [{"url": C.FRONTLINE_END, key: str(d.frontline_end_date)}]
    dx = w.add("diagnosis", condition)
    if "induction_outcome" in d.model_fields_set:  # recorded, not the case format's default (CR)
        outcome = C.OUTCOMES["CR" if d.induction_outcome == "CR" else "failure"]
        w.observation("induction-outcome", concept(own("induction-outcome")), dx, None,
                      valueCodeableConcept=concept(outcome))
    if d.cns_status:
        w.observation("diagnosis-cns", concept(own("cns-status")), dx, d.date,
                      valueCodeableConcept=concept(C.CNS_STATUS[d.cns_status]))
    _genetics(w, "diagnosis", d.genetics, dx, d.date)
    if d.wbc_per_uL is not None:
        w.observation("wbc", concept(C.WBC), dx, d.date, valueQuantity=quantity(d.wbc_per_uL, "/uL"))
    if d.refractory_disease is not None:  # markers on the diagnosis: the disease after induction
        _markers(w, "refractory", d.refractory_disease, dx, d.refractory_disease.date)


def _genetics(w: _Writer, scope: str, lesions: Sequence[str] | None, focus: str, when: Any) -> None:
    if lesions is None:
        return
    for lesion in lesions or ["none-found"]:
        value = own(lesion)
        w.observation(f"{scope}-genetics-{lesion}", concept(own("genetic-lesion")), focus, when,
                      valueCodeableConcept=concept(value))


def _relapse(w: _Writer, number: int, r: Relapse) -> str:
    codes = list(C.RELAPSE_OUT)
    if r.immunophenotype:
        codes.append(C.LINEAGE_OUT[r.immunophenotype])
    ident = w.add(f"relapse-{number}", {
        "resourceType": "Condition", "code": concept(*codes), "onsetDateTime": str(r.date),
        "category": [concept(C.PROBLEM_LIST_ITEM)], "bodySite": [concept(C.SITES[s]) for s in r.sites]})
    scope = f"relapse-{number}"
    _markers(w, scope, r, ident, r.date)
    _genetics(w, scope, r.genetics, ident, r.date)
    if r.cns_status:
        w.observation(f"{scope}-cns", concept(own("cns-status")), ident, r.date,
                      valueCodeableConcept=concept(C.CNS_STATUS[r.cns_status]))
    if r.reinduction_outcome:
        outcome = C.OUTCOMES["CR" if r.reinduction_outcome == "CR" else "failure"]
        w.observation(f"{scope}-reinduction", concept(own("reinduction-outcome")), ident, None,
                      valueCodeableConcept=concept(outcome))
    return ident


def _markers(w: _Writer, scope: str, r: Relapse | RefractoryDisease, ident: str, when: Any) -> None:
    """Blasts, antigens, BCR::ABL1 and kinase mutations of a relapse, or of the disease
    persisting after a failed induction (on the diagnosis Condition)."""
    if r.marrow_blasts_percent is not None:
        w.observation(f"{scope}-blasts", concept(own("marrow-blasts")), ident, when,
                      valueQuantity=quantity(r.marrow_blasts_percent, "%"))
    for marker, code in (("cd19", C.CD19), ("cd22", own("cd22")), ("cd7", own("cd7"))):
        value = getattr(r, marker)
        if value is not None:
            w.observation(f"{scope}-{marker}", concept(code), ident, when,
                          valueCodeableConcept=concept(own(value)))
    if r.cd7_blasts_percent is not None:
        w.observation(f"{scope}-cd7-blasts", concept(own("cd7-blasts")), ident, when,
                      valueQuantity=quantity(r.cd7_blasts_percent, "%"))
    if isinstance(r, Relapse) and r.bcr_abl1 is not None:
        w.observation(f"{scope}-bcr-abl1", concept(C.BCR_ABL1), ident, when, valueBoolean=r.bcr_abl1)
    if r.abl1_kinase_mutations is not None:
        found = r.abl1_kinase_mutations
        for mutation in found or ["none"]:
            components = [{"code": concept(C.GENE_STUDIED), "valueCodeableConcept": concept(C.ABL1_GENE)}]
            if mutation != "none":
                components.append({"code": concept(C.AA_CHANGE),
                                   "valueCodeableConcept": concept((C.HGVS, hgvs_protein(mutation)))})
            w.observation(f"{scope}-abl1-{mutation}", concept(C.VARIANT), ident, when,
                          valueCodeableConcept=concept(C.PRESENT if found else own("none-found")),
                          component=components)


def _mrd(w: _Writer, index: int, m: MrdMeasurement, relapses: list[str]) -> None:
    unit = ("%", "%") if m.unit == "percent" else ("fraction", "1")
    components = [{"code": concept(own("mrd-timepoint")), "valueCodeableConcept": concept(own(m.timepoint))}]
    focus = relapses[m.relapse - 1] if m.relapse and m.relapse <= len(relapses) else None
    extra: dict[str, Any] = {"valueQuantity": {"value": float(m.value), "unit": unit[0], "system": C.UCUM,
                                               "code": unit[1]}, "component": components}
    if m.method:
        extra["method"] = concept(C.MRD_METHODS[m.method])
    w.observation(f"mrd-{index}", concept(own("mrd")), focus, m.date, **extra)


def _prior(w: _Writer, case: Case) -> None:
    p = case.prior_therapy
    for i, h in enumerate(p.hsct):
        w.add(f"hsct-{i}", {"resourceType": "Procedure", "status": "completed", "code": concept(C.HSCT),
                            "performedDateTime": str(h.date),
                            "extension": [{"url": C.TRANSPLANT_TYPE,
                                           "valueCodeableConcept": concept(C.TRANSPLANT_TYPES[h.type])}]})
    for i, a in enumerate(p.agents):
        code = ((C.RXNORM, C.RXNORM_AGENTS[a.agent], a.agent.replace("_", " ")) if a.agent in C.RXNORM_AGENTS
                else own(a.agent))
        statement: dict[str, Any] = {"resourceType": "MedicationStatement", "status": "completed",
                                     "medicationCodeableConcept": concept(code)}
        if a.start_date:
            statement["effectivePeriod"] = {"start": str(a.start_date)}
        if a.response:
            statement["extension"] = [{"url": C.AGENT_RESPONSE, "valueCode": a.response}]
        w.add(f"agent-{i}", statement)
    for i, dose in enumerate(p.anthracyclines):
        code = ((C.RXNORM, C.RXNORM_ANTHRACYCLINES[dose.agent], dose.agent)
                if dose.agent in C.RXNORM_ANTHRACYCLINES else own(dose.agent))
        w.add(f"anthracycline-{i}", {
            "resourceType": "MedicationStatement", "status": "completed",
            "medicationCodeableConcept": concept(code),
            "extension": [{"url": C.CUMULATIVE_DOSE,
                           "valueQuantity": quantity(dose.cumulative_mg_per_m2, C.MG_PER_M2)}]})
    for kind, gy in (("cranial", p.cranial_radiation_gy), ("testicular", p.testicular_radiation_gy)):
        if gy == 0:  # none given: a radiotherapy not done, never a completed one of 0 Gy
            w.add(f"radiation-{kind}", {
                "resourceType": "Procedure", "status": "not-done", "code": concept(C.RADIOTHERAPY),
                "bodySite": [concept(C.RADIATION_SITES[kind])],
                "statusReason": {"text": f"no prior {kind} radiation"}})
        elif gy is not None:
            w.add(f"radiation-{kind}", {
                "resourceType": "Procedure", "status": "completed", "code": concept(C.RADIOTHERAPY),
                "bodySite": [concept(C.RADIATION_SITES[kind])],
                "extension": [{"url": C.RADIATION_DOSE, "valueQuantity": quantity(gy, "Gy")}]})

