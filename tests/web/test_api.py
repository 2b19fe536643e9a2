"""Every API route: success, authentication and role failures, bad input, one error shape."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from rrall.web.app import create_app
from tests.web.conftest import Workbench, example, settings_for

pytestmark = pytest.mark.usefixtures("logscan")  # nothing identifying in the log (tests/logscan.py)

ERROR_KEYS = {"status", "code", "message", "errors"}


def error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS and body["status"] == status
    if code:
        assert body["code"] == code
    return body


def test_assess_without_storing(bench: Workbench) -> None:
    case = example("b-marrow-early")
    response = bench.client.post("/api/v1/assess", json=case, headers=bench.auth("viewer"))
    assert response.status_code == 200
    body = response.json()
    assert body["case_id"] == "b-marrow-early" and body["risk"]["bfm"]["group"] == "S3"
    assert body["notice"] and body["knowledge_version"] and body["input_sha256"]
    assert bench.client.get("/api/v1/cases", headers=bench.auth()).json()["total"] == 0


def test_assess_summary_shape(bench: Workbench) -> None:
    case = example("b-marrow-early")
    full = bench.client.post("/api/v1/assess", json=case, headers=bench.auth("viewer")).json()
    response = bench.client.post("/api/v1/assess?detail=summary", json=case, headers=bench.auth("viewer"))
    assert response.status_code == 200
    body = response.json()
    assert body["detail"] == "summary" and body["risk"]["bfm"]["group"] == "S3"
    assert body["input_sha256"] == full["input_sha256"] and "prognosis" not in body
    assert [o["status"] for o in body["options"]] == [o["status"] for o in full["options"]]
    error(bench.client.post("/api/v1/assess?detail=brief", json=case, headers=bench.auth()), 422)


def test_a_revoked_token_stops_at_once_in_this_process(bench: Workbench) -> None:
    headers = bench.auth("viewer")
    assert bench.client.get("/api/v1/cases", headers=headers).status_code == 200  # now remembered
    repo = bench.client.app.state.repo  # type: ignore[attr-defined]
    for user in repo.users():
        repo.revoke_tokens(user.username)
    error(bench.client.get("/api/v1/cases", headers=headers), 401)


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401), ({"Authorization": "Bearer nope"}, 401), ({"Authorization": "Basic abc"}, 401)])
def test_patient_data_needs_a_valid_token(bench: Workbench, headers: dict[str, str], status: int) -> None:
    for method, path in [("post", "/api/v1/assess"), ("get", "/api/v1/cases"), ("post", "/api/v1/cases"),
                         ("get", "/api/v1/cases/1"), ("put", "/api/v1/cases/1"),
                         ("get", "/api/v1/cases/1/versions"), ("get", "/api/v1/cases/1/assessments"),
                         ("post", "/api/v1/cases/1/assessments"), ("get", "/api/v1/assessments/1"),
                         ("post", "/api/v1/cases/1/decisions"), ("get", "/api/v1/cases/1/decisions"),
                         ("get", "/api/v1/meetings"), ("post", "/api/v1/meetings"), ("get", "/api/v1/audit")]:
        response = getattr(bench.client, method)(path, headers=headers)
        body = error(response, status, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer", path
        assert body["message"]


def test_roles(bench: Workbench) -> None:
    case = example("b-marrow-early")
    error(bench.client.post("/api/v1/cases", json=case, headers=bench.auth("viewer")), 403, "forbidden")
    error(bench.client.get("/api/v1/audit", headers=bench.auth("clinician")), 403)
    assert bench.client.post("/api/v1/cases", json=case, headers=bench.auth("clinician")).status_code == 201
    assert bench.client.get("/api/v1/audit", headers=bench.auth("admin")).status_code == 200


def test_bad_input_names_every_field(bench: Workbench) -> None:
    case = example("b-marrow-early") | {"sex": "x", "date_of_birth": "2024-13-01"}
    body = error(bench.client.post("/api/v1/assess", json=case, headers=bench.auth()), 422, "invalid_case")
    paths = {e["path"] for e in body["errors"]}
    assert {"sex", "date_of_birth"} <= paths
    assert any(e.get("allowed") for e in body["errors"] if e["path"] == "sex")
    error(bench.client.post("/api/v1/assess", content=b"{not json", headers=bench.auth()), 400,
          "invalid_json")
    error(bench.client.post("/api/v1/assess", json=[1, 2], headers=bench.auth()), 422, "invalid_case")
    error(bench.client.post("/api/v1/cases", content=b"", headers=bench.auth()), 400)


def test_request_size_limit(db_url: str, kb: Any) -> None:
    app = create_app(settings_for(db_url, max_body_bytes=5_000), kb)
    app.state.repo.add_user("c", "long enough pw", "clinician")
    token = app.state.repo.issue_token("c", "t")
    with TestClient(app) as client:
        big = example("b-marrow-early") | {"id": "x" * 6_000}
        response = client.post("/api/v1/assess", json=big, headers={"Authorization": f"Bearer {token}"})
        error(response, 413, "too_large")

        def chunks() -> Any:  # no Content-Length: the limit applies while streaming
            for _ in range(10):
                yield b" " * 1_000

        response = client.post("/api/v1/assess", content=chunks(),
                               headers={"Authorization": f"Bearer {token}"})
        error(response, 413, "too_large")
    app.state.repo.engine.dispose()


def test_case_lifecycle(bench: Workbench) -> None:
    h = bench.auth()
    case = example("t-marrow-early")
    created = bench.client.post("/api/v1/cases", json=case, headers=h)
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created.json()["risk_groups"]["bfm"] == "S4"
    error(bench.client.post("/api/v1/cases", json=case, headers=h), 409, "conflict")
    changed = case | {"assessment_date": "2025-01-01"}
    updated = bench.client.put(f"/api/v1/cases/{pk}", json=changed, headers=h)
    assert updated.status_code == 200 and updated.json()["latest_version"] == 2
    error(bench.client.put(f"/api/v1/cases/{pk}", json=case | {"sex": "?"}, headers=h), 422)
    error(bench.client.put("/api/v1/cases/999", json=case, headers=h), 404, "not_found")
    detail = bench.client.get(f"/api/v1/cases/{pk}", headers=bench.auth("viewer")).json()
    assert detail["document"]["assessment_date"] == "2025-01-01"
    versions = bench.client.get(f"/api/v1/cases/{pk}/versions", headers=h).json()
    assert [v["version"] for v in versions] == [1, 2] and versions[0]["document"] == case
    listed = bench.client.get("/api/v1/cases", params={"q": "t-marrow"}, headers=h).json()
    assert listed["total"] == 1 and listed["items"][0]["risk_groups"]["uk"] == "high"
    assert bench.client.get("/api/v1/cases", params={"q": "zzz"}, headers=h).json()["total"] == 0
    error(bench.client.get("/api/v1/cases", params={"limit": 0}, headers=h), 422, "invalid_input")

    again = bench.client.post(f"/api/v1/cases/{pk}/assessments", headers=h)
    assert again.status_code == 201 and again.json()["case_version"] == 2
    metas = bench.client.get(f"/api/v1/cases/{pk}/assessments", headers=h).json()
    assert len(metas) == 3 and metas[0]["id"] == again.json()["id"]
    assert {m["input_sha256"] for m in metas[:2]} == {metas[0]["input_sha256"]}
    stored = bench.client.get(f"/api/v1/assessments/{metas[-1]['id']}", headers=h)
    assert stored.json()["assessment_date"] != "2025-01-01"  # version 1, as stored
    error(bench.client.get("/api/v1/assessments/999", headers=h), 404)


def test_decisions_and_meetings(bench: Workbench) -> None:
    h = bench.auth()
    pk = bench.client.post("/api/v1/cases", json=example("b-marrow-early"), headers=h).json()["id"]
    other = bench.client.post("/api/v1/cases", json=example("b-marrow-late"), headers=h).json()
    assessment = bench.client.get(f"/api/v1/cases/{pk}/assessments", headers=h).json()[0]["id"]
    meeting = bench.client.post("/api/v1/meetings", headers=h, json={
        "title": "Leukemia board", "meeting_date": "2026-11-23", "case_ids": [pk]})
    assert meeting.status_code == 201 and meeting.json()["cases"] == [pk]
    decision = {"assessment_id": assessment, "decision_date": "2026-11-23", "attendees": ["Dr A", "Dr B"],
                "chosen_options": ["blinatumomab", "allogeneic_hsct"], "plan": "Blinatumomab then HSCT",
                "rationale": "High risk; donor found.", "meeting_id": meeting.json()["id"]}
    saved = bench.client.post(f"/api/v1/cases/{pk}/decisions", json=decision, headers=h)
    assert saved.status_code == 201 and saved.json()["created_by"] == "clinician"
    listed = bench.client.get(f"/api/v1/cases/{pk}/decisions", headers=bench.auth("viewer")).json()
    assert listed[0]["plan"] == "Blinatumomab then HSCT" and listed[0]["attendees"] == ["Dr A", "Dr B"]
    error(bench.client.post(f"/api/v1/cases/{pk}/decisions", json=decision | {"chosen_options": ["magic"]},
                            headers=h), 422)
    error(bench.client.post(f"/api/v1/cases/{other['id']}/decisions", json=decision, headers=h), 409)
    body = error(bench.client.post(f"/api/v1/cases/{pk}/decisions", json=decision | {"attendees": []},
                                   headers=h), 422, "invalid_input")
    assert body["errors"][0]["path"] == "attendees"
    as_viewer = bench.auth("viewer")
    error(bench.client.post(f"/api/v1/cases/{pk}/decisions", json=decision, headers=as_viewer), 403)
    error(bench.client.post("/api/v1/meetings", headers=h, json={"title": "", "meeting_date": "x"}), 422)
    meetings = bench.client.get("/api/v1/meetings", headers=bench.auth("viewer")).json()
    assert meetings[0]["title"] == "Leukemia board"


def test_knowledge_and_trials(bench: Workbench) -> None:
    version = bench.client.get("/api/v1/knowledge").json()
    assert version["frameworks"] == ["bfm", "intreall", "cog", "uk"] and version["therapies"] == 31
    assert "rows" in orjson.dumps(bench.client.get("/api/v1/knowledge/frameworks").json()).decode()
    therapies = bench.client.get("/api/v1/knowledge/therapies").json()
    assert {"blinatumomab", "ponatinib"} <= {t["id"] for t in therapies}
    references = bench.client.get("/api/v1/knowledge/references").json()
    assert references["Brown2021"]["pmcid"] == "PMC7926290"
    trials = bench.client.get("/api/v1/trials").json()
    assert len(trials) >= 42 and {"min_age_years", "ph_status"} <= set(trials[0])


def test_audit_log_records_reads_and_changes(bench: Workbench) -> None:
    h = bench.auth()
    pk = bench.client.post("/api/v1/cases", json=example("b-marrow-early"), headers=h).json()["id"]
    bench.client.get(f"/api/v1/cases/{pk}", headers=bench.auth("viewer"))
    entries = bench.client.get("/api/v1/audit", headers=bench.auth("admin")).json()
    actions = [(e["actor"], e["action"], e["object_id"]) for e in entries[:3]]
    assert actions == [("viewer", "case.read", str(pk)), ("clinician", "assessment.create", "1"),
                       ("clinician", "case.create", str(pk))]
    assert "b-marrow-early" not in orjson.dumps(entries).decode()  # ids, not case contents


def test_unknown_routes_and_methods_use_the_error_shape(bench: Workbench) -> None:
    error(bench.client.get("/api/v1/nothing-here"), 404, "not_found")
    error(bench.client.delete("/api/v1/cases/1", headers=bench.auth()), 405, "method_not_allowed")


def test_openapi_documents_the_case_body(bench: Workbench) -> None:
    spec = bench.client.get("/api/v1/openapi.json").json()
    assert "/api/v1/assess" in spec["paths"] and "Case" in spec["components"]["schemas"]
    body = spec["paths"]["/api/v1/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Case"}
    assert "Relapse" in spec["components"]["schemas"]


def test_security_headers(bench: Workbench) -> None:
    response = bench.client.get("/api/v1/knowledge")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_cors_only_for_configured_origins(db_url: str, kb: Any) -> None:
    app = create_app(settings_for(db_url, allowed_origins=["https://sandbox.example"]), kb)
    with TestClient(app) as client:
        ok = client.options("/api/v1/assess", headers={"Origin": "https://sandbox.example",
                                                       "Access-Control-Request-Method": "POST"})
        assert ok.headers["access-control-allow-origin"] == "https://sandbox.example"
        other = client.options("/api/v1/assess", headers={"Origin": "https://evil.example",
                                                          "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in other.headers
    app.state.repo.engine.dispose()


def test_hostile_input_never_gives_a_500(bench: Workbench) -> None:
    h = bench.auth()
    error(bench.client.get("/api/v1/cases/3000000000", headers=h), 422, "invalid_input")
    error(bench.client.get("/api/v1/assessments/0", headers=h), 422)
    case = example("b-marrow-early") | {"id": "MRN\u0000123"}
    error(bench.client.post("/api/v1/cases", json=case, headers=h), 422, "invalid_case")
    assert bench.client.get("/api/v1/cases", params={"q": "a\x00b"}, headers=h).status_code == 200
    nul_title = {"title": "x\u0000", "meeting_date": "2026-11-23"}
    error(bench.client.post("/api/v1/meetings", headers=h, json=nul_title), 422)
    error(bench.client.post("/api/v1/meetings", headers=h | {"content-type": "application/json"},
                            content=b"{oops"), 400, "invalid_json")
    error(bench.client.get("/api/v1/cases/", headers=h), 404)
    tiny = example("b-marrow-early") | {"mrd": [{"timepoint": "end_of_reinduction", "value": "1e-400",
                                                 "unit": "fraction"}]}
    pk = bench.client.post("/api/v1/cases", json=tiny, headers=h).json()["id"]
    bench.login("viewer")
    assert bench.client.get(f"/cases/{pk}").status_code == 200


def test_if_match_refuses_a_stale_update(bench: Workbench) -> None:
    h = bench.auth()
    case = example("b-marrow-early")
    pk = bench.client.post("/api/v1/cases", json=case, headers=h).json()["id"]
    ok = bench.client.put(f"/api/v1/cases/{pk}", json=case, headers=h | {"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["latest_version"] == 2
    body = error(bench.client.put(f"/api/v1/cases/{pk}", json=case, headers=h | {"If-Match": '"1"'}), 412,
                 "precondition_failed")  # RFC 9110 13.1.1: a failed If-Match is 412
    assert "is at version 2" in body["message"]
    error(bench.client.put(f"/api/v1/cases/{pk}", json=case, headers=h | {"If-Match": "latest"}), 400)
    error(bench.client.post("/api/v1/meetings", headers=h, json={"title": "B", "meeting_date": "2026-11-23",
                                                              "case_ids": [pk, 999]}), 404)
    assert bench.client.get("/api/v1/meetings", headers=h).json() == []


def test_etags_and_if_match_follow_rfc_9110(bench: Workbench) -> None:
    """An ETag on every case read and write; If-Match: * matches any stored version, a
    list matches when one tag is the latest, a weak tag never matches (strong comparison)."""
    h = bench.auth()
    case = example("b-marrow-early")
    created = bench.client.post("/api/v1/cases", json=case, headers=h)
    assert created.headers["etag"] == '"1"'
    pk = created.json()["id"]
    assert bench.client.get(f"/api/v1/cases/{pk}", headers=h).headers["etag"] == '"1"'
    for sent, version in (("*", 2), ('"7", "2"', 3), (' "3" ,', 4)):
        saved = bench.client.put(f"/api/v1/cases/{pk}", json=case, headers=h | {"If-Match": sent})
        assert saved.status_code == 200, sent
        assert saved.headers["etag"] == f'"{version}"' and saved.json()["latest_version"] == version
    for sent in ('W/"4"', '"abc"', '"3", W/"4"'):
        error(bench.client.put(f"/api/v1/cases/{pk}", json=case, headers=h | {"If-Match": sent}), 412)
    for sent in ("4", '"4', "", 'W/4'):
        error(bench.client.put(f"/api/v1/cases/{pk}", json=case, headers=h | {"If-Match": sent}), 400)
    error(bench.client.put("/api/v1/cases/999", json=case, headers=h | {"If-Match": "*"}), 404)
    assert bench.client.get(f"/api/v1/cases/{pk}", headers=h).headers["etag"] == '"4"'


def test_dates_are_iso_dates_not_numbers(bench: Workbench) -> None:
    """pydantic read `meeting_date: 0` as 1970-01-01."""
    h = bench.auth()
    pk = bench.client.post("/api/v1/cases", json=example("b-marrow-early"), headers=h).json()["id"]
    for value in (0, 1700000000, "2026-11-23T10:00:00", "23.11.2026"):
        body = error(bench.client.post("/api/v1/meetings", headers=h,
                                       json={"title": "Board", "meeting_date": value}), 422, "invalid_input")
        assert body["errors"][0]["path"] == "meeting_date"
        decision = {"assessment_id": 1, "decision_date": value, "attendees": ["Dr A"], "plan": "x"}
        body = error(bench.client.post(f"/api/v1/cases/{pk}/decisions", json=decision, headers=h), 422)
        assert body["errors"][0]["path"] == "decision_date"
    assert bench.client.get("/api/v1/meetings", headers=h).json() == []


def test_405_lists_every_method_of_the_path(bench: Workbench) -> None:
    for path, allowed in (("/api/v1/cases/1", "GET, PUT"), ("/api/v1/cases", "GET, POST"),
                          ("/api/v1/cases/1/assessments", "GET, POST"), ("/api/v1/knowledge", "GET")):
        answer = bench.client.delete(path, headers=bench.auth())
        error(answer, 405, "method_not_allowed")
        assert answer.headers["allow"] == allowed, path


def test_openapi_documents_what_the_service_answers(bench: Workbench) -> None:
    spec = bench.client.get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's {detail}: never sent
    assert schemas["Error"]["required"] == ["status", "code", "message", "errors"]
    assert spec["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http", "scheme": "bearer", "description": "An API token from `rrall users token NAME` "
                                                          "(opaque, not a JWT)."}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    (media,) = response["content"].values()
                    assert media["schema"]["$ref"].endswith(("/Error", "/CdsError")), (method, path, status)
            if path.startswith("/api/v1/") and not path.startswith(("/api/v1/knowledge", "/api/v1/trials")):
                assert operation["security"] == [{"bearerToken": []}], path
                assert {"401", "403"} <= set(operation["responses"]), path
            if "{" in path:
                assert "404" in operation["responses"] or path.startswith("/cds-services"), path
    put = spec["paths"]["/api/v1/cases/{pk}"]["put"]["responses"]
    assert {"400", "409", "412", "413", "422"} <= set(put) and "ETag" in put["200"]["headers"]
    fhir = spec["paths"]["/api/v1/assessments/{assessment_id}/fhir"]["get"]["responses"]["200"]["content"]
    assert list(fhir) == ["application/fhir+json"]
    response = bench.client.get("/api/v1/assessments/1/fhir", headers=bench.auth())
    assert response.status_code == 404  # no assessment yet: the error is JSON in the error shape
    assert spec["paths"]["/cds-services/{service_id}"]["post"]["security"] == [{"cdsJwt": []}]


def test_the_schema_and_the_service_agree_on_a_case_without_relapse(bench: Workbench) -> None:
    """Without a relapse a case is primary refractory disease (induction failed) or nothing
    to assess: the schema said any case without relapses was valid; the service refused it."""
    import jsonschema_rs

    from rrall.case.schema import case_json_schema

    schema = jsonschema_rs.validator_for(case_json_schema())
    refractory = example("primary-refractory")
    no_relapse = example("b-marrow-early") | {"relapses": []}
    no_key = {k: v for k, v in example("b-marrow-early").items() if k != "relapses"}
    for case, valid in ((refractory, True), (no_relapse, False), (no_key, False),
                        (example("b-marrow-early"), True)):
        assert schema.is_valid(case) is valid, case["id"]
        answer = bench.client.post("/api/v1/assess", json=case, headers=bench.auth())
        assert answer.status_code == (200 if valid else 422), case["id"]
    spec = bench.client.get("/api/v1/openapi.json").json()
    assert spec["components"]["schemas"]["Case"]["anyOf"] == case_json_schema()["anyOf"]
