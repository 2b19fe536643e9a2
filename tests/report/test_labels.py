"""Labels by region on the page and report: shown only where the regions differ, the
chosen region first (RRALL_REGION in the workbench settings)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import orjson
import yaml
from rich.console import Console

from rrall.assessment import assess
from rrall.case.load import load_case
from rrall.knowledge.load import KnowledgeBase
from rrall.report.fastjson import assessment_json
from rrall.report.html import ReportContext, clinician_html
from rrall.report.text import TextRenderer
from tests.conftest import ROOT


def _html(kb: KnowledgeBase, region: str) -> str:
    path = ROOT / "examples" / "cases" / "post-allo-hsct-relapse.yaml"
    result = orjson.loads(assessment_json(assess(load_case(path, kb), kb)))
    ctx = ReportContext(result, yaml.safe_load(path.read_text()), kb, region=region)
    return " ".join(clinician_html(ctx).split())


def test_the_chosen_region_leads_where_labels_differ(kb: KnowledgeBase) -> None:
    us, eu = _html(kb, "US"), _html(kb, "EU")
    outside_us = "outside the US label (United States, FDA, 2017-08-30:"
    within_eu = "within the EU label (European Union, EMA, 2018-08-22:"
    assert us.count("Label differs by region") >= 2  # tisagenlecleucel and inotuzumab
    assert us.index(outside_us) < us.index(within_eu)
    assert eu.index(within_eu) < eu.index(outside_us)


def _b_marrow_early(kb: KnowledgeBase, tmp_path: Path, assessed: str) -> tuple[str, str]:
    """The example (assessed 2021-10-29) and its inotuzumab US label, read as dated 2024-03-06
    in knowledge/labels.yaml, in the report and the terminal text."""
    raw = yaml.safe_load((ROOT / "examples" / "cases" / "b-marrow-early.yaml").read_text())
    raw["assessment_date"] = assessed
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(raw))
    a = assess(load_case(path, kb), kb)
    result = orjson.loads(assessment_json(a))
    html = " ".join(clinician_html(ReportContext(result, raw, kb, region="US")).split())
    out = io.StringIO()
    TextRenderer(kb, Console(file=out, width=400, highlight=False)).assessment(a)
    return html, " ".join(out.getvalue().split())


def test_a_label_dated_after_the_assessment_is_said_to_be(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A case assessed before the label read was issued is not silently judged by it."""
    html, text = _b_marrow_early(kb, tmp_path, "2021-10-29")
    late = "the US and EU labels are dated after this assessment (2021-10-29): check the label in force then"
    assert "within the US label (United States, FDA, 2024-03-06: Relapsed or refractory" in html
    assert f"T{late[1:]}." in html
    # The terminal summary lists the options to weigh (inotuzumab is for a trial here), each
    # with the regions whose label it read is later than the assessment.
    assert ("Labels dated after 2021-10-29 (check those in force then): Blinatumomab (US); "
            "Inotuzumab ozogamicin (US, EU)") in text
    html, text = _b_marrow_early(kb, tmp_path, "2024-12-01")  # after every label read
    assert "within the US label (United States, FDA, 2024-03-06:" in html
    assert "dated after this assessment" not in html and "Labels dated after" not in text


def test_a_region_without_a_label_is_said_where_it_is_the_chosen_one(kb: KnowledgeBase) -> None:
    """Revumenib has a US label and none in the knowledge base for the EU: an EU reader is
    told so beside the US status (not left to think the option is unlabelled everywhere);
    a US reader sees no such line."""
    path = ROOT / "examples" / "cases" / "primary-refractory.yaml"
    a = assess(load_case(path, kb), kb)
    result = orjson.loads(assessment_json(a))
    said = "no EU label in the knowledge base"
    for region, shown in (("EU", True), ("US", False)):
        html = " ".join(clinician_html(ReportContext(result, yaml.safe_load(path.read_text()), kb,
                                                     region=region)).split())
        out = io.StringIO()
        TextRenderer(kb, Console(file=out, width=400, highlight=False), region=region).assessment(a)
        text = " ".join(out.getvalue().split())
        assert (said in html) is shown and (said in text) is shown, region
        if shown:
            assert "Revumenib (consider here): within the US label; no EU label in the knowledge base" in text


def test_an_unverified_caution_that_may_apply_says_unverified_once(kb: KnowledgeBase) -> None:
    """A conditional caution's text starts with "May apply (...)" before its own "Unverified:
    check against the protocol": the page adds no second "Unverified:" in front of it."""
    page = _html(kb, "US")
    path = ROOT / "examples" / "cases" / "primary-refractory.yaml"
    result = orjson.loads(assessment_json(assess(load_case(path, kb), kb)))
    page += " ".join(clinician_html(ReportContext(result, yaml.safe_load(path.read_text()), kb)).split())
    text = re.sub(r"<[^>]+>", "", page)
    assert "May apply (depends on" in text
    assert not re.search(r"Unverified: May apply \([^)]*\): Unverified", text)
