"""`rrall knowledge manifest|verify|sign|diff|impact|install|releases`: output and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rrall.cli import app
from rrall.knowledge.load import KnowledgeBase, default_knowledge_dir
from tests.conftest import ROOT

runner = CliRunner()
EXAMPLES = str(ROOT / "examples" / "cases")


def test_manifest_and_verify(tmp_path: Path) -> None:
    root = shutil.copytree(default_knowledge_dir(), tmp_path / "k")
    done = runner.invoke(app, ["knowledge", "manifest", str(root)])
    assert done.exit_code == 0 and "SHA256SUMS" in done.output
    assert runner.invoke(app, ["knowledge", "verify", str(root)]).exit_code == 0
    (root / "evidence.yaml").write_text((root / "evidence.yaml").read_text() + "\n")
    bad = runner.invoke(app, ["knowledge", "verify", str(root)])
    assert bad.exit_code == 2
    assert "evidence.yaml: its contents differ" in bad.output and "rrall knowledge manifest" in bad.output
    unknown = runner.invoke(app, ["knowledge", "verify", "1999.1.0"])
    assert unknown.exit_code == 2 and "the releases known here are: bundled" in unknown.output


def test_sign_then_verify_with_the_site_key(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    root = shutil.copytree(default_knowledge_dir(), tmp_path / "k")
    key = Ed25519PrivateKey.generate()
    (tmp_path / "c.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (tmp_path / "p.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    signed = runner.invoke(app, ["knowledge", "sign", "--key", str(tmp_path / "c.pem"), str(root)])
    assert signed.exit_code == 0, signed.output
    checked = runner.invoke(app, ["knowledge", "verify", str(root), "--public-key", str(tmp_path / "p.pem")])
    assert checked.exit_code == 0 and "signature verifies" in checked.output


def test_diff_text_and_json(new_release: Path) -> None:
    text = runner.invoke(app, ["knowledge", "diff", "bundled", str(new_release)])
    assert text.exit_code == 0 and "bfm.hsct.s2_marrow_mrd_high (threshold)" in text.output
    data = json.loads(
        runner.invoke(app, ["knowledge", "diff", "bundled", str(new_release), "-f", "json"]).output
    )
    assert data["new_version"] == "2027.1.0"
    assert {f["file"] for f in data["files"]} >= {"frameworks/bfm.yaml", "therapies.yaml", "prognosis.yaml"}


def test_impact_text_and_json(new_release: Path) -> None:
    text = runner.invoke(app, ["knowledge", "impact", "bundled", str(new_release), EXAMPLES])
    assert text.exit_code == 0, text.output
    assert "24 case(s) compared, 3 would change" in text.output
    assert "HSCT rule, BFM: not indicated -> indicated" in text.output
    assert "option status, Blinatumomab: Consider -> Standard" in text.output
    data = json.loads(
        runner.invoke(
            app, ["knowledge", "impact", "bundled", str(new_release), EXAMPLES, "--format", "json"]
        ).output
    )
    assert data["cases_changed"] == 3 and data["summary"]["option_status"] == 1
    assert runner.invoke(app, ["knowledge", "impact", "bundled", str(new_release)]).exit_code == 2


def test_impact_on_json_lines_in_parallel_agrees(
    tmp_path: Path, new_release: Path, kb: KnowledgeBase
) -> None:
    """Enough lines for forked workers: the same cases change as one by one."""
    from rrall.knowledge.load import load_knowledge
    from rrall.release import parallel
    from rrall.release.impact import Impact

    lines = [
        json.dumps({**json.loads(json.dumps(_example(n))), "id": f"{n}-{i}"})
        for i in range(120)
        for n in ("b-marrow-late", "ph-positive-t315i", "t-marrow-early", "b-iem-late")
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n{not json\n")
    new = load_knowledge(new_release)
    run = Impact(kb, new)
    old_chunk, old_from = parallel.CHUNK, parallel.PARALLEL_FROM
    parallel.CHUNK, parallel.PARALLEL_FROM = 100, 200
    try:
        parallel.run_jsonl(run, path, workers=2)
    finally:
        parallel.CHUNK, parallel.PARALLEL_FROM = old_chunk, old_from
    report = run.finish()
    assert report.cases == 481 and len(report.errors) == 1
    assert {c.case_id.rsplit("-", 1)[0] for c in report.changed} == {"b-marrow-late", "ph-positive-t315i"}
    assert len(report.changed) == 240


def _example(name: str) -> dict[str, object]:
    import yaml

    from rrall.case.untrusted import as_json_document

    loaded = as_json_document(yaml.safe_load((ROOT / "examples" / "cases" / f"{name}.yaml").read_text()))
    assert isinstance(loaded, dict)
    return loaded


def test_install_and_releases(tmp_path: Path, new_release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RRALL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RRALL_DATABASE_URL", f"sqlite:///{tmp_path}/rrall.db")
    assert "No release installed" in runner.invoke(app, ["knowledge", "releases"]).output
    done = runner.invoke(app, ["knowledge", "install", str(new_release)])
    assert done.exit_code == 0, done.output
    assert "knowledge 2027.1.0 installed" in done.output and "Restart the workbench" in done.output
    assert "2027.1.0" in runner.invoke(app, ["knowledge", "releases"]).output
    nobody = runner.invoke(app, ["knowledge", "install", str(new_release), "--by", "nobody"])
    assert nobody.exit_code == 2 and "needs an administrator" in nobody.output


def test_impact_on_the_stored_cases(
    tmp_path: Path, new_release: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rrall.web.app import create_app
    from rrall.web.settings import load_settings
    from tests.web.conftest import example

    monkeypatch.setenv("RRALL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RRALL_DATABASE_URL", f"sqlite:///{tmp_path}/rrall.db")
    web = create_app(load_settings(), kb)
    for name in ("ph-positive-t315i", "t-marrow-early"):
        web.state.workbench.create(example(name), "loader")
    web.state.repo.engine.dispose()
    done = runner.invoke(app, ["knowledge", "impact", "bundled", str(new_release), "--store"])
    assert done.exit_code == 0, done.output
    assert "2 case(s) compared, 1 would change" in done.output and "Case ph-positive-t315i" in done.output
