"""Frameworks are named only by data: a toy fifth framework (toy-framework.yaml, added to a
copy of the bundled knowledge) shows on every surface without a line of code naming it:
the text summary, JSON, the workbench's assessment page, FHIR RiskAssessments and the
cohort summary."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rrall.cli import app as cli
from rrall.knowledge.load import KnowledgeBase, load_knowledge
from rrall.lint import lint
from rrall.web.app import create_app
from tests.conftest import ROOT
from tests.databases import db_url
from tests.web.conftest import PASSWORD, Workbench, example, settings_for

__all__ = ["db_url"]  # the database fixture (SQLite, and PostgreSQL where it runs)
CASE = ROOT / "examples" / "cases" / "b-marrow-late.yaml"


@pytest.fixture(scope="module")
def toy_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("toy") / "knowledge"
    shutil.copytree(ROOT / "knowledge", root)
    shutil.copy(Path(__file__).parent / "toy-framework.yaml", root / "frameworks" / "toy.yaml")
    manifest = root / "manifest.yaml"
    text = manifest.read_text()
    assert "frameworks: [bfm, intreall, cog, uk]" in text
    manifest.write_text(
        text.replace("frameworks: [bfm, intreall, cog, uk]", "frameworks: [bfm, intreall, cog, uk, toy]")
    )
    return root


@pytest.fixture(scope="module")
def toy_kb(toy_knowledge: Path) -> KnowledgeBase:
    return load_knowledge(toy_knowledge)


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_toy_knowledge_passes_lint(toy_knowledge: Path) -> None:
    problems = [p for p in lint(toy_knowledge) if "SHA256SUMS" not in p]
    assert problems == []


def test_text_and_json(toy_knowledge: Path) -> None:
    text = run("assess", str(CASE), "--knowledge", str(toy_knowledge))
    assert "Toy" in text and "higher" in text
    document = json.loads(run("assess", str(CASE), "--knowledge", str(toy_knowledge), "--format", "json"))
    toy = document["risk"]["toy"]
    assert (toy["name"], toy["status"], toy["group"], toy["hsct_in_cr2"]) == (
        "Toy 2026 (lower / higher)",
        "assigned",
        "higher",
        "indicated",
    )
    assert "toy.marrow" in toy["rules"] and "toy.hsct.higher" in toy["rules"]


def test_fhir_risk_assessments(toy_knowledge: Path) -> None:
    bundle = json.loads(run("assess", str(CASE), "--knowledge", str(toy_knowledge), "--format", "fhir"))
    methods = [
        entry["resource"]["method"]["coding"][0]["code"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "RiskAssessment"
    ]
    assert methods == ["bfm", "intreall", "cog", "uk", "toy"]


@pytest.fixture
def toy_bench(db_url: str, toy_kb: KnowledgeBase) -> Iterator[Workbench]:
    app = create_app(settings_for(db_url), toy_kb)
    app.state.repo.add_user("clinician", PASSWORD, "clinician")
    tokens = {"clinician": app.state.repo.issue_token("clinician", "tests")}
    with TestClient(app) as client:
        yield Workbench(app, client, tokens)
    app.state.repo.engine.dispose()


def test_workbench_page(toy_bench: Workbench) -> None:
    created = toy_bench.client.post("/api/v1/cases", json=example("b-marrow-late"), headers=toy_bench.auth())
    assert created.status_code in (200, 201), created.text
    toy_bench.login()
    page = toy_bench.client.get(f"/cases/{created.json()['id']}")
    assert page.status_code == 200
    assert ">Toy<" in page.text and "higher" in page.text


def test_cohort_summary(toy_knowledge: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(
        "cohort",
        str(ROOT / "examples" / "cohort" / "synthetic-200.csv"),
        "--out",
        str(out),
        "--workers",
        "1",
        "--knowledge",
        str(toy_knowledge),
    )
    table = pl.read_parquet(out / "results.parquet")
    assert "toy_group" in table.columns and table["toy_group"].is_in(["lower", "higher"]).any()
    html = (out / "summary.html").read_text()
    assert "Toy" in html
