"""In Debian's Chromium: after a knowledge release is installed, the case it changes is flagged
on the case list, the changes are one click away, and an explicit re-assessment keeps both
assessments in the history (axe finds no accessibility violation on the changes page)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rrall.knowledge.load import KnowledgeBase
from rrall.web.app import create_app
from rrall.web.releases import install_release
from tests.release.fixture import make_release
from tests.web.conftest import PASSWORD, example, settings_for
from tests.web.test_browser import ARGS, CHROMIUM, _accessible, _shots, serve

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def upgraded(tmp_path: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("RRALL_HOME", str(tmp_path / "home"))
    url = f"sqlite:///{tmp_path}/rrall.db"
    before = create_app(settings_for(url), kb)
    before.state.repo.add_user("dr.lee", PASSWORD, "clinician")
    for name in ("b-marrow-late", "t-marrow-early"):
        before.state.workbench.create(example(name), "loader")
    install_release(before.state.repo, str(make_release(tmp_path / "new")), actor="cli")
    before.state.repo.engine.dispose()
    app = create_app(settings_for(url))  # restarted: the newest release is in use
    yield from serve(app)


def test_flag_changes_and_explicit_reassessment(upgraded: str) -> None:
    server = upgraded
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(server + "/cases")
        page.get_by_label("User name").fill("dr.lee")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(server + "/cases")
        flag = page.get_by_role("link", name="knowledge 2027.1.0 changes: HSCT rule (BFM)")
        assert flag.count() == 1  # b-marrow-late only; t-marrow-early is unchanged
        flag.click()
        page.wait_for_selector("h1:has-text('what knowledge 2027.1.0 changes')")
        table = page.locator("table.changes").inner_text()
        assert "HSCT rule" in table and "not indicated" in table
        assert "bfm.hsct.s2_marrow_mrd_high" not in table, "rule ids wait behind their toggle"
        # the HSCT rule's own row (its unverified caution changes with it, in rows of their own)
        row = page.locator("table.changes tr").filter(has=page.locator("th", has_text="HSCT rule"))
        row.locator("summary", has_text="Rule ids").last.click()  # the rules now
        assert "bfm.hsct.s2_marrow_mrd_high" in page.locator("table.changes").inner_text()
        _accessible(page, "knowledge changes")
        shots = _shots()
        if shots:
            for width in (1280, 768):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=str(shots / f"knowledge-changes-{width}.png"), full_page=True)
            page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("button", name="Assess again with knowledge 2027.1.0").click()
        page.wait_for_selector("h1:has-text('Case b-marrow-late')")
        assert "knowledge base 2027.1.0" in page.locator("p.meta").inner_text()
        history = page.locator("details.part:has-text('Earlier assessments')").inner_text()
        assert "Earlier assessments of this case (2)" in history
        page.goto(server + "/cases")
        assert page.get_by_role("link", name="knowledge 2027.1.0 changes: HSCT rule (BFM)").count() == 0
        browser.close()
