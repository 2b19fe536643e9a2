"""A FHIR R4 record -> the case format, with every unmapped element named and every
conflict an error naming both resources. Nothing is dropped silently.

Which relapse an Observation belongs to: its `focus` (a relapse or the diagnosis
Condition) when given, else the latest relapse on or before its date, else the diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rrall.case.model import Case
from rrall.case.vocabulary import Anthracycline, GeneticLesion, PriorAgent, values
from rrall.errors import FieldError
from rrall.fhir import codes as C
from rrall.fhir.build import short_protein
from rrall.fhir.read import Resources, label, read_resources, reference_key

AGENTS = set(values(PriorAgent))
ANTHRACYCLINES = set(values(Anthracycline))
LESIONS = set(values(GeneticLesion))
BY_RXNORM = {code: agent for agent, code in (C.RXNORM_AGENTS | C.RXNORM_ANTHRACYCLINES).items()}
WBC_UNITS = {"/uL": 1, "/mm3": 1, "10*3/uL": 1000, "10*9/L": 1000, "/L": 1e-6}


@dataclass
class Imported:
    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)


def codes(concept: Any) -> set[tuple[str, str]]:
    if not isinstance(concept, dict):
        return set()
    return {(c.get("system", ""), c.get("code", "")) for c in concept.get("coding") or []}


def _day(value: Any) -> str | None:
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def _when(resource: dict[str, Any]) -> str | None:
    for key in ("effectiveDateTime", "onsetDateTime", "performedDateTime", "authoredOn", "issued"):
        if resource.get(key):
            return _day(resource[key])
    for key in ("effectivePeriod", "performedPeriod", "onsetPeriod"):
        if isinstance(resource.get(key), dict):
            return _day(resource[key].get("start"))
    return None


class _Case:
    """The document under construction; a value set twice differently is a conflict."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[Any, dict[str, Any]]] = {}
        self.errors: list[FieldError] = []
        self.warnings: list[str] = []

    def set(self, path: str, value: Any, source: dict[str, Any]) -> None:
        if value is None:
            if "resourceType" in source and "id" in source:
                self.warn(source, path, "no value rrall can read (e.g. a missing or differently typed value)")
            return
        if path in self.values and self.values[path][0] != value:
            first = self.values[path][1]
            self.errors.append(FieldError(path, f"conflicting values: {label(first)} gives "
                                                f"{self.values[path][0]!r}, {label(source)} gives {value!r}",
                                          "one value; correct or remove one of the resources"))
            return
        self.values[path] = (value, source)

    def warn(self, resource: dict[str, Any], element: str, why: str) -> None:
        self.warnings.append(f"{label(resource)}.{element}: {why}")


VOID = {"entered-in-error", "cancelled", "not-done", "not-taken", "stopped", "refuted", "unknown"}


def _usable(resource: dict[str, Any], patients: set[str], out: _Case) -> bool:
    """Resources withdrawn (entered in error, refuted, not done, not taken) or about
    another patient are not used, and say so."""
    status = resource.get("status")
    verification = codes(resource.get("verificationStatus"))
    if status in VOID or any(code in ("refuted", "entered-in-error") for _, code in verification):
        out.warn(resource, "status", f"{status or 'verificationStatus'}: not used")
        return False
    subject = resource.get("subject") or resource.get("patient")
    text = subject.get("reference") if isinstance(subject, dict) else None
    if isinstance(text, str) and patients and _last(text) not in patients:
        out.warn(resource, "subject", "refers to a patient not in this record: not used")
        return False
    return True


def _last(reference: str) -> str:
    """The id a reference ends with (Patient/1, https://x/Patient/1/_history/2, urn:uuid:1)."""
    return reference_key(reference).rsplit("/", 1)[-1].removeprefix("urn:uuid:")


def import_case(source: Path | dict[str, Any] | list[dict[str, Any]]) -> Imported:
    found = read_resources(source)
    if found.errors:
        return Imported({}, found.warnings, found.errors)
    out = _Case()
    out.warnings += found.warnings
    people = found.by_type.get("Patient", [])
    patients = {str(p.get("id")) for p in people}
    patients |= {_last(u) for p in people for u, r in found.by_ref.items() if r is p}
    for kind in list(found.by_type):
        if kind != "Patient":
            found.by_type[kind] = [r for r in found.by_type[kind] if _usable(r, patients, out)]
    _patient(found, out)
    diagnosis, relapses = _conditions(found, out)
    _serial(found, out)
    targets = _Targets(found, diagnosis, relapses)
    for obs in found.by_type.get("Observation", []):
        _observation(obs, targets, out)
    for proc in found.by_type.get("Procedure", []):
        _procedure(proc, out)
    _medications(found, out)
    for kind, items in found.by_type.items():
        if kind not in ("Patient", "Condition", "Observation", "Procedure", "MedicationStatement",
                        "MedicationAdministration", "MedicationRequest", "Medication"):
            for item in items:
                out.warn(item, "resourceType", f"{kind} is not used by rrall")
    document = _document(out, found)
    return Imported(document, out.warnings, out.errors)


def _patient(found: Resources, out: _Case) -> None:
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


def _conditions(found: Resources, out: _Case) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    diagnoses, relapses = [], []
    for cond in found.by_type.get("Condition", []):
        kinds = codes(cond.get("code"))
        if kinds & C.RELAPSE_CODES:
            relapses.append(cond)
        elif kinds & C.DIAGNOSIS_CODES:
            diagnoses.append(cond)
        else:
            out.warn(cond, "code", "not an ALL diagnosis or relapse code rrall knows; not used")
    for obs in found.by_type.get("Observation", []):  # mCODE disease status: worsened = relapse
        if (C.LOINC, "97509-4") in codes(obs.get("code")):
            if (C.SNOMED, "271299001") in codes(obs.get("valueCodeableConcept")):
                relapses.append({**obs, "onsetDateTime": _when(obs),
                                 "bodySite": [obs["bodySite"]] if obs.get("bodySite") else []})
            else:
                out.warn(obs, "valueCodeableConcept", "disease status other than 'worsened' is not used")
    diagnosis = None
    for cond in diagnoses:
        out.set("diagnosis.date", _day(cond.get("onsetDateTime")) or _when(cond), cond)
        lineage = {C.LINEAGE_CODES[k] for k in codes(cond.get("code")) if k in C.LINEAGE_CODES}
        if len(lineage) > 1:
            out.errors.append(FieldError("diagnosis.immunophenotype", f"{label(cond)} codes both B and T"))
        elif lineage:
            out.set("diagnosis.immunophenotype", lineage.pop(), cond)
        for ext in cond.get("extension") or []:
            if ext.get("url") == C.FRONTLINE_END:
                out.set("diagnosis.frontline_end_date", ext.get("valueDate") or ext.get("valueCode"), cond)
        diagnosis = diagnosis or cond
    if diagnoses and "diagnosis.immunophenotype" not in out.values:
        out.warn(diagnoses[0], "code", "no B or T lineage code: immunophenotype unknown")
    merged: dict[str, dict[str, Any]] = {}
    for cond in sorted(relapses, key=lambda c: _when(c) or ""):
        day = _when(cond)
        if day is None:
            out.errors.append(FieldError("relapses", f"{label(cond)} has no date (onset or effective)",
                                         "a relapse with its date"))
        elif day in merged:  # a relapse Condition and a disease-status Observation of the same day
            merged[day].setdefault("_also", []).append(cond)
        else:
            merged[day] = cond
    ordered = list(merged.values())
    for i, cond in enumerate(ordered):
        base = f"relapses[{i}]"
        out.set(f"{base}.date", _when(cond), cond)
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


def _keys(resource: dict[str, Any], found: Resources) -> set[str]:
    """Every way a reference can name this resource."""
    kind, ident = resource.get("resourceType"), resource.get("id")
    keys = {f"{kind}/{ident}", f"urn:uuid:{ident}"}
    keys |= {url for url, r in found.by_ref.items() if r.get("resourceType") == kind and r.get("id") == ident}
    return keys


class _Targets:
    """What an Observation is about: the diagnosis or one relapse."""

    def __init__(self, found: Resources, diagnosis: dict[str, Any] | None,
                 relapses: list[dict[str, Any]]) -> None:
        self.found = found
        self.diagnosis = diagnosis
        self.dx_keys: set[str] = set()
        for cond in found.by_type.get("Condition", []):
            if diagnosis is not None and codes(cond.get("code")) & C.DIAGNOSIS_CODES and not (
                    codes(cond.get("code")) & C.RELAPSE_CODES):
                self.dx_keys |= _keys(cond, found)
        self.relapse_of: dict[str, int] = {}
        self.days: list[str] = []
        for i, r in enumerate(relapses):
            for part in [r, *r.get("_also", [])]:
                for key in _keys(part, found):
                    self.relapse_of[key] = i
            self.days.append(_when(r) or "")

    def of(self, obs: dict[str, Any]) -> tuple[str | None, bool]:
        """('diagnosis' | 'relapses[i]' | None, whether a focus said so)."""
        for focus in obs.get("focus") or []:
            text = focus.get("reference") if isinstance(focus, dict) else None
            if not isinstance(text, str):
                continue
            for key in (text, reference_key(text)):
                if key in self.dx_keys:
                    return "diagnosis", True
                if key in self.relapse_of:
                    return f"relapses[{self.relapse_of[key]}]", True
        day = _when(obs)
        if day:
            before = [i for i, d in enumerate(self.days) if d <= day]
            return (f"relapses[{before[-1]}]" if before else "diagnosis"), False
        return ("diagnosis" if not self.days else None), False


RELAPSE_ONLY = "cannot tell which relapse this belongs to: give it a focus (the relapse Condition) or a date"
EITHER = RELAPSE_ONLY.replace("which relapse", "whether the diagnosis or which relapse")


def _observation(obs: dict[str, Any], targets: _Targets, out: _Case) -> None:
    kind = codes(obs.get("code"))
    value = codes(obs.get("valueCodeableConcept"))
    target, focused = targets.of(obs)
    own = {code for system, code in kind if system == C.RRALL}
    at_relapse = target if target and target != "diagnosis" else None
    if (C.LOINC, "97509-4") in kind:
        return  # read as a relapse above
    if kind & {(C.LOINC, C.WBC[1])}:
        _wbc(obs, out)
    elif "induction-outcome" in own or "reinduction-outcome" in own:
        front = "induction-outcome" in own
        if not front and at_relapse is None:
            out.warn(obs, "focus", RELAPSE_ONLY)
            return
        field_ = "diagnosis.induction_outcome" if front else f"{at_relapse}.reinduction_outcome"
        done = (C.OUTCOMES["CR"][0], C.OUTCOMES["CR"][1]) in value
        failed = (C.OUTCOMES["failure"][0], C.OUTCOMES["failure"][1]) in value
        word = "induction_failure" if front else "treatment_failure"
        if done or failed:
            out.set(field_, "CR" if done else word, obs)
        else:
            out.warn(obs, "valueCodeableConcept", "an outcome other than full remission or refractory")
    elif "cns-status" in own:
        status = [s for s, c in C.CNS_STATUS.items() if (c[0], c[1]) in value]
        if not status:
            out.warn(obs, "valueCodeableConcept", "not CNS1, CNS2 or CNS3 (NCIt)")
        elif target is None:
            out.warn(obs, "focus", EITHER)
        else:
            out.set(f"{target}.cns_status", status[0], obs)
    elif "genetic-lesion" in own:
        if target is None:
            out.warn(obs, "focus", EITHER)
        else:
            _lesion(obs, target, value, out)
    elif "mrd" in own:
        _mrd(obs, target if focused else None, target, len(targets.days), out)
    elif "donor" in own:
        donor = [c for s, c in value if s == C.RRALL]
        out.set("donor.type", donor[0] if donor else None, obs)
        for comp in obs.get("component") or []:
            if (C.RRALL, "hla-match") in codes(comp.get("code")):
                out.set("donor.hla_match", comp.get("valueString"), obs)
    elif kind & {(C.KARNOFSKY[0], C.KARNOFSKY[1]), (C.LANSKY[0], C.LANSKY[1])}:
        scale = "karnofsky" if (C.KARNOFSKY[0], C.KARNOFSKY[1]) in kind else "lansky"
        out.set("performance.scale", scale, obs)
        out.set("performance.score", obs.get("valueInteger"), obs)
        if _when(obs):
            out.set("performance.date", _when(obs), obs)
    elif _relapse_fact(kind, own) and at_relapse is None:
        out.warn(obs, "focus", RELAPSE_ONLY)
    elif "marrow-blasts" in own and at_relapse:
        out.set(f"{at_relapse}.marrow_blasts_percent", (obs.get("valueQuantity") or {}).get("value"), obs)
    elif (kind & {(C.CD19[0], C.CD19[1])} or "cd22" in own) and at_relapse:
        marker = "cd22" if "cd22" in own else "cd19"
        words = [c for s, c in value if s == C.RRALL and c in ("positive", "dim", "negative", "unknown")]
        if words:
            out.set(f"{at_relapse}.{marker}", words[0], obs)
        else:
            out.warn(obs, "value[x]", f"{marker.upper()} is read as positive / dim / negative (rrall codes)")
    elif kind & C.BCR_ABL1_IN and at_relapse:
        present = obs.get("valueBoolean")
        if present is None and (C.PRESENT[0], C.PRESENT[1]) in value:
            present = True
        if isinstance(present, bool):
            out.set(f"{at_relapse}.bcr_abl1", present, obs)
        else:
            out.warn(obs, "value[x]", "BCR::ABL1 is read from valueBoolean or LOINC LA9633-4 (Present)")
    elif (C.VARIANT[0], C.VARIANT[1]) in kind and at_relapse:
        _variant(obs, at_relapse, value, out)
    else:
        out.warn(obs, "code", "an observation rrall does not map; not used")


def _relapse_fact(kind: set[tuple[str, str]], own: set[str]) -> bool:
    markers = {(C.CD19[0], C.CD19[1]), (C.VARIANT[0], C.VARIANT[1]), *C.BCR_ABL1_IN}
    return bool(own & {"marrow-blasts", "cd22"} or kind & markers)


def _serial(found: Resources, out: _Case) -> None:
    """Keep one of each serial measurement: the WBC count at diagnosis (the earliest), the
    latest performance score; say which others were not used."""
    observations = found.by_type.get("Observation", [])
    for code, keep_last, what in ((C.WBC, False, "the case keeps the count at diagnosis (the earliest)"),
                                  (C.KARNOFSKY, True, "the case keeps the latest score"),
                                  (C.LANSKY, True, "the case keeps the latest score")):
        series = [o for o in observations if (code[0], code[1]) in codes(o.get("code"))]
        if len(series) < 2:
            continue
        series.sort(key=lambda o: _when(o) or "")
        kept = series[-1] if keep_last else series[0]
        for o in series:
            if o is not kept:
                out.warn(o, "code", f"another measurement of the same kind: {what}")
        dropped = {id(o) for o in series if o is not kept}
        found.by_type["Observation"] = [o for o in found.by_type["Observation"] if id(o) not in dropped]
        observations = found.by_type["Observation"]


def _wbc(obs: dict[str, Any], out: _Case) -> None:
    q = obs.get("valueQuantity") or {}
    factor = WBC_UNITS.get(q.get("code") or q.get("unit") or "")
    if factor is None or q.get("value") is None:
        out.warn(obs, "valueQuantity", f"WBC unit {q.get('code') or q.get('unit')!r} is not one of "
                                       f"{', '.join(WBC_UNITS)}; not used")
        return
    number = q["value"] * factor
    out.set("diagnosis.wbc_per_uL", int(number) if float(number).is_integer() else number, obs)


def _lesion(obs: dict[str, Any], target: str, value: set[tuple[str, str]], out: _Case) -> None:
    path = f"{target}.genetics"
    current = out.values.get(path, ([], obs))[0]
    lesions = [c for s, c in value if s == C.RRALL and c in LESIONS]
    none_found = (C.RRALL, "none-found") in value
    previous = out.values.get(path)
    if (none_found and current) or (lesions and previous is not None and previous[0] == [] and
                                     previous[1] is not obs and previous[1].get("_none")):
        first = label(previous[1]) if previous else label(obs)
        why = f"{first} and {label(obs)} disagree: tested with none found, and a lesion found"
        out.errors.append(FieldError(path, why, "one finding; correct or remove one of them"))
    elif none_found:
        out.values.setdefault(path, ([], {**obs, "_none": True}))
    elif lesions:
        out.values[path] = ([*current, *(x for x in lesions if x not in current)], obs)  # record order
    else:
        out.warn(obs, "valueCodeableConcept", "not a genetic lesion of the case format")


def _variant(obs: dict[str, Any], target: str, value: set[tuple[str, str]], out: _Case) -> None:
    gene = changes = None
    for comp in obs.get("component") or []:
        kind = codes(comp.get("code"))
        if (C.GENE_STUDIED[0], C.GENE_STUDIED[1]) in kind:
            gene = codes(comp.get("valueCodeableConcept"))
        if (C.AA_CHANGE[0], C.AA_CHANGE[1]) in kind:
            changes = [c for _, c in codes(comp.get("valueCodeableConcept"))]
    if not gene or (C.ABL1_GENE[0], C.ABL1_GENE[1]) not in gene:
        out.warn(obs, "component", "a variant in a gene other than ABL1; not used")
        return
    path = f"{target}.abl1_kinase_mutations"
    current = list(out.values.get(path, ([], obs))[0])
    if (C.RRALL, "none-found") in value:
        out.values.setdefault(path, ([], obs))
        return
    for change in changes or []:
        short = short_protein(change)
        if short is None:
            out.warn(obs, "component", f"amino-acid change {change!r} is not a single substitution")
        elif short not in current:
            current.append(short)
    out.values[path] = (current, obs)


def _mrd(obs: dict[str, Any], focused: str | None, dated: str | None, relapses: int, out: _Case) -> None:
    """`relapse` from the focus; else from the date when it is an earlier relapse than the
    latest (the case format's default)."""
    q = obs.get("valueQuantity") or {}
    unit = {"%": "percent", "1": "fraction"}.get(q.get("code") or "")
    entry: dict[str, Any] = {"value": q.get("value"), "unit": unit}
    for comp in obs.get("component") or []:
        if (C.RRALL, "mrd-timepoint") in codes(comp.get("code")):
            points = [c for s, c in codes(comp.get("valueCodeableConcept")) if s == C.RRALL]
            entry["timepoint"] = points[0] if points else None
    methods = [m for m, c in C.MRD_METHODS.items() if (c[0], c[1]) in codes(obs.get("method"))]
    if methods:
        entry["method"] = methods[0]
    if _when(obs):
        entry["date"] = _when(obs)
    if focused and focused.startswith("relapses["):
        entry["relapse"] = int(focused[9:-1]) + 1
    elif dated and dated.startswith("relapses[") and int(dated[9:-1]) + 1 < relapses:
        entry["relapse"] = int(dated[9:-1]) + 1
    if unit is None:
        out.warn(obs, "valueQuantity.code", "MRD unit must be UCUM '%' or '1' (a fraction)")
    if q.get("value") is None:
        out.warn(obs, "valueQuantity.value", "an MRD result without a value; not used")
        return
    out.values.setdefault("mrd", ([], obs))[0].append({k: v for k, v in entry.items() if v is not None})


def _procedure(proc: dict[str, Any], out: _Case) -> None:
    kind = codes(proc.get("code"))
    if (C.HSCT[0], C.HSCT[1]) in kind:
        entry: dict[str, Any] = {"date": _when(proc)}
        qualifiers = set(kind)
        for ext in proc.get("extension") or []:
            if ext.get("url") == C.TRANSPLANT_TYPE:
                qualifiers |= codes(ext.get("valueCodeableConcept"))
        types = [t for t, c in C.TRANSPLANT_TYPES.items() if (c[0], c[1]) in qualifiers]
        if types:
            entry["type"] = types[0]
        else:
            out.warn(proc, "code", "HSCT without allogeneic/autologous (SNOMED 50223000 / 53088000)")
        out.values.setdefault("prior_therapy.hsct", ([], proc))[0].append(entry)
    elif kind & C.RADIOTHERAPY_IN:
        sites = {C.RADIATION_SITES_IN[k] for s in proc.get("bodySite") or [] for k in codes(s)
                 if k in C.RADIATION_SITES_IN}
        dose = _extension(proc, C.RADIATION_DOSE)
        if len(sites) != 1 or not dose or dose.get("code", dose.get("unit")) != "Gy":
            out.warn(proc, "bodySite", "radiotherapy is read for brain or testis with a dose in Gy; not used")
            return
        out.set(f"prior_therapy.{sites.pop()}_radiation_gy", dose.get("value"), proc)
    elif (C.CAR_T_PROCEDURE[0], C.CAR_T_PROCEDURE[1]) in kind:
        out.warn(proc, "code", "a CAR-T procedure without the product: record the agent as a medication")
    else:
        out.warn(proc, "code", "a procedure rrall does not map; not used")


def agent_of(resource: dict[str, Any], found: Resources) -> tuple[str | None, str]:
    concept = resource.get("medicationCodeableConcept")
    if concept is None:
        medication = found.resolve(resource.get("medicationReference"), resource)
        concept = (medication or {}).get("code")
    for system, code in codes(concept):
        if system == C.RXNORM and code in BY_RXNORM:
            return BY_RXNORM[code], code
        if system == C.RRALL and code in AGENTS | ANTHRACYCLINES:
            return code, code
    concept = concept or {}
    names = [concept.get("text", "")] + [c.get("display", "") for c in concept.get("coding", [])]
    for name in names:
        word = str(name).strip().lower().replace(" ", "_")
        if word in AGENTS | ANTHRACYCLINES:
            return word, str(name)
    return None, str(names[0] or "(no code)")


def _medications(found: Resources, out: _Case) -> None:
    """A MedicationStatement is one course (kept as its own entry); administrations and
    completed orders of an agent are collapsed into one course, from the earliest date,
    and their anthracycline doses in mg/m2 are summed. Where an agent has a statement,
    the statement is used and the administrations are named in a warning."""
    courses: list[dict[str, Any]] = []
    collapsed: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    stated_doses: list[dict[str, Any]] = []
    totals: dict[str, tuple[float, dict[str, Any]]] = {}
    for kind in ("MedicationStatement", "MedicationAdministration", "MedicationRequest"):
        for item in found.by_type.get(kind, []):
            if kind == "MedicationRequest" and item.get("status") != "completed":
                out.warn(item, "status", "an order that is not completed is not a prior exposure; not used")
                continue
            agent, shown = agent_of(item, found)
            if agent is None:
                out.warn(item, "medication[x]", f"{shown!r} is not an agent rrall tracks; not used")
            elif agent in ANTHRACYCLINES:
                cumulative = _extension(item, C.CUMULATIVE_DOSE)
                if kind == "MedicationStatement" and cumulative and cumulative.get("value") is not None:
                    stated_doses.append({"agent": agent, "cumulative_mg_per_m2": cumulative["value"]})
                else:
                    _anthracycline(item, agent, totals, out)
            elif kind == "MedicationStatement":
                courses.append(_course(item, agent))
            else:
                course = _course(item, agent)
                earlier = collapsed.get(agent)
                first = (earlier[0].get("start_date") or "9") if earlier else "9"
                if earlier is None or (course.get("start_date") or "9") < first:
                    course = {**(earlier[0] if earlier else {}), **course}
                    collapsed[agent] = (course, item)
    stated = {c["agent"] for c in courses}
    for agent, (course, item) in collapsed.items():
        if agent in stated:
            out.warn(item, "medication[x]", f"{agent} is also in a MedicationStatement, which is used")
        else:
            courses.append(course)
    stated_agents = {d["agent"] for d in stated_doses}
    for agent, (total, item) in totals.items():
        if agent in stated_agents:
            out.warn(item, "dosage", f"{agent} has a cumulative dose in a MedicationStatement, which is used")
        else:
            stated_doses.append({"agent": agent, "cumulative_mg_per_m2": _number(total)})
    if courses:
        out.set("prior_therapy.agents", courses, {"resourceType": "MedicationStatement"})
    if stated_doses:
        out.set("prior_therapy.anthracyclines", stated_doses, {"resourceType": "MedicationStatement"})


def _course(item: dict[str, Any], agent: str) -> dict[str, Any]:
    course: dict[str, Any] = {"agent": agent}
    if _when(item):
        course["start_date"] = _when(item)
    for ext in item.get("extension") or []:
        if ext.get("url") == C.AGENT_RESPONSE:
            course["response"] = ext.get("valueCode")
    return course


def _anthracycline(item: dict[str, Any], agent: str, totals: dict[str, tuple[float, dict[str, Any]]],
                   out: _Case) -> None:
    dose = _extension(item, C.CUMULATIVE_DOSE)
    if dose is None:  # one administration: its dose, in mg/m2 only
        dose = (item.get("dosage") or {}).get("dose") if isinstance(item.get("dosage"), dict) else None
    if not dose or dose.get("code", dose.get("unit")) != C.MG_PER_M2 or dose.get("value") is None:
        out.warn(item, "dosage", f"{agent}: a dose in mg/m2 is needed (mg without body surface area "
                                 "cannot be converted); not counted")
        return
    total, first = totals.get(agent, (0.0, item))
    totals[agent] = (total + float(dose["value"]), first)


def _extension(resource: dict[str, Any], url: str) -> Any:
    found = [e.get("valueQuantity") for e in resource.get("extension") or [] if e.get("url") == url]
    return found[0] if found else None


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


def _document(out: _Case, found: Resources) -> dict[str, Any]:
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
    if found.timestamp and _day(found.timestamp):
        document.setdefault("assessment_date", _day(found.timestamp))
    order = list(Case.model_fields)  # the case format's own order, for people reading the file
    return dict(sorted(document.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99))
