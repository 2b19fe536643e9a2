"""Installing a knowledge release in the workbench: checked and audited, stored assessments
untouched, the cases it would change flagged on the case list and the agenda with the
changes one click away, explicit re-assessment keeping both, and every stored assessment
made again byte for byte from its case version and knowledge version."""

from __future__ import annotations

import shutil
import tarfile
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rrall.errors import ReleaseError
from rrall.knowledge.load import KnowledgeBase
from rrall.store.releases import Releases
from rrall.web.app import create_app
from rrall.web.releases import install_release
from tests.release.fixture import make_release
from tests.web.conftest import PASSWORD, example, settings_for

CASES = ("b-marrow-late", "ph-positive-t315i", "post-allo-hsct-relapse", "b-combined-late", "t-marrow-early")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RRALL_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _login(client: TestClient, role: str) -> None:
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    done = client.post(
        "/login",
        data={"csrf_token": token.group(1), "username": role, "password": PASSWORD, "next": "/cases"},
        follow_redirects=False,
    )
    assert done.status_code == 303


def test_install_flags_cases_and_reassessment_keeps_both(
    db_url: str, kb: KnowledgeBase, home: Path, tmp_path: Path
) -> None:
    app = create_app(settings_for(db_url), kb)
    repo, wb = app.state.repo, app.state.workbench
    for role in ("clinician", "admin"):
        repo.add_user(role, PASSWORD, role)
    pks = {name: wb.create(example(name), "loader")[0].id for name in CASES}
    stored = {r.id: r.result_json for pk in pks.values() for r in repo.assessments(pk)}
    meeting = repo.create_meeting("Board", date(2027, 1, 20), "clinician", list(pks.values()))

    release = make_release(tmp_path / "new")
    with pytest.raises(ReleaseError, match="needs an administrator"):
        install_release(repo, str(release), actor="clinician")
    done = install_release(repo, str(release), actor="admin")
    assert (done.version, done.cases, done.flagged, done.skipped) == ("2027.1.0", len(CASES), 3, [])
    assert (home / "knowledge" / "2027.1.0" / "SHA256SUMS").is_file()
    assert (home / "knowledge" / kb.version / "SHA256SUMS").is_file()  # the old release stays loadable
    audit = [e for e in repo.audit_log() if e.action == "knowledge.install"]
    assert audit and audit[0].actor == "admin" and audit[0].detail["cases_flagged"] == 3
    assert {r.id: r.result_json for pk in pks.values() for r in repo.assessments(pk)} == stored
    app.state.repo.engine.dispose()

    restarted = create_app(settings_for(db_url))  # the workbench now uses the newest release
    wb = restarted.state.workbench
    assert wb.kb.version == "2027.1.0"
    assert set(Releases(wb.repo).flags("2027.1.0")) == {
        pks[n] for n in ("b-marrow-late", "ph-positive-t315i", "post-allo-hsct-relapse")
    }
    with TestClient(restarted) as client:
        _login(client, "clinician")
        listed = client.get("/cases").text
        assert "knowledge 2027.1.0 changes: HSCT rule (BFM)" in listed
        assert "knowledge 2027.1.0 changes: Blinatumomab status" in listed
        assert listed.count("knowledge 2027.1.0 changes") == 3
        agenda = client.get(f"/meetings/{meeting.id}").text
        assert agenda.count("knowledge 2027.1.0 changes") == 3
        case_page = client.get(f"/cases/{pks['b-marrow-late']}").text
        assert "knowledge 2027.1.0 changes: HSCT rule (BFM)" in case_page
        assert "this assessment is unchanged until you assess again" in case_page
        page = client.get(f"/cases/{pks['b-marrow-late']}/knowledge-changes")
        assert page.status_code == 200
        assert "not indicated" in page.text and "bfm.hsct.s2_marrow_mrd_high" in page.text
        assert f"/knowledge/diff?old={kb.version}&amp;new=2027.1.0" in page.text
        diff = client.get(f"/knowledge/diff?old={kb.version}&new=2027.1.0")
        assert diff.status_code == 200 and "0.01 %" in diff.text
        assert client.get(f"/cases/{pks['t-marrow-early']}/knowledge-changes").status_code == 404
        outside = client.get(f"/knowledge/diff?old=../../{kb.version}&new=2027.1.0")  # never a path
        assert outside.status_code == 404

        token = client.cookies.get("rrall_csrf") or ""
        import re

        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None, token
        again = client.post(
            f"/cases/{pks['b-marrow-late']}/reassess",
            data={"csrf_token": csrf.group(1)},
            follow_redirects=False,
        )
        assert again.status_code == 303
        history = wb.repo.assessments(pks["b-marrow-late"])
        assert [a.knowledge_version for a in history] == ["2027.1.0", kb.version]
        assert history[1].result_json == stored[history[1].id]  # the earlier one is unchanged
        assert "knowledge 2027.1.0 changes: HSCT rule" not in client.get("/cases").text

        for record in history:  # each made again from its case version and knowledge version
            assert wb.reproduce(record.id) == record.result_json.encode()
    restarted.state.repo.engine.dispose()


def test_install_refuses_a_release_that_does_not_match_its_manifest(
    db_url: str, kb: KnowledgeBase, home: Path, tmp_path: Path
) -> None:
    app = create_app(settings_for(db_url), kb)
    release = make_release(tmp_path / "new")
    therapies = release / "therapies.yaml"
    therapies.write_text(therapies.read_text() + "\n# changed after the manifest\n")
    with pytest.raises(ReleaseError, match=r"therapies.yaml: its contents differ"):
        install_release(app.state.repo, str(release))
    assert Releases(app.state.repo).releases() == []
    app.state.repo.engine.dispose()


def test_the_workbench_refuses_a_kept_release_changed_after_install(
    kb: KnowledgeBase, home: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/rrall.db"
    app = create_app(settings_for(url), kb)
    install_release(app.state.repo, str(make_release(tmp_path / "new")))
    app.state.repo.engine.dispose()
    kept = home / "knowledge" / "2027.1.0" / "prognosis.yaml"
    kept.write_text(kept.read_text().replace("value_percent: 31.0", "value_percent: 61.0"))
    with pytest.raises(ReleaseError, match=r"prognosis\.yaml: its contents differ"):
        create_app(settings_for(url))


def test_install_from_an_archive(kb: KnowledgeBase, home: Path, tmp_path: Path) -> None:
    app = create_app(settings_for(f"sqlite:///{tmp_path}/rrall.db"), kb)
    release = make_release(tmp_path / "rrall-knowledge-2027.1.0")
    archive = tmp_path / "release.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(release, arcname="rrall-knowledge-2027.1.0")
    shutil.rmtree(release)
    assert install_release(app.state.repo, str(archive)).version == "2027.1.0"
    again = install_release(app.state.repo, str(archive))  # the same release again: nothing new
    assert len(Releases(app.state.repo).releases()) == 1 and again.version == "2027.1.0"
    app.state.repo.engine.dispose()


def test_a_running_workbench_uses_a_release_installed_meanwhile(
    db_url: str, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rrall knowledge install` beside a running workbench: new assessments use the new
    release without a restart (checked at most every few seconds); a release changed after
    its install is refused, and the one in use stays in use."""
    from rrall.web import workbench as workbench_module

    monkeypatch.setattr(workbench_module, "RECHECK_SECONDS", 0.0)
    app = create_app(settings_for(db_url))  # follows the installed releases (none yet: the bundled one)
    repo = app.state.repo
    repo.add_user("clinician", PASSWORD, "clinician")
    auth = {"Authorization": f"Bearer {repo.issue_token('clinician', 'tests')}"}
    with TestClient(app) as client:
        bundled = client.get("/api/v1/knowledge").json()["knowledge_version"]
        install_release(repo, str(make_release(tmp_path / "new")))  # as the CLI would, meanwhile
        assert client.get("/api/v1/knowledge").json()["knowledge_version"] == "2027.1.0"
        made = client.post("/api/v1/assess", json=example("b-marrow-late"), headers=auth)
        assert made.status_code == 200 and made.json()["knowledge_version"] == "2027.1.0"

        later = make_release(tmp_path / "later", version="2027.2.0")
        install_release(repo, str(later))
        kept = home / "knowledge" / "2027.2.0" / "prognosis.yaml"
        kept.write_text(kept.read_text() + "\n# changed after the install\n")
        assert client.get("/api/v1/knowledge").json()["knowledge_version"] == "2027.1.0"
        assert bundled != "2027.1.0"
    repo.engine.dispose()
