"""The web pages: login, the case form with errors, import, the assessment page, decisions,
meetings, reports; and that nothing identifying reaches the log."""

from __future__ import annotations

import io
import logging
import re

import pytest
import yaml
from pypdf import PdfReader

from tests.web.conftest import PASSWORD, Workbench, example

pytestmark = pytest.mark.usefixtures("logscan")  # nothing identifying in the log (tests/logscan.py)


def _create(bench: Workbench, name: str = "b-marrow-early") -> int:
    response = bench.client.post("/api/v1/cases", json=example(name), headers=bench.auth())
    pk: int = response.json()["id"]
    return pk


def test_pages_need_a_login_and_login_needs_its_token(bench: Workbench) -> None:
    response = bench.client.get("/cases?q=abc", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/cases%3Fq%3Dabc"
    page = bench.client.get("/login")
    assert 'for="username"' in page.text and "Decision support for qualified clinicians" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    wrong = bench.client.post("/login", data={"csrf_token": token, "username": "clinician", "password": "x"})
    assert wrong.status_code == 401 and "wrong" in wrong.text and 'value="clinician"' in wrong.text
    stale = bench.client.post("/login", data={"csrf_token": "forged", "username": "clinician",
                                              "password": PASSWORD})
    assert stale.status_code == 403


def test_login_never_redirects_off_site(bench: Workbench) -> None:
    page = bench.client.get("/login?next=//evil.example/x")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = bench.client.post("/login", data={"csrf_token": token, "username": "viewer",
                                                 "password": PASSWORD, "next": "https://evil.example"},
                                 follow_redirects=False)
    assert response.headers["location"] == "/cases"


def test_forms_refuse_a_missing_csrf_token(bench: Workbench) -> None:
    bench.login()
    response = bench.client.post("/cases/new", data={"id": "x"})
    assert response.status_code == 403 and "security token" in response.text


def test_viewers_cannot_change_cases(bench: Workbench) -> None:
    bench.login("viewer")
    assert bench.client.get("/cases/new").status_code == 403
    pk = _create(bench)
    page = bench.client.get(f"/cases/{pk}")
    assert page.status_code == 200 and "Record decision" not in page.text and "Edit case" not in page.text


def test_case_form_error_then_fix(bench: Workbench) -> None:
    bench.login()
    csrf = bench.csrf()
    form = {"csrf_token": csrf, "_action": "save", "id": "form-case", "sex": "female",
            "date_of_birth": "2014-02-30", "diagnosis.date": "2019-05-02", "diagnosis.immunophenotype": "B",
            "diagnosis.frontline_end_date": "2021-08-01", "relapses[0].date": "2022-03-01",
            "relapses[0].sites": "bone_marrow", "relapses[0].marrow_blasts_percent": "40",
            "relapses[0].cd19": "positive"}
    refused = bench.client.post("/cases/new", data=form)
    assert refused.status_code == 422
    assert 'id="err-f-date_of_birth"' in refused.text and "not a real calendar date" in refused.text
    assert 'value="2014-02-30"' in refused.text and 'value="form-case"' in refused.text  # nothing lost
    assert 'value="40"' in refused.text
    more = bench.client.post("/cases/new", data=form | {"_action": "more:relapses"})
    assert 'name="relapses[2].date"' in more.text and "error-summary" not in more.text
    saved = bench.client.post("/cases/new", data=form | {"date_of_birth": "2014-02-28"},
                              follow_redirects=False)
    assert saved.status_code == 303
    page = bench.client.get(saved.headers["location"])
    assert "Case form-case" in page.text and "At a glance" in page.text


def test_edit_keeps_versions_and_shows_the_old_assessment(bench: Workbench) -> None:
    pk = _create(bench)
    bench.login()
    edit = bench.client.get(f"/cases/{pk}/edit")
    assert 'value="b-marrow-early"' in edit.text
    csrf = bench.csrf(f"/cases/{pk}/edit")
    from rrall.web.caseform import to_values

    data = to_values(example("b-marrow-early") | {"assessment_date": "2022-02-01"})
    response = bench.client.post(f"/cases/{pk}/edit", data={**data, "csrf_token": csrf},
                                 follow_redirects=False)
    assert response.status_code == 303
    versions = bench.client.get(f"/api/v1/cases/{pk}/versions", headers=bench.auth()).json()
    assert len(versions) == 2 and versions[1]["document"]["assessment_date"] == "2022-02-01"
    first = bench.client.get(f"/api/v1/cases/{pk}/assessments", headers=bench.auth()).json()[-1]["id"]
    old = bench.client.get(f"/cases/{pk}?assessment={first}")
    assert "earlier version of the case" in old.text


def test_import_a_case_file(bench: Workbench) -> None:
    bench.login()
    text = yaml.safe_dump(example("ph-positive-t315i"))
    csrf = bench.csrf()
    ok = bench.client.post("/cases/import", data={"csrf_token": csrf},
                           files={"file": ("case.yaml", text.encode(), "application/yaml")},
                           follow_redirects=False)
    assert ok.status_code == 303
    bad = example("b-marrow-late") | {"sex": "unknown"}
    refused = bench.client.post("/cases/import", data={"csrf_token": csrf},
                                files={"file": ("case.json", yaml.safe_dump(bad).encode(), "text/plain")})
    assert refused.status_code == 422 and 'id="err-f-sex"' in refused.text
    assert 'value="b-marrow-late"' in refused.text
    junk = bench.client.post("/cases/import", data={"csrf_token": csrf},
                             files={"file": ("case.json", b"\xff\xfe", "text/plain")})
    assert junk.status_code == 422 and "not a JSON or YAML case file" in junk.text


def test_assessment_page_shows_everything(bench: Workbench) -> None:
    pk = _create(bench, "ph-positive-t315i")
    mrd = [{"timepoint": "end_of_reinduction", "value": 0.01, "unit": "percent", "date": "2024-09-20"}]
    changed = example("ph-positive-t315i") | {"mrd": mrd, "assessment_date": "2024-10-01"}
    updated = bench.client.put(f"/api/v1/cases/{pk}", json=changed, headers=bench.auth())
    assert updated.status_code == 200, updated.text
    bench.login("viewer")
    page = bench.client.get(f"/cases/{pk}").text
    for fragment in ("At a glance", "Classification", "ALL-REZ BFM", "IntReALL", "COG", "UK ALLR3",
                     "HSCT in second remission", "Every treatment option", "Ponatinib",
                     "Prognosis in the literature", "Clinical trials", "Missing data",
                     f"/cases/{pk}/charts/timeline.svg", f"/cases/{pk}/charts/mrd.svg",
                     "End of reinduction", "10⁻⁴ (0.01 %)", 'href="/references#ref-',
                     "Decision support for qualified clinicians",
                     "assessment 2 of 2 (case version 2)"):  # counted for the reader, not ids
        assert fragment in page, fragment
    assert page.count("Decision support for qualified clinicians") == 1
    for kind in ("timeline", "mrd"):
        chart = bench.client.get(f"/cases/{pk}/charts/{kind}.svg")
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
        assert chart.content.startswith(b"<?xml") and b"<svg" in chart.content
    refs = bench.client.get("/references").text
    assert 'id="ref-Brown2021"' in refs


def test_record_a_decision_with_an_error_corrected(bench: Workbench) -> None:
    pk = _create(bench)
    bench.login()
    assessment = bench.client.get(f"/api/v1/cases/{pk}/assessments", headers=bench.auth()).json()[0]["id"]
    csrf = bench.csrf(f"/cases/{pk}")
    form = {"csrf_token": csrf, "assessment_id": str(assessment), "decision_date": "23/11/2026",
            "attendees": "Dr A\nDr B", "plan": "Blinatumomab then HSCT", "rationale": "High risk",
            "chosen_options": ["blinatumomab", "allogeneic_hsct"]}
    refused = bench.client.post(f"/cases/{pk}/decisions", data=form)
    assert refused.status_code == 422 and "&#39;23/11/2026&#39; is not a date" in refused.text
    assert 'id="decision-errors"' in refused.text and 'action="/cases/' in refused.text
    assert "/decisions#decision-form" in refused.text  # the answer opens where the user is
    assert "Blinatumomab then HSCT" in refused.text and "Dr A\nDr B" in refused.text
    saved = bench.client.post(f"/cases/{pk}/decisions", data=form | {"decision_date": "2026-11-23"},
                              follow_redirects=False)
    assert saved.status_code == 303
    decisions = bench.client.get(f"/api/v1/cases/{pk}/decisions", headers=bench.auth()).json()
    assert decisions[0]["attendees"] == ["Dr A", "Dr B"] and decisions[0]["assessment_id"] == assessment


def test_tumor_board_meeting(bench: Workbench) -> None:
    pk = _create(bench)
    bench.login()
    csrf = bench.csrf("/meetings")
    refused = bench.client.post("/meetings", data={"csrf_token": csrf, "title": "Board", "meeting_date": "x"})
    assert refused.status_code == 422 and 'value="Board"' in refused.text
    made = bench.client.post("/meetings", data={"csrf_token": csrf, "title": "Board",
                                                "meeting_date": "2026-11-23"}, follow_redirects=False)
    mid = made.headers["location"].rsplit("/", 1)[-1]
    bench.client.post(f"/meetings/{mid}/cases", data={"csrf_token": csrf, "case": str(pk)})
    page = bench.client.get(f"/meetings/{mid}").text
    assert "b-marrow-early" in page and "S3" in page
    printed = bench.client.get(f"/meetings/{mid}/print").text
    assert "Decision: </strong> none recorded" in printed.replace("<strong>Decision:</strong>",
                                                                   "Decision: </strong>")
    assert "Decision support for qualified clinicians" in printed


@pytest.mark.parametrize("kind", ["clinician", "family"])
def test_reports_download(bench: Workbench, kind: str) -> None:
    pk = _create(bench, "t-marrow-early")
    bench.login("viewer")
    html = bench.client.get(f"/cases/{pk}/report.html?kind={kind}")
    assert html.status_code == 200 and "style-src 'unsafe-inline'" in html.headers["content-security-policy"]
    pdf = bench.client.get(f"/cases/{pk}/report.pdf?kind={kind}")
    assert pdf.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    if kind == "clinician":
        assert "t-marrow-early" in text and "does not prescribe" in text and "Brown2021" in text
    else:
        assert "T-cell" in text and "not a treatment plan" in text
    assert bench.client.get(f"/cases/{pk}/report.doc").status_code == 404


def test_logs_hold_no_identifiers(bench: Workbench, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    case = example("b-marrow-early") | {"id": "MRN-0012345"}
    bench.client.post("/api/v1/cases", json=case, headers=bench.auth())
    bench.login()
    bench.client.get("/cases?q=MRN-0012345")
    bench.client.get("/cases/1")
    assert caplog.records, "the request log is on"
    server = [r for r in caplog.records if not r.name.startswith("httpx")]  # httpx: the test's own client
    leaked = [r.getMessage() for r in server if "MRN" in r.getMessage() or "2012-" in r.getMessage()]
    assert leaked == []
    assert any("/cases/{pk}" in r.getMessage() for r in caplog.records)


def test_saving_the_edit_form_unchanged_keeps_every_value(bench: Workbench) -> None:
    case = example("ph-positive-t315i")
    case["relapses"][0]["abl1_kinase_mutations"] = ["T315I", "E255K"]
    pk = bench.client.post("/api/v1/cases", json=case, headers=bench.auth()).json()["id"]
    bench.login()
    from rrall.web.caseform import to_values

    form = to_values(case) | {"csrf_token": bench.csrf(f"/cases/{pk}/edit"), "_base_version": "1"}
    saved = bench.client.post(f"/cases/{pk}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303
    versions = bench.client.get(f"/api/v1/cases/{pk}/versions", headers=bench.auth()).json()
    assert versions[1]["document"] == versions[0]["document"] == case
    stale = bench.client.post(f"/cases/{pk}/edit", data=form)
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    assert 'value="E255K"' in stale.text or "T315I, E255K" in stale.text


def test_imported_values_outside_the_vocabulary_stay_visible(bench: Workbench) -> None:
    bench.login()
    case = example("b-marrow-late")
    case["relapses"][0]["sites"] = ["bonemarrow"]
    csrf = bench.csrf()
    refused = bench.client.post("/cases/import", data={"csrf_token": csrf},
                                files={"file": ("c.yaml", yaml.safe_dump(case).encode(), "text/plain")})
    assert refused.status_code == 422
    assert 'value="bonemarrow" checked' in refused.text and "(not allowed)" in refused.text
    assert 'id="err-f-relapses-0-sites"' in refused.text and 'href="#f-relapses-0-sites"' in refused.text
    for hostile in (b"id: &a x\nsex: *a\n", b"id: !!binary aGVsbG8=\n"):
        answer = bench.client.post("/cases/import", data={"csrf_token": csrf},
                                   files={"file": ("c.yaml", hostile, "text/plain")})
        assert answer.status_code == 422 and "not a JSON or YAML case file" in answer.text
    as_set = yaml.safe_dump(example("b-marrow-late")).replace("- bone_marrow", "").replace(
        "sites:\n", "sites: !!set {bone_marrow: null}\n")
    made = bench.client.post("/cases/import", data={"csrf_token": csrf},
                             files={"file": ("c.yaml", as_set.encode(), "text/plain")},
                             follow_redirects=False)
    assert made.status_code == 303


def test_decision_form_without_an_assessment_is_refused(bench: Workbench) -> None:
    pk = _create(bench)
    bench.login()
    answer = bench.client.post(f"/cases/{pk}/decisions", data={"csrf_token": bench.csrf(f"/cases/{pk}"),
                                                                "assessment_id": "abc"})
    assert answer.status_code == 422


def test_repeated_failed_logins_are_slowed(bench: Workbench) -> None:
    page = bench.client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    for _ in range(5):
        bench.client.post("/login", data={"csrf_token": token, "username": "viewer", "password": "guess"})
    right = {"csrf_token": token, "username": "viewer", "password": PASSWORD}
    blocked = bench.client.post("/login", data=right)
    assert blocked.status_code == 429


def test_fhir_download_from_the_assessment_page(bench: Workbench) -> None:
    from fhir.resources.R4B.bundle import Bundle

    pk = _create(bench, "ph-positive-t315i")
    bench.login("viewer")
    page = bench.client.get(f"/cases/{pk}").text
    assert f"/cases/{pk}/assessment.fhir.json" in page
    response = bench.client.get(f"/cases/{pk}/assessment.fhir.json")
    assert response.headers["content-type"] == "application/fhir+json"
    assert "attachment" in response.headers["content-disposition"]
    Bundle.model_validate(response.json())


def test_the_edit_form_and_refused_logins_are_audited(bench: Workbench) -> None:
    """The edit form shows the whole case, so opening it is a read; a login refused
    because of earlier failures is recorded too (it was not, as it skips the password)."""
    pk = _create(bench)
    bench.login()
    assert bench.client.get(f"/cases/{pk}/edit").status_code == 200
    page = bench.client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    for _ in range(6):
        bench.client.post("/login", data={"csrf_token": token, "username": "viewer", "password": "guess"})
    entries = bench.client.get("/api/v1/audit", headers=bench.auth("admin")).json()
    actions = [(e["actor"], e["action"], e["object_id"]) for e in entries]
    assert ("clinician", "case.edit_form", str(pk)) in actions
    viewer = bench.app.state.repo.user_for_token(bench.tokens["viewer"]).id
    assert actions[:2] == [("anonymous", "login.throttled", str(viewer)),
                           ("anonymous", "login.failed", str(viewer))]
    assert entries[0]["detail"] == {}  # the name tried is not recorded, only the user's id


def test_the_password_check_runs_off_the_event_loop(bench: Workbench,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt on the event loop held every other request: during 10 parallel failed logins
    GET /api/v1/knowledge went from 5 ms to seconds (bench/login.py measures it)."""
    import asyncio

    repo = bench.app.state.repo
    checked_on_the_loop = []
    authenticate = repo.authenticate

    def watched(username: str, password: str) -> object:
        try:
            asyncio.get_running_loop()
            checked_on_the_loop.append(True)
        except RuntimeError:  # no event loop in this thread: a worker thread
            checked_on_the_loop.append(False)
        return authenticate(username, password)

    monkeypatch.setattr(repo, "authenticate", watched)
    bench.login()
    page = bench.client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    wrong = bench.client.post("/login", data={"csrf_token": token, "username": "x", "password": "guess"})
    assert wrong.status_code == 401
    assert checked_on_the_loop == [False, False]
