"""Labels by region on the page and report: shown only where the regions differ, the
chosen region first (RRALL_REGION in the workbench settings)."""

from __future__ import annotations

import orjson
import yaml

from rrall.assessment import assess
from rrall.case.load import load_case
from rrall.knowledge.load import KnowledgeBase
from rrall.report.fastjson import assessment_json
from rrall.report.html import ReportContext, clinician_html
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
