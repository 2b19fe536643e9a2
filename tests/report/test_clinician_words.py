"""Every example rendered on every surface a person reads (the assessment page, the
clinician report as HTML and as PDF text, the family summaries, the command line's text
and the CDS Hooks cards) holds no developer token: field paths, rule ids, '->', '10^-',
None, 'the brief', snake_case vocabulary. Engine text still pending its rewrite is listed,
pattern by pattern, in tokens.ENGINE_PENDING."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from rich.console import Console

from rrall.assessment import Assessment, assess
from rrall.case.load import load_case
from rrall.fhir.cards import assessment_cards, source
from rrall.knowledge.load import KnowledgeBase
from rrall.report.family import family_html
from rrall.report.fastjson import assessment_json
from rrall.report.html import ReportContext, clinician_html, to_pdf
from rrall.report.text import TextRenderer
from rrall.web.app import create_app
from tests.conftest import ROOT
from tests.report.test_html import visible_text
from tests.report.tokens import CARDS_PENDING, ENGINE_PENDING, developer_tokens
from tests.web.conftest import EXAMPLES, PASSWORD, example, settings_for


def _assessed(name: str, kb: KnowledgeBase) -> tuple[Assessment, dict[str, Any]]:
    a = assess(load_case(ROOT / "examples" / "cases" / f"{name}.yaml", kb), kb)
    return a, orjson.loads(assessment_json(a))


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, kb: KnowledgeBase) -> Iterator[dict[str, str]]:
    """Every example's assessment page, as the workbench serves it."""
    folder = tmp_path_factory.mktemp("words")
    app = create_app(settings_for(f"sqlite:///{folder}/rrall.db"), kb)
    app.state.repo.add_user("dr.lee", PASSWORD, "clinician")
    ids = {name: app.state.workbench.create(example(name), "loader")[0].id for name in EXAMPLES}
    with TestClient(app) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        client.post("/login", data={"csrf_token": token.group(1), "username": "dr.lee", "password": PASSWORD,
                                    "next": "/cases"})
        yield {name: client.get(f"/cases/{pk}").text for name, pk in ids.items()} | {
            "the case list": client.get("/cases").text, "the case form": client.get("/cases/new").text}
    app.state.repo.engine.dispose()


@pytest.mark.parametrize("name", [*EXAMPLES, "the case list", "the case form"])
def test_workbench_pages(name: str, pages: dict[str, str]) -> None:
    assert developer_tokens(visible_text(pages[name])) == []


@pytest.mark.parametrize("name", EXAMPLES)
def test_reports_and_text(name: str, kb: KnowledgeBase) -> None:
    a, result = _assessed(name, kb)
    report = clinician_html(ReportContext(result, example(name), kb))
    assert developer_tokens(visible_text(report)) == [], "clinician report"
    for lang in ("en", "es"):
        assert developer_tokens(visible_text(family_html(result, example(name), kb, lang))) == [], lang
    for full in (False, True):
        out = io.StringIO()
        renderer = TextRenderer(kb, Console(file=out, width=120, highlight=False), full=full)
        renderer.assessment(a)
        assert developer_tokens(out.getvalue()) == [], f"rrall assess{' --full' if full else ''}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_pdf_text_of_the_summary(name: str, kb: KnowledgeBase) -> None:
    _a, result = _assessed(name, kb)
    html = clinician_html(ReportContext(result, example(name), kb), appendix=False)
    pdf = PdfReader(io.BytesIO(to_pdf(html)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert developer_tokens(" ".join(text.split())) == []


def test_pdf_text_with_the_appendix(kb: KnowledgeBase) -> None:
    _a, result = _assessed("b-combined-late", kb)
    pdf = PdfReader(io.BytesIO(to_pdf(clinician_html(ReportContext(result, example("b-combined-late"), kb)))))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    # A PDF line break can split a pending pattern; join hyphenated breaks as the HTML has them.
    assert developer_tokens(text.replace("- ", "-")) == []


@pytest.mark.parametrize("name", EXAMPLES)
def test_cds_cards(name: str, kb: KnowledgeBase) -> None:
    _a, result = _assessed(name, kb)
    names = {fw.id: fw.short_name for fw in kb.frameworks.values()}
    cards = assessment_cards(result, source(result["knowledge_version"]), None, names, kb.glossary)
    text = " ".join(f"{c['summary']} {c['detail']}" for c in cards)
    assert developer_tokens(text, ENGINE_PENDING + CARDS_PENDING) == []


def test_the_check_finds_each_kind_of_token() -> None:
    """The check is not vacuous: each kind of token is found in text the surfaces no longer write."""
    samples = {"relapses[-1].cd19": "relapses[-1]", "mrd[timepoint=end_of_reinduction]": "[timepoint=",
               "UNCERTAIN (bfm.t.marrow)": "bfm.t.marrow", "Group high -> HSCT": "->", "MRD 10^-4": "10^-",
               "era: None": "None", "recorded in the brief": "the brief", "site: bone_marrow": "bone_marrow",
               "reinduction: not_completed": "not_completed"}
    for text, token in samples.items():
        assert token in developer_tokens(text, ()), text


def test_pending_patterns_are_documented() -> None:
    for pattern, why in ENGINE_PENDING + CARDS_PENDING:
        re.compile(pattern)
        assert ".py" in why or "YAML" in why, pattern


def test_the_pending_list_lives_in_one_place() -> None:
    assert Path(__file__).with_name("tokens.py").read_text(encoding="utf-8").count("ENGINE_PENDING") >= 2
