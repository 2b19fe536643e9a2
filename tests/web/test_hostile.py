"""Hostile input to the workbench: alias bombs and deep nesting through the web import,
the API and `rrall serve --load-cases`; numbers past what the database stores; long
search strings. Each is a 4xx in the documented shape (or a clear line on the terminal),
never a 500."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.case.test_untrusted import ALIAS_BOMB, nested
from tests.web.conftest import Workbench, example
from tests.web.test_api import error

pytestmark = pytest.mark.usefixtures("logscan")  # nothing identifying in the log (tests/logscan.py)


def _import(bench: Workbench, content: bytes) -> Any:
    bench.login()
    return bench.client.post("/cases/import", data={"csrf_token": bench.csrf()},
                             files={"file": ("case.yaml", content, "text/plain")})


@pytest.mark.parametrize(("content", "says"), [
    (b"[" * 500, "nested more than 32 levels deep"),  # was a RecursionError: 500
    (ALIAS_BOMB.encode(), "aliases (*name) are not allowed in a case file"),
    (b"id: caf\xe9\n", "is not UTF-8 text"),
    (f"id: x\nextra: {nested(40)}\n".encode(), "nested more than 32 levels deep"),
])
def test_the_web_import_refuses_hostile_files(bench: Workbench, content: bytes, says: str) -> None:
    answer = _import(bench, content)
    assert answer.status_code == 422
    shown = answer.text.replace("&#39;", "'")
    assert "not a JSON or YAML case file: " in shown and says in shown
    assert bench.client.get("/api/v1/cases", headers=bench.auth()).json()["total"] == 0


@pytest.mark.parametrize("depth", [100, 1000])
def test_the_api_refuses_deep_nesting(bench: Workbench, depth: int) -> None:
    body = orjson.dumps(example("b-marrow-early") | {"extra": "X"}).replace(b'"X"', nested(depth).encode())
    for path in ("/api/v1/assess", "/api/v1/cases"):
        answer = bench.client.post(path, content=body, headers=bench.auth() | {
            "content-type": "application/json"})
        found = error(answer, 422, "invalid_case")
        assert found["errors"] == [{"path": "", "message": "nested more than 32 levels deep",
                                    "allowed": "a case object nested at most 32 levels deep, each list "
                                               "and object written out once"}]
    deeper = nested(5000).encode()
    error(bench.client.post("/api/v1/assess", content=deeper, headers=bench.auth()), 400, "invalid_json")


def test_load_cases_reports_hostile_files_and_stores_the_rest(bench: Workbench, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from rrall.web.cli import _load

    (tmp_path / "a-bomb.yaml").write_text(ALIAS_BOMB)
    (tmp_path / "b-deep.yaml").write_text("[" * 500)
    (tmp_path / "c-binary.yaml").write_text("id: !!binary TVJOMTIz\n")
    (tmp_path / "d-good.json").write_bytes(orjson.dumps(example("b-marrow-early")))
    _load(bench.app.state.workbench, [tmp_path])
    said = capsys.readouterr().err
    assert "a-bomb.yaml: not loaded: not a JSON or YAML case file: aliases (*name) are not allowed" in said
    assert "b-deep.yaml: not loaded: not a JSON or YAML case file: nested more than 32 levels deep" in said
    assert "c-binary.yaml: not loaded: not a JSON or YAML case file: binary values (!!binary)" in said
    assert "Loaded 1 case(s) from 4 file(s); 3 skipped." in said
    assert bench.client.get("/api/v1/cases", headers=bench.auth()).json()["total"] == 1


HUGE = "99999999999999999999"  # past 64 bits
NUMBERS = [HUGE, str(2**63), str(2**31)]  # past 64 bits, SQLite's limit, PostgreSQL's integer


@pytest.mark.parametrize("number", NUMBERS)
def test_api_ids_offsets_and_pages_past_what_is_stored(bench: Workbench, number: str) -> None:
    h, admin = bench.auth(), bench.auth("admin")
    pk = bench.client.post("/api/v1/cases", json=example("b-marrow-early"), headers=h).json()["id"]
    for path in (f"/api/v1/cases?offset={number}", f"/api/v1/audit?offset={number}",
                 "/api/v1/audit?offset=1e20",
                 f"/api/v1/cases/{number}", f"/api/v1/cases/{number}/versions",
                 f"/api/v1/cases/{number}/assessments", f"/api/v1/cases/{number}/decisions",
                 f"/api/v1/assessments/{number}", f"/api/v1/assessments/{number}/fhir"):
        error(bench.client.get(path, headers=admin), 422, "invalid_input")
    decision = {"assessment_id": int(number), "decision_date": "2026-11-23", "attendees": ["Dr A"],
                "plan": "x"}
    error(bench.client.post(f"/api/v1/cases/{pk}/decisions", json=decision, headers=h), 422, "invalid_input")
    decision |= {"assessment_id": 1, "meeting_id": int(number)}
    error(bench.client.post(f"/api/v1/cases/{pk}/decisions", json=decision, headers=h), 422, "invalid_input")
    meeting = {"title": "Board", "meeting_date": "2026-11-23", "case_ids": [int(number)]}
    error(bench.client.post("/api/v1/meetings", json=meeting, headers=h), 422, "invalid_input")


@pytest.mark.parametrize("number", NUMBERS)
def test_page_ids_and_page_numbers_past_what_is_stored(bench: Workbench, number: str) -> None:
    pk = bench.client.post("/api/v1/cases", json=example("b-marrow-early"), headers=bench.auth()).json()["id"]
    bench.login("admin")
    for path in (f"/cases/{number}", f"/cases/{number}/edit", f"/cases/{number}/report.pdf",
                 f"/cases/{number}/assessment.fhir.json", f"/meetings/{number}", f"/meetings/{number}/print"):
        assert bench.client.get(path).status_code == 404, path
    for path in (f"/cases?page={number}", f"/audit?page={number}", f"/cases/{pk}?assessment={number}",
                 f"/cases/{pk}?meeting={number}", f"/cases/{pk}/report.html?assessment={number}"):
        assert bench.client.get(path).status_code == 422, path
    csrf = bench.csrf(f"/cases/{pk}")
    answer = bench.client.post(f"/cases/{pk}/decisions", data={"csrf_token": csrf, "assessment_id": number})
    assert answer.status_code == 422
    for meeting_id in (number, "\u00b2"):  # "²" passes str.isdigit() and fails int()
        answer = bench.client.post(f"/cases/{pk}/decisions", data={
            "csrf_token": csrf, "assessment_id": "1", "decision_date": "2026-11-23", "attendees": "Dr A",
            "plan": "x", "meeting_id": meeting_id}, follow_redirects=False)
        assert answer.status_code == 303
    meeting = bench.client.post("/meetings", data={"csrf_token": csrf, "title": "Board",
                                                   "meeting_date": "2026-11-23"}, follow_redirects=False)
    added = bench.client.post(meeting.headers["location"] + "/cases",
                              data={"csrf_token": csrf, "case": number}, follow_redirects=False)
    assert added.status_code == 303
    edit = {"csrf_token": bench.csrf(f"/cases/{pk}/edit"), "_base_version": number}
    assert bench.client.post(f"/cases/{pk}/edit", data=edit).status_code == 422


def test_long_and_nul_search_strings(bench: Workbench) -> None:
    bench.client.post("/api/v1/cases", json=example("b-marrow-early"), headers=bench.auth())
    long = "b" * 50_000  # SQLite refuses LIKE patterns over 50,000 bytes: it was a 500
    listed = bench.client.get("/api/v1/cases", params={"q": long}, headers=bench.auth())
    assert listed.status_code == 200 and listed.json()["total"] == 0
    bench.login()
    for q in (long, "b-marrow\x00"):  # PostgreSQL refuses NUL in text
        assert bench.client.get("/cases", params={"q": q}).status_code == 200
    assert "b-marrow-early" in bench.client.get("/cases", params={"q": "b-marrow\x00"}).text


def test_a_forged_form_row_number_makes_no_rows(bench: Workbench) -> None:
    """relapses[5000].date made the form build 5,001 relapse rows (and 10^9 a billion):
    entries past 100 are not read."""
    bench.login()
    answer = bench.client.post("/cases/new", data={"csrf_token": bench.csrf(), "id": "x",
                                                   "relapses[5000].date": "2020-01-01"})
    assert answer.status_code == 422
    assert 'id="f-relapses-0-date"' in answer.text and 'id="f-relapses-1-date"' not in answer.text
    assert "2020-01-01" not in answer.text


def test_a_500_gets_the_security_headers_and_a_log_line(bench: Workbench,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    def boom() -> None:
        raise RuntimeError("MRN-0099 could not be read")  # text that must not reach the log

    bench.app.add_api_route("/api/v1/boom", boom)
    bench.app.add_api_route("/boom", boom)
    caplog.set_level(logging.INFO, logger="rrall.web")
    api = bench.client.get("/api/v1/boom")
    page = bench.client.get("/boom")
    error(api, 500, "internal_error")
    assert page.status_code == 500 and "internal error" in page.text
    for answer in (api, page):
        assert answer.headers["x-frame-options"] == "DENY" and answer.headers["cache-control"] == "no-store"
        assert "default-src 'self'" in answer.headers["content-security-policy"]
    said = [r.getMessage() for r in caplog.records]
    assert "internal error RuntimeError on GET /api/v1/boom" in said
    assert any(m.startswith("GET /api/v1/boom 500 ") for m in said)
    assert any(m.startswith("GET /boom 500 ") for m in said)
    assert not any("MRN" in m for m in said)


def test_loopback_is_the_peer_address_never_the_host_header() -> None:
    """For the CDS Hooks rule without RRALL_PUBLIC_URL (web/cds.py reads the Host header
    today: `Host: 127.0.0.1` from anywhere passed)."""
    from starlette.requests import Request

    from rrall.web.security import from_loopback

    def request(peer: str, host: str) -> Request:
        return Request({"type": "http", "method": "POST", "path": "/cds-services/x", "query_string": b"",
                        "headers": [(b"host", host.encode())], "client": (peer, 50000), "server": (host, 80)})

    assert from_loopback(request("127.0.0.1", "ehr.example")) and from_loopback(request("::1", "x"))
    assert from_loopback(request("127.8.0.3", "x"))
    for peer in ("10.1.2.3", "203.0.113.9", "testclient", ""):
        assert not from_loopback(request(peer, "127.0.0.1")), peer
