"""Observations: markers, MRD, genetics, outcomes, CNS status, counts and scores, each
placed on the diagnosis or on one relapse (by focus, else by date, never by guess)."""

from __future__ import annotations

from typing import Any

from rrall.errors import FieldError
from rrall.fhir import codes as C
from rrall.fhir.build import short_protein
from rrall.fhir.mapped import Draft, codes, when
from rrall.fhir.read import Resources, label
from rrall.vocabulary import GeneticLesion, GermlinePredisposition, values

LESIONS = set(values(GeneticLesion))
GERMLINE = set(values(GermlinePredisposition))
WBC_UNITS = {"/uL": 1, "/mm3": 1, "10*3/uL": 1000, "10*9/L": 1000, "/L": 1e-6}


def _keys(resource: dict[str, Any], found: Resources) -> set[str]:
    """Every way a reference can name this resource (a Type/id two servers hold names
    neither: only their full URLs do)."""
    kind, ident = resource.get("resourceType"), resource.get("id")
    keys = {url for url, r in found.by_ref.items() if r is resource}
    if f"{kind}/{ident}" not in found.ambiguous:
        keys |= {f"{kind}/{ident}", f"urn:uuid:{ident}"}
    if id(resource) in found.base:
        keys.add(f"{found.base[id(resource)]}/{kind}/{ident}")
    return keys


class Targets:
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
            self.days.append(when(r) or "")

    def of(self, obs: dict[str, Any]) -> tuple[str | None, bool]:
        """('diagnosis' | 'relapses[i]' | None, whether a focus said so)."""
        for focus in obs.get("focus") or []:
            text = focus.get("reference") if isinstance(focus, dict) else None
            if not isinstance(text, str):
                continue
            for key in self.found.keys(text, obs):
                if key in self.dx_keys:
                    return "diagnosis", True
                if key in self.relapse_of:
                    return f"relapses[{self.relapse_of[key]}]", True
        day = when(obs)
        if day:
            before = [i for i, d in enumerate(self.days) if d <= day]
            return (f"relapses[{before[-1]}]" if before else "diagnosis"), False
        return ("diagnosis" if not self.days else None), False


REFRACTORY = "diagnosis.refractory_disease"
RELAPSE_ONLY = "cannot tell which relapse this belongs to: give it a focus (the relapse Condition) or a date"
EITHER = RELAPSE_ONLY.replace("which relapse", "whether the diagnosis or which relapse")
NO_RELAPSE = ("a finding at relapse, but the record has no dated relapse (a relapse Condition with its "
              "date) to attach it to; not used")


def relapse_only(targets: Targets) -> str:
    """Why a finding read only at a relapse is not used: no relapse to attach it to, or no
    way to tell which."""
    return RELAPSE_ONLY if targets.days else NO_RELAPSE


def read_observation(obs: dict[str, Any], targets: Targets, out: Draft) -> None:
    kind = codes(obs.get("code"))
    value = codes(obs.get("valueCodeableConcept"))
    target, focused = targets.of(obs)
    own = {code for system, code in kind if system == C.RRALL}
    at_relapse = target if target and target != "diagnosis" else None
    # A marker whose focus is the diagnosis of a record without a relapse (primary
    # refractory disease) describes the disease persisting after induction. Placed there
    # only by its date, or with a relapse in the record, it is not used (a warning).
    refractory = target == "diagnosis" and focused and not targets.days
    at_disease = at_relapse or (REFRACTORY if refractory else None)
    if (C.LOINC, "97509-4") in kind:
        return  # read as a relapse above
    if kind & {(C.LOINC, C.WBC[1])}:
        _wbc(obs, out)
    elif "induction-outcome" in own or "reinduction-outcome" in own:
        front = "induction-outcome" in own
        if not front and at_relapse is None:
            out.warn(obs, "focus", relapse_only(targets))
            return
        field_ = "diagnosis.induction_outcome" if front else f"{at_relapse}.reinduction_outcome"
        done = (C.OUTCOMES["CR"][0], C.OUTCOMES["CR"][1]) in value
        failed = (C.OUTCOMES["failure"][0], C.OUTCOMES["failure"][1]) in value
        word = "induction_failure" if front else "treatment_failure"
        if done or failed:
            out.set(field_, "CR" if done else word, obs)
        else:
            out.warn(obs, "valueCodeableConcept", "an outcome other than full remission or refractory")
    elif (C.IMMUNOPHENOTYPING[0], C.IMMUNOPHENOTYPING[1]) in kind or "immunophenotype" in own:
        lineage = {C.LINEAGE_CODES[k] for k in value if k in C.LINEAGE_CODES}
        if len(lineage) != 1:
            out.warn(obs, "valueCodeableConcept", "no single B or T lineage code (e.g. SNOMED 277571004, "
                                                  "ICD-O-3 9837/3)")
        elif target is None:
            out.warn(obs, "focus", EITHER)
        else:
            out.set(f"{target}.immunophenotype", lineage.pop(), obs)
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
    elif "hsct-eligible" in own or "down-syndrome" in own:
        path = "hsct_eligible" if "hsct-eligible" in own else "constitutional.down_syndrome"
        if isinstance(obs.get("valueBoolean"), bool):
            out.set(path, obs["valueBoolean"], obs)
        else:
            out.warn(obs, "value[x]", "read from valueBoolean (true or false)")
    elif "germline-predisposition" in own:
        _germline(obs, value, out)
    elif "donor" in own:
        donor = [c for s, c in value if s == C.RRALL]
        out.set("donor.type", donor[0] if donor else None, obs)
        for comp in obs.get("component") or []:
            if (C.RRALL, "hla-match") in codes(comp.get("code")):
                out.set("donor.hla_match", comp.get("valueString"), obs)
    elif kind & {(C.KARNOFSKY[0], C.KARNOFSKY[1]), (C.LANSKY[0], C.LANSKY[1]), (C.ECOG[0], C.ECOG[1])}:
        scale = ("karnofsky" if (C.KARNOFSKY[0], C.KARNOFSKY[1]) in kind
                 else "ecog" if (C.ECOG[0], C.ECOG[1]) in kind else "lansky")
        out.set("performance.scale", scale, obs)
        out.set("performance.score", obs.get("valueInteger"), obs)
        if when(obs):
            out.set("performance.date", when(obs), obs)
    elif (C.VARIANT[0], C.VARIANT[1]) in kind:
        _variant(obs, REFRACTORY if refractory else target, value, out)
    elif (kind & C.BCR_ABL1_IN and at_relapse is None) or (_relapse_fact(kind, own) and at_disease is None):
        out.warn(obs, "focus", relapse_only(targets))
    elif "marrow-blasts" in own and at_disease:
        out.set(f"{at_disease}.marrow_blasts_percent", (obs.get("valueQuantity") or {}).get("value"), obs)
        _refractory_date(obs, at_disease, out)
    elif "cd7-blasts" in own and at_disease:
        out.set(f"{at_disease}.cd7_blasts_percent", (obs.get("valueQuantity") or {}).get("value"), obs)
        _refractory_date(obs, at_disease, out)
    elif (kind & {(C.CD19[0], C.CD19[1])} or own & {"cd22", "cd7"}) and at_disease:
        marker = "cd22" if "cd22" in own else "cd7" if "cd7" in own else "cd19"
        words = [c for s, c in value if s == C.RRALL and c in ("positive", "dim", "negative", "unknown")]
        _refractory_date(obs, at_disease, out)
        if words:
            out.set(f"{at_disease}.{marker}", words[0], obs)
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
    else:
        out.warn(obs, "code", "an observation rrall does not map; not used")


def _refractory_date(obs: dict[str, Any], target: str, out: Draft) -> None:
    """The date of the disease after induction: its markers' latest date (tests of one
    assessment may be dated a few days apart, so differing dates are no conflict)."""
    day, path = when(obs), f"{REFRACTORY}.date"
    if target == REFRACTORY and day and day > out.values.get(path, ("", obs))[0]:
        out.values[path] = (day, obs)


def _relapse_fact(kind: set[tuple[str, str]], own: set[str]) -> bool:
    markers = {(C.CD19[0], C.CD19[1]), *C.BCR_ABL1_IN}
    return bool(own & {"marrow-blasts", "cd22", "cd7", "cd7-blasts"} or kind & markers)


def keep_serial(found: Resources, out: Draft) -> None:
    """Keep one of each serial measurement: the WBC count at diagnosis (the earliest), the
    latest performance score; say which others were not used."""
    observations = found.by_type.get("Observation", [])
    for code, keep_last, what in ((C.WBC, False, "the case keeps the count at diagnosis (the earliest)"),
                                  (C.KARNOFSKY, True, "the case keeps the latest score"),
                                  (C.LANSKY, True, "the case keeps the latest score"),
                                  (C.ECOG, True, "the case keeps the latest score")):
        series = [o for o in observations if (code[0], code[1]) in codes(o.get("code"))]
        if len(series) < 2:
            continue
        series.sort(key=lambda o: when(o) or "")
        kept = series[-1] if keep_last else series[0]
        for o in series:
            if o is not kept:
                out.warn(o, "code", f"another measurement of the same kind: {what}")
        dropped = {id(o) for o in series if o is not kept}
        found.by_type["Observation"] = [o for o in found.by_type["Observation"] if id(o) not in dropped]
        observations = found.by_type["Observation"]


def _wbc(obs: dict[str, Any], out: Draft) -> None:
    q = obs.get("valueQuantity") or {}
    factor = WBC_UNITS.get(q.get("code") or q.get("unit") or "")
    if factor is None or q.get("value") is None:
        out.warn(obs, "valueQuantity", f"WBC unit {q.get('code') or q.get('unit')!r} is not one of "
                                       f"{', '.join(WBC_UNITS)}; not used")
        return
    number = q["value"] * factor
    out.set("diagnosis.wbc_per_uL", int(number) if float(number).is_integer() else number, obs)


def _lesion(obs: dict[str, Any], target: str, value: set[tuple[str, str]], out: Draft) -> None:
    _finding(obs, f"{target}.genetics", value, LESIONS, "a lesion", "not a genetic lesion of the case format",
             out)


def _germline(obs: dict[str, Any], value: set[tuple[str, str]], out: Draft) -> None:
    _finding(obs, "constitutional.germline_predisposition", value, GERMLINE, "a predisposition",
             f"not a germline predisposition of the case format ({', '.join(sorted(GERMLINE))})", out)


def _finding(obs: dict[str, Any], path: str, value: set[tuple[str, str]], allowed: set[str], noun: str,
             unknown: str, out: Draft) -> None:
    """One finding of a list (a lesion, a germline predisposition), or rrall's "none-found"
    for "tested, none found"; both for one list is an error naming the two resources. The
    list keeps the record's order."""
    previous = out.values.get(path)
    current = previous[0] if previous else []
    found = [c for s, c in value if s == C.RRALL and c in allowed]
    none_found = (C.RRALL, "none-found") in value
    if (none_found and current) or (found and previous is not None and previous[0] == [] and
                                    previous[1] is not obs and previous[1].get("_none")):
        first = label(previous[1]) if previous else label(obs)
        why = f"{first} and {label(obs)} disagree: tested with none found, and {noun} found"
        out.errors.append(FieldError(path, why, "one finding; correct or remove one of them"))
    elif none_found:
        out.values.setdefault(path, ([], {**obs, "_none": True}))
    elif found:
        out.values[path] = ([*current, *(x for x in found if x not in current)], obs)
    else:
        out.warn(obs, "valueCodeableConcept", unknown)


def _variant(obs: dict[str, Any], target: str | None, value: set[tuple[str, str]], out: Draft) -> None:
    """A genetic variant (LOINC 69548-6, mCODE / Genomics Reporting): an ABL1 kinase-domain
    mutation at a relapse or after a failed induction, or a fusion that is a lesion of the
    case format (ETV6::RUNX1, ...) at the diagnosis or a relapse."""
    genes = _genes(obs)
    if target == REFRACTORY:  # on the diagnosis of a case without a relapse
        if genes == {"ABL1"}:
            _kinase_mutation(obs, REFRACTORY, value, out)
            _refractory_date(obs, REFRACTORY, out)
            return
        target = "diagnosis"
    if genes == {"ABL1"}:
        if target is None or target == "diagnosis":
            why = EITHER if target is None else ("ABL1 kinase-domain mutations are read at a relapse; this "
                                                  "one is on the diagnosis: not used")
            out.warn(obs, "focus", why)
        else:
            _kinase_mutation(obs, target, value, out)
        return
    lesion = _lesion_of(genes, obs)
    if lesion is None:
        named = ", ".join(sorted(genes)) or "no gene named"
        out.warn(obs, "component", f"a variant ({named}) that is not an ABL1 kinase-domain mutation or a "
                                   "lesion of the case format; not used")
    elif target is None:
        out.warn(obs, "focus", EITHER)
    elif (C.PRESENT[0], C.PRESENT[1]) not in value:
        out.warn(obs, "valueCodeableConcept", f"{lesion} is read when reported present (LOINC LA9633-4); not "
                                              "used")
    else:
        _lesion(obs, target, {(C.RRALL, lesion)}, out)
        out.warn(obs, "code", f"read as {lesion} in {target}.genetics; the case format takes that list as "
                              "every lesion tested, so a lesion the record does not report counts as absent: "
                              "check the record holds each lesion found")


def _genes(obs: dict[str, Any]) -> set[str]:
    """The gene symbols of the variant's gene-studied components (HGNC display or code)."""
    genes: set[str] = set()
    for comp in obs.get("component") or []:
        if (C.GENE_STUDIED[0], C.GENE_STUDIED[1]) not in codes(comp.get("code")):
            continue
        concept = comp.get("valueCodeableConcept") or {}
        for coding in concept.get("coding") or []:
            symbol = C.HGNC_SYMBOLS.get(coding.get("code", "")) or str(coding.get("display") or "").upper()
            if symbol:
                genes.add(symbol)
        if concept.get("text") and not concept.get("coding"):
            genes.add(str(concept["text"]).upper())
    return genes


def _lesion_of(genes: set[str], obs: dict[str, Any]) -> str | None:
    """The lesion a variant of these genes is: a named fusion pair, or a rearrangement of a
    gene the case format names (KMT2A, DUX4, ZNF384, MEF2D) reported as a fusion."""
    if len(genes) != 2:
        return None
    named = C.FUSIONS.get(frozenset(genes))
    if named:
        return named
    kinds = {code for comp in obs.get("component") or []
             for _, code in codes(comp.get("valueCodeableConcept"))}
    rearranged = genes & C.REARRANGED
    return rearranged.pop() if len(rearranged) == 1 and kinds & C.FUSION_KINDS else None


def _kinase_mutation(obs: dict[str, Any], target: str, value: set[tuple[str, str]], out: Draft) -> None:
    changes = None
    for comp in obs.get("component") or []:
        if (C.AA_CHANGE[0], C.AA_CHANGE[1]) in codes(comp.get("code")):
            changes = [c for _, c in codes(comp.get("valueCodeableConcept"))]
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


def _mrd(obs: dict[str, Any], focused: str | None, dated: str | None, relapses: int, out: Draft) -> None:
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
    if when(obs):
        entry["date"] = when(obs)
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


