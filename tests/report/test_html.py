"""The clinician report and the family summary: content, readability, no figures for families."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from typing import Any

import orjson
import pytest
import textstat

from rrall.assessment import assess
from rrall.case.load import load_case
from rrall.knowledge.load import KnowledgeBase
from rrall.report.charts import mrd_svg, timeline_svg
from rrall.report.fastjson import assessment_json
from rrall.report.html import ReportContext, clinician_html, family_html, family_summary, family_text
from tests.conftest import ROOT
from tests.logscan import LogScan
from tests.web.conftest import EXAMPLES, example

pytestmark = pytest.mark.usefixtures("logscan")  # nothing identifying in the log (tests/logscan.py)


def _result(name: str, kb: KnowledgeBase) -> dict[str, Any]:
    case = load_case(ROOT / "examples" / "cases" / f"{name}.yaml", kb)
    loaded: dict[str, Any] = orjson.loads(assessment_json(assess(case, kb)))
    return loaded


def _visible_text(html: str) -> str:
    body = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize("name", EXAMPLES)
def test_family_summary_is_plain_and_has_no_figures(name: str, kb: KnowledgeBase) -> None:
    html = family_html(_result(name, kb))
    text = _visible_text(html.split("<body>", 1)[1].rsplit('<p class="small">', 1)[0])
    assert textstat.flesch_kincaid_grade(text) <= 8, text
    assert not re.search(r"\d", text), "no numbers a family could misread without their doctor"
    for heading in ("What is happening", "The main choices", "What happens next", "Questions you may want"):
        assert heading in text


def test_family_summary_covers_infections_side_effects_and_support(kb: KnowledgeBase) -> None:
    summary = family_summary(_result("t-marrow-early", kb))
    questions = " ".join(summary["questions"]).lower()
    for topic in ("infection", "side effects", "palliative care", "support"):
        assert topic in questions
    assert any("T-cell" in s for s in summary["about"])


def test_every_option_has_plain_words(kb: KnowledgeBase) -> None:
    assert set(family_text()["options"]) == set(kb.therapies)


def test_each_group_of_family_sentences_reads_at_grade_eight() -> None:
    """Every sentence a summary could pick, group by group (one sentence alone is too short
    for the formula to mean much)."""
    text = family_text()
    for group in ("state", "site", "timing", "lineage", "options"):
        assert textstat.flesch_kincaid_grade(" ".join(text[group].values())) <= 8, group
    for group in ("next_steps", "questions"):
        assert textstat.flesch_kincaid_grade(" ".join(text[group])) <= 8, group


@pytest.mark.parametrize("name", ["b-marrow-early", "ph-positive-t315i", "post-allo-hsct-relapse"])
def test_clinician_report_holds_everything(name: str, kb: KnowledgeBase) -> None:
    result = _result(name, kb)
    html = clinician_html(ReportContext(result, example(name)))
    text = _visible_text(html)
    assert result["case_id"] in text and result["knowledge_version"] in text
    assert result["engine_version"] in text and result["input_sha256"] in text
    assert text.count("does not prescribe") == 1
    for fw in result["risk"].values():
        assert fw["name"] in text
    for option in result["options"]:
        assert option["name"] in text
    for key in result["references"]:
        assert f'id="ref-{key}"' in html  # every citation link resolves inside the report
    cited = set(re.findall(r'href="#ref-([^"]+)"', html))
    assert cited <= set(result["references"])


def test_timeline_and_mrd_chart() -> None:
    document = example("post-allo-hsct-relapse")
    svg = str(timeline_svg(document, {"assessment_date": document.get("assessment_date")}))
    assert svg.startswith("<svg") and "Diagnosis (" in svg and "HSCT (allogeneic)" in svg
    assert "Relapse 1" in svg
    mrd = str(mrd_svg({"mrd": [{"timepoint": "end_of_reinduction", "value": 0.05, "unit": "percent"},
                               {"timepoint": "pre_hsct", "value": 0, "unit": "fraction"}]},
                      (Decimal(0), Decimal("0.001"))))
    assert "5.0×10^-4" in mrd and "not detected" in mrd and "rule threshold 10^-3" in mrd
    assert "No MRD values" in str(mrd_svg({}))
    hostile = str(timeline_svg({"diagnosis": {"date": "2020-01-01", "immunophenotype": "<script>"}}, {}))
    assert "<script>" not in hostile


def test_pdf_rendering_logs_no_report_text(kb: KnowledgeBase, logscan: LogScan) -> None:
    """WeasyPrint logged each character it had no glyph for: a case id in Chinese
    characters went to the log one character at a time. U+0378 is in no font anywhere."""
    from rrall.case.load import parse_case
    from rrall.report.html import to_pdf

    case_id = "病例编号\u0378-7"
    logscan.forbid(case_id)
    document = example("b-marrow-early") | {"id": case_id}
    result: dict[str, Any] = orjson.loads(assessment_json(assess(parse_case(document, kb), kb)))
    pdf = to_pdf(clinician_html(ReportContext(result, document))
                 + '<img src="http://127.0.0.1:9/Patient/123">')  # never fetched: data: URLs only
    assert pdf.startswith(b"%PDF")
    said = [r.getMessage() for r in logscan.records if r.name == "rrall.report"]
    assert len(said) == 1 and "character(s) have no glyph in the installed fonts" in said[0]
