"""`rrall users` and `rrall report` from the command line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from rrall.cli import app
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("logscan")  # nothing identifying in the log (tests/logscan.py)

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RRALL_DATABASE_URL", f"sqlite:///{tmp_path}/rrall.db")
    monkeypatch.setenv("RRALL_HOME", str(tmp_path))
    return tmp_path


def test_users_add_token_list_disable(home: Path) -> None:
    added = runner.invoke(app, ["users", "add", "dr.lee", "--role", "clinician", "--password-stdin"],
                          input="a long enough password\n")
    assert added.exit_code == 0, added.output
    again = runner.invoke(app, ["users", "add", "dr.lee", "--password-stdin"],
                          input="a long enough password\n")
    assert again.exit_code == 2 and "already exists" in again.output
    short = runner.invoke(app, ["users", "add", "x", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 10" in short.output
    bad_role = runner.invoke(app, ["users", "add", "x", "--role", "god", "--password-stdin"], input="x" * 12)
    assert bad_role.exit_code == 2 and "allowed: viewer, clinician, admin" in bad_role.output
    token = runner.invoke(app, ["users", "token", "dr.lee"])
    assert token.exit_code == 0 and len(token.output.strip()) > 30
    assert runner.invoke(app, ["users", "token", "nobody"]).exit_code == 2
    listed = runner.invoke(app, ["users", "list"])
    assert "dr.lee\tclinician\tactive" in listed.output
    assert "1 token(s)" in runner.invoke(app, ["users", "revoke-tokens", "dr.lee"]).output
    assert runner.invoke(app, ["users", "disable", "dr.lee"]).exit_code == 0
    assert "disabled" in runner.invoke(app, ["users", "list"]).output


def test_users_set_password(home: Path) -> None:
    from rrall.web.cli import _repo

    runner.invoke(app, ["users", "add", "dr.lee", "--password-stdin"], input="a long enough password\n")
    changed = runner.invoke(app, ["users", "set-password", "dr.lee", "--password-stdin"],
                            input="another long password\n")
    assert changed.exit_code == 0, changed.output
    repo = _repo()
    assert repo.authenticate("dr.lee", "another long password") is not None
    assert repo.authenticate("dr.lee", "a long enough password") is None
    assert any(e.action == "user.password" for e in repo.audit_log())
    nobody = runner.invoke(app, ["users", "set-password", "nobody", "--password-stdin"],
                           input="x" * 12 + "\n")
    assert nobody.exit_code == 2
    short = runner.invoke(app, ["users", "set-password", "dr.lee", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 10" in short.output


def test_report_html_and_pdf(tmp_path: Path) -> None:
    case = ROOT / "examples" / "cases" / "b-iem-late.yaml"
    html = runner.invoke(app, ["report", str(case), "--out", str(tmp_path / "r.html"), "--patient-name",
                               "Ana Test", "--mrn", "MRN-77"])
    assert html.exit_code == 0, html.output
    written = (tmp_path / "r.html").read_text()
    assert "Relapsed or refractory ALL: board summary" in written
    assert "Ana Test" in written and "MRN-77" in written
    spanish = runner.invoke(app, ["report", str(case), "--family", "--lang", "es", "--contact", "Planta 5",
                                  "--out", str(tmp_path / "es.html")])
    assert spanish.exit_code == 0, spanish.output
    assert "Un resumen para su familia" in (tmp_path / "es.html").read_text()
    assert "Planta 5" in (tmp_path / "es.html").read_text()
    unknown = runner.invoke(app, ["report", str(case), "--family", "--lang", "xx"])
    assert unknown.exit_code == 2 and "allowed: en, es" in unknown.output
    pdf = runner.invoke(app, ["report", str(case), "--family", "--format", "pdf",
                              "--out", str(tmp_path / "f.pdf")])
    assert pdf.exit_code == 0, (pdf.output, pdf.exception)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO((tmp_path / "f.pdf").read_bytes())).pages)
    assert "A summary for your family" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nsex: robot\n")
    refused = runner.invoke(app, ["report", str(bad)])
    assert refused.exit_code == 2 and "sex" in refused.output


def test_bad_settings_are_a_clear_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RRALL_SECRET_KEY", "short")
    result = runner.invoke(app, ["users", "list"])
    assert result.exit_code == 2 and "setting secret_key (RRALL_SECRET_KEY)" in result.output
    monkeypatch.delenv("RRALL_SECRET_KEY")
    monkeypatch.setenv("RRALL_SETTINGS", str(home / "missing.toml"))
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2 and "cannot read the settings file" in result.output
