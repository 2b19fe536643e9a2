"""An assessment as FHIR R4: one RiskAssessment per framework, a RequestGroup of the
options with their statuses and citations (each action pointing to a proposed
ServiceRequest), the case's own resources as their basis, and a Provenance naming rrall
with its engine and knowledge versions. Works from the stored
JSON, so the API can render any stored assessment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rrall.case.model import Case
from rrall.fhir.build import caution_line, concept, rid
from rrall.fhir.codes import FRAMEWORK, OPTION_STATUS, RISK_GROUP, THERAPY
from rrall.fhir.codesystems import group_display, status_display
from rrall.fhir.export import case_bundle
from rrall.knowledge.glossary import Glossary
from rrall.report.words import label_words, upper_first

__all__ = ["FRAMEWORK", "OPTION_STATUS", "RISK_GROUP", "THERAPY", "assessment_bundle", "validate"]
STATUS_TO_PRIORITY = {"standard": "routine", "consider": "routine"}
RULED_OUT = ("not_eligible", "not_recommended")
# RiskAssessment.status: `preliminary` only while a missing fact decides the group; a
# framework that does not apply to the case is a finished assessment (`final`), its note says so.
RISK_STATUS = {"assigned": "final", "not_applicable": "final", "insufficient_data": "preliminary"}


def assessment_bundle(result: dict[str, Any], case: Case, words: Glossary,
                      now: datetime | None = None) -> dict[str, Any]:
    """`words`: the knowledge base's glossary, so that notes read as clinical words."""
    moment = (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    source = case_bundle(case)
    entries = list(source["entry"])
    by_kind = _index(entries)
    patient = by_kind["Patient"][0]
    scope = f"{case.id}/assessment/{result['input_sha256']}/{result['knowledge_version']}"
    made: list[str] = []
    for key, fw in result["risk"].items():
        ident = rid(scope, f"risk-{key}")
        made.append(ident)
        entries.append(_entry(ident, _risk(ident, key, fw, result, patient, by_kind, words)))
    group = rid(scope, "options")
    proposals = {o["id"]: rid(scope, f"option-{o['id']}") for o in result["options"]}
    # An option a missing fact could change is not ruled out yet (no doNotPerform).
    pending = {a.removeprefix("option:") for m in result["missing_data"] for a in m["affects"]}
    for option in result["options"]:
        ident = proposals[option["id"]]
        made.append(ident)
        entries.append(_entry(ident, _proposal(ident, option, result, patient, option["id"] in pending)))
    made.append(group)
    entries.append(_entry(group, _options(group, result, patient, proposals, words)))
    device = rid(scope, "device")
    entries.append(_entry(device, {
        "resourceType": "Device", "id": device,
        "deviceName": [{"name": "rrall", "type": "user-friendly-name"}],
        "version": [{"type": {"text": "engine"}, "value": result["engine_version"]},
                    {"type": {"text": "knowledge base"}, "value": result["knowledge_version"]}],
        "note": [{"text": result["notice"]}]}))
    provenance = rid(scope, "provenance")
    entries.append(_entry(provenance, {
        "resourceType": "Provenance", "id": provenance, "recorded": moment,
        "target": [{"reference": f"urn:uuid:{m}"} for m in made],
        "agent": [{"type": concept(("http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                    "assembler", "Assembler")),
                   "who": {"reference": f"urn:uuid:{device}",
                           "display": f"rrall {result['engine_version']}"}}],
        "entity": [{"role": "source", "what": {"identifier": {"system": "urn:rrall:input-sha256",
                                                              "value": result["input_sha256"]},
                                               "display": f"case {result['case_id']} as assessed"}}],
        "policy": [f"urn:rrall:knowledge:{result['knowledge_version']}"]}))
    bundle = {"resourceType": "Bundle", "type": "collection", "timestamp": moment, "entry": entries}
    cleaned: dict[str, Any] = _clean(bundle)
    return cleaned


def _clean(value: Any) -> Any:
    """FHIR JSON has no nulls and no empty arrays."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _entry(ident: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{ident}", "resource": resource}


def _index(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        out.setdefault(e["resource"]["resourceType"], []).append(e["resource"])
    return out


def _risk(ident: str, key: str, fw: dict[str, Any], result: dict[str, Any], patient: dict[str, Any],
          by_kind: dict[str, list[dict[str, Any]]], words: Glossary) -> dict[str, Any]:
    settled = fw["status"] == "assigned"
    outcome = (concept((RISK_GROUP, f"{key}-{fw['group']}", group_display(fw["name"], fw["group"])),
                       text=fw["group"]) if settled else {"text": fw["status"].replace("_", " ")})
    notes = []
    if fw["status"] == "not_applicable":
        notes.append(f"{fw['name']} does not apply to this case (see the rationale); no group is given.")
    else:
        hsct = words.value("hsct_in_cr2", fw["hsct_in_cr2"]) if fw["hsct_in_cr2"] else "not yet known"
        notes.append(f"Transplant in second remission: {hsct}")
    notes += [f"Not recorded, {words.field(m['field'])}: {m['decides']}" for m in fw["missing"]]
    # A test still to do that could change this framework's settled answer (a lumbar puncture).
    notes += [f"Could change with {m.get('test') or words.field(m['field'])}: {'; '.join(m['decides'])}"
              for m in result["missing_data"] if key in m["affects"] and not any(
                  m["field"] == own["field"] for own in fw["missing"])]
    notes += [caution_line(k) for k in fw["cautions"]]
    basis = [{"reference": f"urn:uuid:{r['id']}"} for r in by_kind.get("Condition", [])]
    basis += [{"reference": f"urn:uuid:{r['id']}"} for r in by_kind.get("Observation", [])]
    return {
        "resourceType": "RiskAssessment", "id": ident, "status": RISK_STATUS[fw["status"]],
        "subject": {"reference": f"urn:uuid:{patient['id']}"},
        "occurrenceDateTime": result["assessment_date"],
        "method": concept((FRAMEWORK, key, fw["name"]), text=fw["scheme"]),
        "basis": basis or None,
        "prediction": [{"outcome": outcome, "rationale": " ".join(fw["reasons"]) or None}],
        "note": [{"text": n} for n in notes],
    }


def _proposal(ident: str, option: dict[str, Any], result: dict[str, Any], patient: dict[str, Any],
              pending: bool = False) -> dict[str, Any]:
    """The request each RequestGroup action points to (R4 invariant rqg-1: an action has a
    resource or nested actions). A ServiceRequest fits every kind of option (a drug, a
    transplant, radiation, a trial); intent `proposal`, status `draft`: rrall prescribes
    nothing. An option the case rules out is proposed with `doNotPerform`, unless a missing
    fact could still change its status (`pending`)."""
    return {"resourceType": "ServiceRequest", "id": ident, "status": "draft", "intent": "proposal",
            "doNotPerform": True if option["status"] in RULED_OUT and not pending else None,
            "code": concept((THERAPY, option["id"], option["name"]), text=option["name"]),
            "subject": {"reference": f"urn:uuid:{patient['id']}"}, "authoredOn": result["assessment_date"]}


def _options(ident: str, result: dict[str, Any], patient: dict[str, Any], proposals: dict[str, str],
             words: Glossary) -> dict[str, Any]:
    references = result["references"]
    actions = []
    for option in result["options"]:
        action: dict[str, Any] = {
            "title": option["name"],
            "description": " ".join(option["reasons"]) or option["status"],
            "code": [concept((THERAPY, option["id"], option["name"])),
                     concept((OPTION_STATUS, option["status"], status_display(option["status"])))],
            # Its cautions as the report gives them ("Unverified:" kept), its label status in
            # each region ("outside the EU label (European Union, EMA, 2022-02-16)"), then its
            # sources.
            "documentation": [*({"type": "documentation", "display": caution_line(k)}
                                for k in option["cautions"]),
                              *({"type": "documentation", "display": upper_first(label_words(x, words))}
                                for x in option.get("labels") or []),
                              *(_citation(c, references.get(c)) for c in option["citations"])] or None,
            "resource": {"reference": f"urn:uuid:{proposals[option['id']]}"},
        }
        if option["status"] in STATUS_TO_PRIORITY:
            action["priority"] = STATUS_TO_PRIORITY[option["status"]]
        actions.append({k: v for k, v in action.items() if v is not None})
    return {"resourceType": "RequestGroup", "id": ident, "status": "draft", "intent": "proposal",
            "subject": {"reference": f"urn:uuid:{patient['id']}"}, "authoredOn": result["assessment_date"],
            "note": [{"text": result["notice"]}], "action": actions}


def _citation(key: str, source: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "citation", "label": key}
    if source:
        out["citation"] = source["citation"]
        if source.get("pmid"):
            out["url"] = f"https://pubmed.ncbi.nlm.nih.gov/{source['pmid']}/"
        elif source.get("doi"):
            out["url"] = f"https://doi.org/{source['doi']}"
        elif source.get("url"):
            out["url"] = source["url"]
    return out


def validate(bundle: dict[str, Any]) -> None:
    """Raise pydantic's ValidationError if any resource is not valid FHIR R4 (R4B models)."""
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)

