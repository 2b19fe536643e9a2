"""CDS Hooks 2.0: discovery, and two services: `patient-view` (the assessment as cards)
and `order-select` (a drafted order of an agent the assessment rules out)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlparse

import orjson
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rrall.case.load import parse_case
from rrall.errors import CaseInputError
from rrall.fhir.cards import assessment_cards, missing_cards, order_cards, source
from rrall.fhir.client import FetchError, fetch
from rrall.fhir.importer import agent_of, import_case
from rrall.fhir.read import read_resources
from rrall.web.errors import ApiError
from rrall.web.workbench import Workbench, result_of

router = APIRouter(prefix="/cds-services", tags=["CDS Hooks"])
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "testserver")
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "procedures": "Procedure?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
    "medicationAdministrations": "MedicationAdministration?patient={{context.patientId}}",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
}
SERVICES = {
    "rrall-relapsed-all": {
        "hook": "patient-view", "id": "rrall-relapsed-all", "prefetch": PREFETCH,
        "title": "rrall: relapsed and refractory childhood ALL",
        "description": "Classifies the relapse, places it in the BFM, IntReALL, COG and UK first-relapse "
                       "frameworks, and lists the treatment options and the missing data that would change "
                       "them. Decision support for clinicians; it does not prescribe.",
        "usageRequirements": "A relapse (Condition or mCODE disease status) and the ALL diagnosis "
                             "Condition."},
    "rrall-order-check": {
        "hook": "order-select", "id": "rrall-order-check", "prefetch": PREFETCH,
        "title": "rrall: immunotherapy and TKI orders in relapsed ALL",
        "description": "Warns when a drafted immunotherapy or tyrosine-kinase-inhibitor order is ruled out "
                       "for this relapse (critical when a kinase-domain mutation rules it out)."},
}


class FhirAuthorization(BaseModel):
    model_config = ConfigDict(extra="allow")
    access_token: str
    token_type: str = "Bearer"
    scope: str = ""
    subject: str = ""


class HookRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    hook: str
    hookInstance: str
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = Field(default=None)


@router.get("", summary="CDS Hooks discovery")
def discovery() -> dict[str, Any]:
    return {"services": list(SERVICES.values())}


@router.post("/{service_id}", summary="Call a CDS service (CDS Hooks 2.0 request; signed JWT required)")
async def call(request: Request, service_id: str,
               authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    service = SERVICES.get(service_id)
    if service is None:
        raise ApiError(404, f"no CDS service {service_id!r}; see GET /cds-services")
    settings = request.app.state.settings
    if settings.public_url:
        audience = settings.public_url.rstrip("/") + request.url.path
    elif request.url.hostname in LOCAL_HOSTS:
        audience = str(request.url.replace(query=""))  # trying it out on this machine
    else:
        raise ApiError(503, "set RRALL_PUBLIC_URL to the address the EHR calls: the JWT audience is checked "
                            "against it, never against the request's Host header")
    claims = request.app.state.cds_clients.verify(authorization, audience)
    try:
        hook = HookRequest.model_validate(orjson.loads(await request.body()))
    except (orjson.JSONDecodeError, ValidationError) as exc:
        raise ApiError(400, f"not a CDS Hooks request: {str(exc).splitlines()[0]}") from None
    if hook.hook != service["hook"]:
        raise ApiError(400, f"service {service_id} answers the {service['hook']} hook, not {hook.hook}")
    patient = hook.context.get("patientId")
    if not isinstance(patient, str) or not patient:
        raise ApiError(400, "context.patientId is required")
    if hook.fhirServer:
        request.app.state.cds_clients.check_server(claims["iss"], hook.fhirServer)
    entries = _record(hook, patient)
    wb: Workbench = request.app.state.workbench
    src = source(wb.kb.version, settings.public_url)
    imported = import_case({"resourceType": "Bundle", "type": "collection", "entry": entries})
    if imported.document.get("id"):  # one case per EHR and patient: ids of two EHRs may clash
        ehr = urlparse(str(claims["iss"])).netloc or str(claims["iss"])
        imported.document["id"] = f"{ehr}:{imported.document['id']}"
    errors = list(imported.errors)
    if not errors:
        try:
            parse_case(imported.document, wb.kb)
        except CaseInputError as exc:
            errors = exc.errors
    if errors:
        return {"cards": missing_cards(errors, imported.warnings, src)}
    record, assessment = _stored(wb, imported.document, hook)
    result = result_of(assessment)
    link = f"{settings.public_url.rstrip('/')}/cases/{record}" if settings.public_url else None
    if service["hook"] == "order-select":
        ordered = _ordered(hook)
        resistance = {t.id: set(t.requires.kinase_mutations_none or []) for t in wb.kb.therapies.values()}
        return {"cards": order_cards(result, ordered, resistance, src, link)}
    return {"cards": assessment_cards(result, src, link)}


def _record(hook: HookRequest, patient: str) -> list[dict[str, Any]]:
    """Bundle entries (resource and fullUrl, so references resolve): the prefetched ones,
    and what the client did not prefetch, read from its FHIR server."""
    given = hook.prefetch or {}
    resources: list[dict[str, Any]] = []
    for key in PREFETCH:
        value = given.get(key)
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            resources.extend({"fullUrl": e.get("fullUrl"), "resource": e["resource"]}
                             for e in value.get("entry") or [] if isinstance(e, dict) and "resource" in e)
        elif isinstance(value, dict):
            resources.append({"resource": value})
    missing = {k: t for k, t in PREFETCH.items() if given.get(k) is None}
    if missing:
        if not hook.fhirServer:
            if not resources:
                raise ApiError(412, "no prefetch and no fhirServer: rrall cannot read the record")
            return resources
        token = hook.fhirAuthorization.access_token if hook.fhirAuthorization else None
        try:
            resources.extend(fetch(hook.fhirServer, token, patient, missing))
        except FetchError as exc:
            raise ApiError(412, str(exc)) from None
    return resources


def _stored(wb: Workbench, document: dict[str, Any], hook: HookRequest) -> tuple[int, Any]:
    """The case in the workbench: a new version only when the record changed."""
    actor = f"cds-hooks:{hook.hook}"
    existing = wb.repo.case_by_case_id(document["id"])
    if existing is None:
        record, assessment = wb.create(document, actor)
        return record.id, assessment
    if wb.repo.version(existing.id).document != document:
        record, assessment = wb.update(existing.id, document, actor)
        return record.id, assessment
    latest = next(iter(wb.repo.assessments(existing.id)), None)
    if latest is None or latest.knowledge_version != wb.kb.version:
        return existing.id, wb.reassess(existing.id, actor)
    return existing.id, latest


def _ordered(hook: HookRequest) -> list[tuple[str, str]]:
    draft = hook.context.get("draftOrders")
    selected = set(hook.context.get("selections") or [])
    empty = {"resourceType": "Bundle", "type": "collection"}
    found = read_resources(draft if isinstance(draft, dict) else empty)
    out = []
    for order in found.by_type.get("MedicationRequest", []):
        if selected and f"MedicationRequest/{order.get('id')}" not in selected:
            continue
        agent, shown = agent_of(order, found)
        if agent:
            out.append((agent, shown))
    return out



