"""CDS Hooks 2.0: discovery, and two services: `patient-view` (the assessment as cards)
and `order-select` (a drafted order of an agent the assessment rules out)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlparse
from uuid import UUID

import orjson
from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rrall.case.load import parse_case
from rrall.engine import engine_for
from rrall.errors import ApiError, CaseInputError, FetchError
from rrall.fhir.cards import (
    assessment_cards,
    missing_cards,
    order_cards,
    resource_words,
    source,
    unread_order_card,
)
from rrall.fhir.client import fetch
from rrall.fhir.importer import agent_of, import_case
from rrall.fhir.read import label, read_resources
from rrall.report.summary import lead_source
from rrall.web.security import from_loopback
from rrall.web.workbench import Workbench, result_of

router = APIRouter(prefix="/cds-services", tags=["CDS Hooks"])
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
        "hook": "patient-view",
        "id": "rrall-relapsed-all",
        "prefetch": PREFETCH,
        "title": "rrall: relapsed and refractory childhood ALL",
        "description": "Classifies the relapse, places it in the BFM, IntReALL, COG and UK first-relapse "
        "frameworks, and lists the treatment options and the missing data that would change "
        "them. Decision support for clinicians; it does not prescribe.",
        "usageRequirements": "A relapse (Condition or mCODE disease status) and the ALL diagnosis Condition.",
    },
    "rrall-order-check": {
        "hook": "order-select",
        "id": "rrall-order-check",
        "prefetch": PREFETCH,
        "title": "rrall: immunotherapy and TKI orders in relapsed ALL",
        "description": "Warns when a drafted immunotherapy or tyrosine-kinase-inhibitor order is ruled out "
        "for this relapse (critical when a kinase-domain mutation rules it out).",
    },
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


def _service(service_id: str) -> dict[str, Any]:
    service = SERVICES.get(service_id)
    if service is None:
        raise ApiError(404, f"no CDS service {service_id!r}; see GET /cds-services")
    return service


def _claims(request: Request, authorization: str | None) -> dict[str, Any]:
    """The verified JWT; its audience is the URL called (the service, or its feedback)."""
    settings = request.app.state.settings
    if settings.public_url:
        audience = settings.public_url.rstrip("/") + request.url.path
    elif from_loopback(request):
        audience = str(request.url.replace(query=""))  # trying it out on this machine
    else:
        raise ApiError(
            503,
            "set RRALL_PUBLIC_URL to the address the EHR calls: the JWT audience is checked "
            "against it, never against the request's Host header",
        )
    claims: dict[str, Any] = request.app.state.cds_clients.verify(authorization, audience)
    return claims


@router.post("/{service_id}", summary="Call a CDS service (CDS Hooks 2.0 request; signed JWT required)")
async def call(
    request: Request, service_id: str, authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    service = _service(service_id)
    settings = request.app.state.settings
    claims = _claims(request, authorization)
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
        named = {label(r): resource_words(r) for e in entries if isinstance(r := e.get("resource"), dict)}
        return {"cards": missing_cards(errors, imported.warnings, src, wb.kb.glossary, named)}
    record, assessment = _stored(wb, imported.document, hook)
    result = result_of(assessment)
    link = f"{settings.public_url.rstrip('/')}/cases/{record}" if settings.public_url else None
    if service["hook"] == "order-select":
        ordered, unread = _ordered(hook)
        resistance = engine_for(wb.kb).ruled_out_by("kinase_mutations")
        cards = order_cards(result, ordered, resistance, src, link)
        if unread:
            cards.append(unread_order_card(unread, src))
    else:
        names = {fw.id: fw.short_name for fw in wb.kb.frameworks.values()}
        sources = {o["id"]: lead_source(result, wb.kb, o) for o in result["options"]}
        cards = assessment_cards(result, src, link, names, wb.kb.glossary, sources)
    # Which cards were shown for which case, so that feedback on a card can be traced to it.
    wb.repo.record(
        f"cds-hooks:{hook.hook}",
        "cds.cards",
        "case",
        record,
        service=service_id,
        cards=[c["uuid"] for c in cards],
    )
    return {"cards": cards}


def _record(hook: HookRequest, patient: str) -> list[dict[str, Any]]:
    """Bundle entries (resource and fullUrl, so references resolve): the prefetched ones,
    and what the client did not prefetch, read from its FHIR server. A prefetch key the
    EHR answered with an OperationOutcome (its query failed, CDS Hooks 2.0) is read from
    the FHIR server too, never taken as "no data"; without a server that is a 412."""
    given = hook.prefetch or {}
    resources: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    for key in PREFETCH:
        value = given.get(key)
        problem = _failure(value)
        if problem is not None:
            failed[key] = problem
        elif isinstance(value, dict) and value.get("resourceType") == "Bundle":
            resources.extend(
                {"fullUrl": e.get("fullUrl"), "resource": e["resource"]}
                for e in value.get("entry") or []
                if isinstance(e, dict) and "resource" in e
            )
        elif isinstance(value, dict):
            resources.append({"resource": value})
    missing = {k: t for k, t in PREFETCH.items() if given.get(k) is None or k in failed}
    if missing and not hook.fhirServer:
        if failed:
            named = "; ".join(f"{k} ({why})" for k, why in failed.items())
            raise ApiError(
                412,
                f"the EHR could not prefetch {named}, and no fhirServer was given to read "
                "it from: rrall does not assess a record read in part",
            )
        if not resources:
            raise ApiError(412, "no prefetch and no fhirServer: rrall cannot read the record")
    elif missing:
        token = hook.fhirAuthorization.access_token if hook.fhirAuthorization else None
        try:
            resources.extend(fetch(hook.fhirServer or "", token, patient, missing))
        except FetchError as exc:
            raise ApiError(412, str(exc)) from None
    _same_patient(resources, patient)
    return resources


def _failure(value: Any) -> str | None:
    """Why a prefetch value says its query failed: an OperationOutcome in place of the
    result, or an error OperationOutcome inside a search Bundle; None when it did not."""
    if not isinstance(value, dict):
        return None
    whole = value.get("resourceType") == "OperationOutcome"  # in place of the result: always a failure
    outcomes = (
        [value]
        if whole
        else [
            e["resource"]
            for e in (value.get("entry") or [])
            if value.get("resourceType") == "Bundle"
            and isinstance(e, dict)
            and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == "OperationOutcome"
        ]
    )
    for outcome in outcomes:
        issues = [i for i in outcome.get("issue") or [] if isinstance(i, dict)]
        errors = [i for i in issues if i.get("severity") in ("error", "fatal")]
        if errors or whole:
            first = (errors or issues or [{}])[0]
            text = str(first.get("diagnostics") or first.get("code") or "no detail")
            return f"OperationOutcome: {text[:120]}"
    return None


def _same_patient(resources: list[dict[str, Any]], patient: str) -> None:
    """A Patient in the record other than context.patientId: a refusal, not another
    patient's record assessed in this chart."""
    for entry in resources:
        resource = entry.get("resource")
        if (
            isinstance(resource, dict)
            and resource.get("resourceType") == "Patient"
            and str(resource.get("id")) != patient
        ):
            raise ApiError(
                400,
                f"the record's Patient is Patient/{resource.get('id')}, but "
                f"context.patientId is {patient}: rrall does not assess another patient's "
                "record in this chart",
            )


class OverrideReason(BaseModel):
    model_config = ConfigDict(extra="allow")
    reason: dict[str, Any] | None = None
    userComment: str | None = None


class Suggestion(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: Annotated[str, Field(max_length=100)]


class CardFeedback(BaseModel):
    model_config = ConfigDict(extra="allow")
    card: UUID
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: Annotated[list[Suggestion], Field(max_length=50)] = []
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: datetime


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    feedback: Annotated[list[CardFeedback], Field(min_length=1, max_length=100)]


@router.post(
    "/{service_id}/feedback", summary="Feedback on a service's cards (CDS Hooks 2.0; signed JWT required)"
)
async def feedback(
    request: Request, service_id: str, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """Whether the clinician accepted or overrode each card, kept in the audit log by card
    id. Only the outcome, the accepted suggestions' ids and the override reason's code are
    kept: never the user's comment, which may quote the patient."""
    _service(service_id)
    claims = _claims(request, authorization)
    try:
        sent = FeedbackRequest.model_validate(orjson.loads(await request.body()))
    except (orjson.JSONDecodeError, ValidationError) as exc:
        raise ApiError(400, f"not CDS Hooks feedback: {str(exc).splitlines()[0]}") from None
    repo = request.app.state.workbench.repo
    for item in sent.feedback:
        reason = (item.overrideReason.reason or {}) if item.overrideReason else {}
        code = f"{reason.get('system', '')}|{reason.get('code', '')}"[:200] if reason.get("code") else None
        repo.record(
            f"cds-hooks:{service_id}"[:100],
            f"cds.feedback.{item.outcome}",
            "card",
            str(item.card),
            client=str(claims["iss"])[:200],
            service=service_id,
            at=item.outcomeTimestamp.isoformat(),
            accepted_suggestions=[s.id for s in item.acceptedSuggestions],
            override_reason=code,
        )
    return Response(status_code=200)


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


def _ordered(hook: HookRequest) -> tuple[list[tuple[str, str]], list[str]]:
    """The drafted orders' agents (and the words they are known by), and what could not be
    read in the draft: an order rrall cannot read is said to be unchecked, never passed."""
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
    return out, [f"{e.path}: {e.message}" for e in found.errors]
