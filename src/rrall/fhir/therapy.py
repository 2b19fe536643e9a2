"""Prior therapy: HSCT and radiotherapy Procedures, and courses of agents and
anthracycline doses from MedicationStatement, MedicationAdministration and completed
MedicationRequest."""

from __future__ import annotations

from typing import Any

from rrall.fhir import codes as C
from rrall.fhir.mapped import Draft, codes, when
from rrall.fhir.read import Resources
from rrall.vocabulary import Anthracycline, PriorAgent, values

AGENTS = set(values(PriorAgent))
ANTHRACYCLINES = set(values(Anthracycline))
BY_RXNORM = {code: agent for agent, code in (C.RXNORM_AGENTS | C.RXNORM_ANTHRACYCLINES).items()}
SYSTEM_NAMES = {C.RXNORM: "RxNorm", C.RRALL: "rrall", C.SNOMED: "SNOMED CT"}
MG_PER_M2_UNITS = {C.MG_PER_M2, "mg/m²", "mg/m^2"}
MASS_UNITS = {"mg", "g", "ug", "mcg", "µg"}


def read_procedure(proc: dict[str, Any], out: Draft) -> None:
    kind = codes(proc.get("code"))
    if (C.HSCT[0], C.HSCT[1]) in kind:
        entry: dict[str, Any] = {"date": when(proc)}
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
        if proc.get("status") == "not-done" and len(sites) == 1:  # none given to that site
            out.set(f"prior_therapy.{sites.pop()}_radiation_gy", 0, proc)
            return
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
    """The agent rrall tracks that a medication resource names (or None), and the words a
    person knows the medication by (its text, else a coding's display, else its code)."""
    concept = resource.get("medicationCodeableConcept")
    if concept is None:
        medication = found.resolve(resource.get("medicationReference"), resource)
        concept = (medication or {}).get("code")
    shown = medication_label(concept)
    for system, code in codes(concept):
        if system == C.RXNORM and code in BY_RXNORM:
            return BY_RXNORM[code], shown
        if system == C.RRALL and code in AGENTS | ANTHRACYCLINES:
            return code, shown
    concept = concept if isinstance(concept, dict) else {}
    names = [concept.get("text", "")] + [c.get("display", "") for c in concept.get("coding", [])]
    for name in names:
        word = str(name).strip().lower().replace(" ", "_")
        if word in AGENTS | ANTHRACYCLINES:
            return word, shown
    for coding in concept.get("coding", []):
        if coding.get("system") == C.RXNORM and coding.get("display"):
            agent = _rxnorm_ingredient(str(coding["display"]))
            if agent:
                return agent, shown
    return None, shown


def medication_label(concept: Any) -> str:
    """A medication as a person reads it: `text`, else the first coding's display, else its
    system and code (`RxNorm 475342`)."""
    if not isinstance(concept, dict):
        return "(no medication given)"
    if concept.get("text"):
        return str(concept["text"])
    coding = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    for c in coding:
        if c.get("display"):
            return str(c["display"])
    for c in coding:
        if c.get("code"):
            return f"{SYSTEM_NAMES.get(c.get('system', ''), c.get('system') or 'code')} {c['code']}"
    return "(no medication given)"


def _rxnorm_ingredient(display: str) -> str | None:
    """The agent an RxNorm clinical drug's name starts with: RxNorm names a clinical drug
    ingredient first ("doxorubicin hydrochloride 20 MG per 10 ML Injection"). Combination
    ("A / B") and liposomal products are not read as the plain agent."""
    text = display.strip().lower()
    if " / " in text or "liposom" in text:
        return None
    for agent in sorted(AGENTS | ANTHRACYCLINES, key=len, reverse=True):
        name = agent.replace("_", " ")
        if text == name or text.startswith(name + " "):
            return agent
    return None


def read_medications(found: Resources, out: Draft) -> None:
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
                out.warn(item, "medication[x]", f"{shown!r} is not an agent rrall tracks (by RxNorm "
                                                "ingredient code, rrall code or name); not used")
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
    if when(item):
        course["start_date"] = when(item)
    for ext in item.get("extension") or []:
        if ext.get("url") == C.AGENT_RESPONSE:
            course["response"] = ext.get("valueCode")
    return course


def _anthracycline(item: dict[str, Any], agent: str, totals: dict[str, tuple[float, dict[str, Any]]],
                   out: Draft) -> None:
    """An anthracycline's cumulative dose in mg/m2: from the cumulative-dose extension, else
    the dose of one administration, summed. Each dose not counted says why."""
    dose = _extension(item, C.CUMULATIVE_DOSE)
    if dose is None and item.get("resourceType") != "MedicationAdministration":
        out.warn(item, "dosage", f"{agent}: a {item.get('resourceType')} gives the dose of each "
                                 "administration, not the cumulative dose; give the cumulative dose "
                                 f"(extension {C.CUMULATIVE_DOSE}, in mg/m2) or each administration; not "
                                 "counted")
        return
    if dose is None:  # one administration: its dose
        dose = (item.get("dosage") or {}).get("dose") if isinstance(item.get("dosage"), dict) else None
    why = _not_mg_per_m2(dose)
    if why:
        out.warn(item, "dosage", f"{agent}: {why}; not counted")
        return
    total, first = totals.get(agent, (0.0, item))
    totals[agent] = (total + float(dose["value"]), first)


def _not_mg_per_m2(dose: Any) -> str | None:
    """Why a dose cannot be counted in mg/m2, or None when it can."""
    if not isinstance(dose, dict) or dose.get("value") is None:
        return "no dose is given"
    unit = dose.get("code") or dose.get("unit")
    if unit in MG_PER_M2_UNITS or dose.get("unit") in MG_PER_M2_UNITS:
        return None
    if unit in MASS_UNITS:
        return f"the dose is in {unit}, which cannot be converted to mg/m2 without the body surface area"
    return f"the dose's unit {unit!r} is not mg/m2"


def _extension(resource: dict[str, Any], url: str) -> Any:
    found = [e.get("valueQuantity") for e in resource.get("extension") or [] if e.get("url") == url]
    return found[0] if found else None


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


