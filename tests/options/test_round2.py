"""Clinical round 2 (issue 14): prior therapy, Ph+ HSCT, lineage-true prognosis, infants and
age limits, on the cases of round2.yaml (expectations written from the sources first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rrall.assessment import assess
from rrall.case.load import parse_case
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import TODAY
from tests.options.test_statuses import case_with

ROWS: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "round2.yaml").read_text())["rows"]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["proves"][:50])
def test_row(row: dict[str, Any], kb: KnowledgeBase) -> None:
    out = assess(parse_case(case_with(row["case"]), kb, TODAY), kb)
    assert row["source"] in kb.references, "each row names the source it was written from"
    expect = row["expect"]
    options = {o.id: o for o in out.options}
    for option_id, status in expect.get("options", {}).items():
        got = options[option_id]
        assert got.status == status, (row["proves"], option_id, got.status, got.reasons)
    for option_id, ids in expect.get("cautions", {}).items():
        shown = {c.rule for c in options[option_id].cautions}
        assert set(ids) <= shown, (row["proves"], option_id, shown)
    for option_id, ids in expect.get("no_cautions", {}).items():
        shown = {c.rule for c in options[option_id].cautions}
        assert not set(ids) & shown, (row["proves"], option_id, shown)
    for framework, ids in expect.get("risk_cautions", {}).items():
        shown = {c.rule for c in out.risk[framework].cautions}
        assert set(ids) <= shown, (row["proves"], framework, shown)
    for option_id, by_region in expect.get("labels", {}).items():
        shown = {x.region: x.status for x in options[option_id].labels}
        assert shown == {**shown, **by_region}, (row["proves"], option_id, shown)
    for option_id, rule in expect.get("rules", {}).items():
        assert options[option_id].rule == rule, (row["proves"], option_id, options[option_id].rule)
    figures = {p.id for p in out.prognosis}
    assert not set(expect.get("prognosis_absent", [])) & figures, row["proves"]
    assert set(expect.get("prognosis_present", [])) <= figures, (row["proves"], figures)
