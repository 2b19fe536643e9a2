"""The coordinator's view is worded the same on every surface: each free-text bullet and
each unknown criterion of a trial appears with the same words in the JSON, the text
output (`rrall assess --full`, `rrall trials match`) and the clinician report / workbench
evidence section; unknown-status trials are listed in their own marked group."""

from __future__ import annotations

import html
from typing import Any

import orjson
import yaml
from typer.testing import CliRunner

from rrall.assessment import assess
from rrall.case.load import load_case
from rrall.cli import app
from rrall.knowledge.load import KnowledgeBase
from rrall.report.fastjson import assessment_json
from rrall.report.html import ReportContext, clinician_html
from tests.conftest import ROOT

runner = CliRunner()
EXAMPLE = ROOT / "examples" / "cases" / "b-marrow-early.yaml"


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_unknown_criteria_have_the_same_words_everywhere(kb: KnowledgeBase) -> None:
    result: dict[str, Any] = orjson.loads(assessment_json(assess(load_case(EXAMPLE, kb), kb)))
    unknown = [
        c["detail"]
        for t in result["trials"]
        if t["status"] != "ineligible"
        for c in t["criteria"]
        if c["result"] == "unknown"
    ]
    assert any(d.startswith("check with the trial team: ") for d in unknown)
    document = yaml.safe_load(EXAMPLE.read_text())
    report = _flat(html.unescape(clinician_html(ReportContext(result, document, kb))))
    text = _flat(runner.invoke(app, ["assess", str(EXAMPLE), "--full"], terminal_width=400).output)
    match = _flat(runner.invoke(app, ["trials", "match", str(EXAMPLE)], terminal_width=400).output)
    for detail in unknown:
        said = _flat(detail)
        assert said in report and said in text and said in match, detail
    assert "free-text criteria to review" not in text + match  # listed in words, never a count


def test_unknown_status_trials_are_listed_in_their_own_group(kb: KnowledgeBase) -> None:
    result: dict[str, Any] = orjson.loads(assessment_json(assess(load_case(EXAMPLE, kb), kb)))
    groups = {t["id"]: t["status_group"] for t in result["trials"]}
    assert groups["NCT05761171"] == "status_unknown" and "NCT04546399" not in groups
    text = runner.invoke(app, ["assess", str(EXAMPLE), "--full"], terminal_width=400).output
    assert "Clinical trials of unknown status (confirm it first)" in text
