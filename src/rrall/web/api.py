"""REST API under /api/v1. Every route that touches patient data needs a bearer token."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import AfterValidator, BaseModel, Field

from rrall.case.model import IsoDate
from rrall.errors import ApiError
from rrall.report.detail import summary_json
from rrall.store.repository import NewDecision, StaleVersionError
from rrall.store.tables import AssessmentRecord, CaseRecord, Decision, Meeting, User
from rrall.web.auth import api_user
from rrall.web.etags import base_version, etag, parse_if_match
from rrall.web.openapi import errors
from rrall.web.params import MAX_ID, Offset, Pk
from rrall.web.workbench import Workbench, result_of

router = APIRouter(prefix="/api/v1")
Viewer = Annotated[User, Depends(api_user("viewer"))]
Clinician = Annotated[User, Depends(api_user("clinician"))]
Admin = Annotated[User, Depends(api_user("admin"))]
CASE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Case"}}}}}


FHIR_BUNDLE = {"type": "object", "required": ["resourceType"], "description": "A FHIR R4 Bundle",
               "properties": {"resourceType": {"const": "Bundle"}}}


class FhirJson(Response):
    media_type = "application/fhir+json"


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("NUL characters are not allowed")
    return text


Text = Annotated[str, AfterValidator(_no_nul)]


class CaseSummary(BaseModel):
    id: int
    case_id: str
    latest_version: int
    created_at: datetime
    updated_at: datetime
    latest_assessment_id: int | None = None
    risk_groups: dict[str, str | None] = Field(default_factory=dict)


class CaseDetail(CaseSummary):
    document: dict[str, Any]


class CaseList(BaseModel):
    total: int
    items: list[CaseSummary]


class VersionOut(BaseModel):
    version: int
    created_at: datetime
    created_by: str
    document: dict[str, Any]


class AssessmentMeta(BaseModel):
    id: int
    case: int
    case_version: int
    input_sha256: str
    engine_version: str
    knowledge_version: str
    created_at: datetime
    created_by: str


class DecisionIn(BaseModel):
    assessment_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    decision_date: IsoDate
    attendees: list[Annotated[Text, Field(min_length=1, max_length=200)]] = Field(min_length=1)
    chosen_options: list[Text] = Field(default_factory=list)
    plan: Text = Field(min_length=1, max_length=20_000)
    rationale: Text = Field(default="", max_length=20_000)
    meeting_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


class DecisionOut(DecisionIn):
    id: int
    case: int
    created_at: datetime
    created_by: str


class MeetingIn(BaseModel):
    title: Text = Field(min_length=1, max_length=200)
    meeting_date: IsoDate  # pydantic alone reads 0 as 1970-01-01
    case_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list)


class MeetingOut(BaseModel):
    id: int
    title: str
    meeting_date: date
    cases: list[int]


def _wb(request: Request) -> Workbench:
    workbench: Workbench = request.app.state.workbench
    return workbench


async def _json(request: Request) -> Any:
    body = await request.body()
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}", "invalid_json") from None
    if b"\\u0000" in body:
        raise ApiError(422, "NUL characters (\\u0000) are not allowed in a case", "invalid_case")
    return parsed


def _document(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ApiError(422, "a case is a JSON object", "invalid_case")
    return raw


def summary(record: CaseRecord, latest: AssessmentRecord | None) -> dict[str, Any]:
    groups: dict[str, str | None] = {}
    if latest is not None:
        risk = result_of(latest)["risk"]
        groups = {name: block["group"] or block["status"] for name, block in risk.items()}
    return {"id": record.id, "case_id": record.case_id, "latest_version": record.latest_version,
            "created_at": record.created_at, "updated_at": record.updated_at,
            "latest_assessment_id": latest.id if latest else None, "risk_groups": groups}


def _meta(record: AssessmentRecord) -> AssessmentMeta:
    return AssessmentMeta(id=record.id, case=record.case_pk, case_version=record.case_version,
                          input_sha256=record.input_sha256, engine_version=record.engine_version,
                          knowledge_version=record.knowledge_version, created_at=record.created_at,
                          created_by=record.created_by)


def _decision(d: Decision) -> DecisionOut:
    return DecisionOut(id=d.id, case=d.case_pk, assessment_id=d.assessment_id, meeting_id=d.meeting_id,
                       decision_date=d.decision_date, attendees=d.attendees, chosen_options=d.chosen_options,
                       plan=d.plan, rationale=d.rationale, created_at=d.created_at, created_by=d.created_by)


@router.post("/assess", openapi_extra=CASE_BODY, tags=["assess"],
             summary="Assess a case without storing it (the same JSON as `rrall assess --format json`; "
             "`detail=summary` gives the summary shape of `--detail summary`)",
             responses=errors(400, 401, 403, 413, 422))
async def assess_case(request: Request, user: Viewer,
                      detail: Annotated[Literal["full", "summary"], Query()] = "full") -> Response:
    workbench = _wb(request)
    result = workbench.result(_document(await _json(request)))
    body = summary_json(result) if detail == "summary" else workbench.json(result)
    return Response(body, media_type="application/json")


@router.get("/cases", tags=["cases"], summary="List cases, newest first; `q` searches the case id",
            responses=errors(401, 403, 422))
def list_cases(request: Request, user: Viewer, q: str = "", limit: Annotated[int, Query(ge=1, le=500)] = 50,
               offset: Offset = 0) -> CaseList:
    repo = _wb(request).repo
    total, records = repo.cases(q.replace("\x00", ""), limit, offset)
    latest = repo.latest_assessments([r.id for r in records])
    items = [CaseSummary.model_validate(summary(r, latest.get(r.id))) for r in records]
    return CaseList(total=total, items=items)


@router.post("/cases", status_code=201, openapi_extra=CASE_BODY, tags=["cases"],
             summary="Store a new case (validated and assessed); answers with the case and its assessment id",
             responses=errors(400, 401, 403, 409, 413, 422))
async def create_case(request: Request, user: Clinician, response: Response) -> CaseSummary:
    record, assessment = _wb(request).create(_document(await _json(request)), user.username)
    response.headers["ETag"] = etag(record.latest_version)
    return CaseSummary.model_validate(summary(record, assessment))


@router.get("/cases/{pk}", tags=["cases"], summary="A case's latest version (ETag: its version number)",
            responses=errors(401, 403, 404, 422))
def read_case(request: Request, pk: Pk, user: Viewer, response: Response) -> CaseDetail:
    repo = _wb(request).repo
    record = repo.case(pk)
    version = repo.version(pk, record.latest_version)
    repo.record(user.username, "case.read", "case", pk)
    latest = repo.latest_assessments([pk]).get(pk)
    response.headers["ETag"] = etag(version.version)
    return CaseDetail.model_validate({**summary(record, latest), "document": version.document})


@router.put("/cases/{pk}", openapi_extra=CASE_BODY, tags=["cases"],
            summary="Store a new version of a case (earlier versions are kept) and assess it",
            responses=errors(400, 401, 403, 404, 409, 412, 413, 422))
async def update_case(request: Request, pk: Pk, user: Clinician, response: Response,
                      if_match: Annotated[str | None, Header(description=(
                          'The ETag the change is based on, e.g. "3" (the version read); refused with '
                          '412 if another version was saved since. "*": any stored version. A weak '
                          "tag never matches."))] = None) -> CaseSummary:
    base = None
    if if_match is not None:
        condition = parse_if_match(if_match)
        base = base_version(condition, _wb(request).repo.case(pk).latest_version)
    try:
        record, assessment = _wb(request).update(pk, _document(await _json(request)), user.username, base)
    except StaleVersionError as exc:  # another save came between the check and this one
        raise ApiError(412, str(exc), "precondition_failed") from None
    response.headers["ETag"] = etag(record.latest_version)
    return CaseSummary.model_validate(summary(record, assessment))


@router.get("/cases/{pk}/versions", tags=["cases"], summary="Every version of a case, oldest first",
            responses=errors(401, 403, 404, 422))
def case_versions(request: Request, pk: Pk, user: Viewer) -> list[VersionOut]:
    _wb(request).repo.record(user.username, "case.versions", "case", pk)
    return [VersionOut(version=v.version, created_at=v.created_at, created_by=v.created_by,
                       document=v.document) for v in _wb(request).repo.versions(pk)]


@router.get("/cases/{pk}/assessments", tags=["assessments"], summary="A case's assessments, newest first",
            responses=errors(401, 403, 404, 422))
def case_assessments(request: Request, pk: Pk, user: Viewer) -> list[AssessmentMeta]:
    _wb(request).repo.record(user.username, "case.assessments", "case", pk)
    return [_meta(a) for a in _wb(request).repo.assessments(pk)]


@router.post("/cases/{pk}/assessments", status_code=201, tags=["assessments"],
             summary="Assess the latest version again (e.g. after a knowledge update)",
             responses=errors(401, 403, 404, 422))
def reassess(request: Request, pk: Pk, user: Clinician) -> AssessmentMeta:
    return _meta(_wb(request).reassess(pk, user.username))


@router.get("/assessments/{assessment_id}", tags=["assessments"], summary="A stored assessment, as stored",
            responses=errors(401, 403, 404, 422))
def read_assessment(request: Request, assessment_id: Pk, user: Viewer) -> Response:
    record = _wb(request).repo.assessment(assessment_id)
    _wb(request).repo.record(user.username, "assessment.read", "assessment", assessment_id)
    return Response(record.result_json, media_type="application/json")


@router.get("/assessments/{assessment_id}/fhir", tags=["assessments"], response_class=FhirJson,
            summary="A stored assessment as a FHIR R4 Bundle (RiskAssessment per framework, RequestGroup "
                    "of options, Provenance)",
            responses={200: {"content": {FhirJson.media_type: {"schema": FHIR_BUNDLE}}},
                       **errors(401, 403, 404, 422)})
def assessment_fhir(request: Request, assessment_id: Pk, user: Viewer) -> Response:
    from rrall.fhir.assessment import assessment_bundle

    repo = _wb(request).repo
    record = repo.assessment(assessment_id)
    document = repo.version(record.case_pk, record.case_version).document
    result = result_of(record)
    case = _wb(request).validate(document | {"assessment_date": result["assessment_date"]})
    repo.record(user.username, "assessment.fhir", "assessment", assessment_id)
    body = assessment_bundle(result, case, _wb(request).kb.glossary, record.created_at)
    return FhirJson(orjson.dumps(body))


@router.post("/cases/{pk}/decisions", status_code=201, tags=["tumor board"],
             summary="Record a tumor-board decision based on one of the case's assessments",
             responses=errors(400, 401, 403, 404, 409, 413, 422))
def record_decision(request: Request, pk: Pk, body: DecisionIn, user: Clinician) -> DecisionOut:
    options = {o["id"] for o in result_of(_wb(request).repo.assessment(body.assessment_id))["options"]}
    unknown = [o for o in body.chosen_options if o not in options]
    if unknown:
        raise ApiError(422, f"chosen_options not in the assessment: {', '.join(unknown)}")
    new = NewDecision(**body.model_dump())
    return _decision(_wb(request).repo.add_decision(pk, new, user.username))


@router.get("/cases/{pk}/decisions", tags=["tumor board"], summary="A case's tumor-board decisions",
            responses=errors(401, 403, 404, 422))
def case_decisions(request: Request, pk: Pk, user: Viewer) -> list[DecisionOut]:
    _wb(request).repo.case(pk)
    _wb(request).repo.record(user.username, "case.decisions", "case", pk)
    return [_decision(d) for d in _wb(request).repo.decisions(pk=pk)]


def _meeting_out(request: Request, meeting: Meeting) -> MeetingOut:
    cases = [c.id for c in _wb(request).repo.meeting_cases(meeting.id)]
    return MeetingOut(id=meeting.id, title=meeting.title, meeting_date=meeting.meeting_date, cases=cases)


@router.post("/meetings", status_code=201, tags=["tumor board"], summary="Create a tumor-board meeting",
             responses=errors(400, 401, 403, 404, 413, 422))
def create_meeting(request: Request, body: MeetingIn, user: Clinician) -> MeetingOut:
    meeting = _wb(request).repo.create_meeting(body.title, body.meeting_date, user.username, body.case_ids)
    return _meeting_out(request, meeting)


@router.get("/meetings", tags=["tumor board"], summary="Tumor-board meetings, newest first",
            responses=errors(401, 403))
def list_meetings(request: Request, user: Viewer) -> list[MeetingOut]:
    return [_meeting_out(request, m) for m in _wb(request).repo.meetings()]


@router.get("/knowledge", tags=["knowledge"], summary="Knowledge-base and engine versions")
def knowledge_version(request: Request) -> dict[str, Any]:
    from rrall._version import __version__

    kb = _wb(request).kb
    return {"knowledge_version": kb.version, "engine_version": __version__,
            "frameworks": list(kb.frameworks), "therapies": len(kb.therapies),
            "references": len(kb.references)}


@router.get("/knowledge/frameworks", tags=["knowledge"], summary="The four frameworks' tables and rules")
def frameworks(request: Request) -> dict[str, Any]:
    return {name: fw.model_dump(mode="json") for name, fw in _wb(request).kb.frameworks.items()}


@router.get("/knowledge/therapies", tags=["knowledge"], summary="Therapy options with criteria and evidence")
def therapies(request: Request) -> list[dict[str, Any]]:
    return [t.model_dump(mode="json") for t in _wb(request).kb.therapies.values()]


@router.get("/knowledge/references", tags=["knowledge"], summary="Every source with its identifiers")
def references(request: Request) -> dict[str, Any]:
    return {k: r.source.model_dump(mode="json") for k, r in _wb(request).kb.references.items()}


@router.get("/trials", tags=["trials"], summary="The trial registry (curated and imported)")
def trials(request: Request) -> list[dict[str, Any]]:
    from rrall.engine import engine_for
    from rrall.trials_cli import audit_view

    return [audit_view(t) for t in engine_for(_wb(request).kb).registry.trials]


@router.get("/audit", tags=["admin"], summary="The audit log, newest first (admin)",
            responses=errors(401, 403, 422))
def audit(request: Request, user: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
          offset: Offset = 0) -> list[dict[str, Any]]:
    return [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "object_type": e.object_type, "object_id": e.object_id, "detail": e.detail}
            for e in _wb(request).repo.audit_log(limit, offset)]

