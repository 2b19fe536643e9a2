"""End to end in Debian's Chromium (Playwright, no browser download): log in, create a case
through the form with a validation error corrected on the way, read the assessment, record
a decision, download the PDF and read its text; axe finds no accessibility violations.

Set RRALL_SCREENSHOTS=docs/screenshots to refresh the screenshots the README links to.
"""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from pypdf import PdfReader

from rrall.knowledge.load import KnowledgeBase
from rrall.web.app import create_app
from tests.web.conftest import PASSWORD, example, settings_for

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                                "(.ci/run installs it)")
sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path, kb: KnowledgeBase) -> Iterator[str]:
    app = create_app(settings_for(f"sqlite:///{tmp_path}/rrall.db"), kb)
    app.state.repo.add_user("dr.lee", PASSWORD, "clinician")
    app.state.workbench.create(example("t-marrow-early"), "loader")
    app.state.workbench.create(example("ph-positive-t315i"), "loader")
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not runner.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runner.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    runner.should_exit = True
    thread.join(timeout=10)
    app.state.repo.engine.dispose()


def _shots() -> Path | None:
    folder = os.environ.get("RRALL_SCREENSHOTS")
    return Path(folder) if folder else None


def _accessible(page: object, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def test_clinician_works_a_case_end_to_end(server: str, tmp_path: Path) -> None:
    shots = _shots()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.goto(server + "/cases")
        assert page.url.startswith(server + "/login")
        _accessible(page, "login")
        page.get_by_label("User name").fill("dr.lee")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(server + "/cases")
        assert page.get_by_role("link", name="t-marrow-early").is_visible()
        _accessible(page, "case list")
        if shots:
            page.screenshot(path=str(shots / "cases.png"), full_page=True)

        page.get_by_role("link", name="New case", exact=True).first.click()
        page.locator("#f-id").fill("browser-case")
        page.locator("#f-sex").select_option("male")
        page.locator("#f-date_of_birth").fill("2013-06-31")  # not a real date
        page.locator("#f-diagnosis-date").fill("2018-02-10")
        page.locator("#f-diagnosis-immunophenotype").select_option("B")
        page.locator("#f-diagnosis-frontline_end_date").fill("2020-06-15")
        page.locator("#f-relapses-0-date").fill("2023-01-20")
        page.locator("input[name='relapses[0].sites'][value='bone_marrow']").check()
        page.locator("#f-relapses-0-marrow_blasts_percent").fill("65")
        page.locator("#f-relapses-0-cd19").select_option("positive")
        page.get_by_role("button", name="Save and assess").click()
        error = page.locator("#err-f-date_of_birth")
        assert "not a real calendar date" in error.inner_text()
        assert page.locator("#f-relapses-0-marrow_blasts_percent").input_value() == "65"  # nothing lost
        _accessible(page, "case form with an error")
        if shots:
            page.screenshot(path=str(shots / "case-form-error.png"), full_page=False)
        page.locator("#f-date_of_birth").fill("2013-06-30")
        page.get_by_role("button", name="Save and assess").click()
        page.wait_for_selector("h1:has-text('Case browser-case')")
        assert "late" in page.locator("dl.facts").inner_text()
        assert page.locator("article.fw").count() == 4
        assert page.locator("svg.timeline").is_visible()
        _accessible(page, "assessment")
        if shots:
            page.screenshot(path=str(shots / "assessment.png"), full_page=False)

        page.locator("#decision_date").fill("2026-11-23")
        page.locator("#attendees").fill("Dr Lee\nDr Okafor")
        page.locator("input[name='chosen_options'][value='reinduction_chemotherapy']").check()
        page.locator("#plan").fill("Reinduction per protocol, then reassess MRD")
        page.locator("#rationale").fill("Late isolated marrow relapse; MRD decides HSCT.")
        page.get_by_role("button", name="Record decision").click()
        page.wait_for_selector("article.decision")
        assert "Dr Okafor" in page.locator("article.decision").inner_text()

        with page.expect_download() as download:
            page.locator("#pdf-link").click()
        pdf = tmp_path / "report.pdf"
        download.value.save_as(pdf)
        pages = PdfReader(io.BytesIO(pdf.read_bytes())).pages
        text = " ".join(" ".join(pg.extract_text().split()) for pg in pages)
        assert "browser-case" in text and "Reinduction per protocol" in text and "does not prescribe" in text
        page.goto(server + "/meetings")
        page.locator("#title").fill("Leukemia board")
        page.locator("#meeting_date").fill("2026-11-23")
        page.get_by_role("button", name="Create meeting").click()
        page.wait_for_selector("h1:has-text('Leukemia board')")
        for case in ("browser-case", "t-marrow-early"):
            page.locator("#case").select_option(label=case)
            page.get_by_role("button", name="Add to meeting").click()
        table = page.locator("table.list").inner_text()
        assert "Record decision" in table and "t-marrow-early" in table and "S4" in table
        page.locator("tr", has_text="t-marrow-early").get_by_role("link", name="Record decision").click()
        page.locator("#decision_date").fill("2026-11-23")
        page.locator("#attendees").fill("Dr Lee, Dr Okafor, Dr Haas")
        page.locator("#plan").fill("T-ALL: nelarabine-based reinduction, then HSCT")
        page.get_by_role("button", name="Record decision").click()
        page.wait_for_selector("h1:has-text('Leukemia board')")  # back on the meeting's list
        assert "nelarabine-based reinduction" in page.locator("table.list").inner_text()
        _accessible(page, "meeting")
        if shots:
            page.screenshot(path=str(shots / "meetings.png"))
        browser.close()


def test_tablet_layout_has_no_horizontal_scroll(server: str) -> None:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 768, "height": 1024})
        page.goto(server + "/login")
        page.get_by_label("User name").fill("dr.lee")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(server + "/cases")
        for path in ("/cases", "/cases/new", "/cases/1"):
            page.goto(server + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 768, f"{path} is {width}px wide on a tablet"
        browser.close()
