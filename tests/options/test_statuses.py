"""Every option reaches each status it can take, on the cases in statuses.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rrall.assessment import Assessment, assess
from rrall.case.load import parse_case
from rrall.knowledge.load import KnowledgeBase, default_knowledge
from rrall.results import OptionResult
from tests.conftest import TODAY, make_case

ROWS: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "statuses.yaml").read_text())["rows"]
# Facts that a case can leave unknown (and everything derived from them: timing, the
# frameworks' groups and HSCT rules); the others are always known from a valid case.
CAN_BE_UNKNOWN = {
    "site", "marrow_involved", "frontline_completed", "months_from_frontline_end", "timing_bfm", "timing_cog",
    "cd19", "cd22", "bcr_abl1", "kinase_mutations", "genetics", "prior_responses", "doxorubicin_equivalent",
    "mrd_end_of_reinduction", "active_cns", "performance", "prior_cranial_radiation",
}


def case_with(changes: dict[str, Any]) -> dict[str, Any]:
    return make_case(**{k: (... if v is None else v) for k, v in changes.items()})


def option(assessment: Assessment, option_id: str) -> OptionResult:
    return next(o for o in assessment.options if o.id == option_id)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['option']}-{r['status']}-{r['proves'][:30]}")
def test_row(row: dict[str, Any], kb: KnowledgeBase) -> None:
    result = option(assess(parse_case(case_with(row["case"]), kb, TODAY), kb), row["option"])
    assert result.status == row["status"], (row["proves"], result.reasons)
    if "phase" in row:
        assert result.phase == row["phase"], row["proves"]
    assert result.reasons and result.citations
    assert set(result.citations) <= set(kb.references)
    if result.status == "insufficient_data":
        assert result.missing, "an undecided option names the data that would decide it"
    for words in row.get("says", []):
        assert words in result.reasons[0], (row["proves"], result.reasons[0])
    for words in row.get("not_says", []):
        assert words not in result.reasons[0], (row["proves"], result.reasons[0])
    for words in row.get("quotes", []):  # the child's values, quoted in some reason
        assert any(words in reason for reason in result.reasons), (row["proves"], result.reasons)


def reachable(option_id: str) -> set[str]:
    therapy = default_knowledge().therapies[option_id]
    statuses = {r.status for r in therapy.rules} | {therapy.default.status}
    if therapy.requires.reads:
        statuses.add("not_eligible")
    facts = therapy.requires.reads.union(*(r.when.reads for r in therapy.rules))
    if len(statuses) > 1 and any(f in CAN_BE_UNKNOWN or "." in f for f in facts):
        statuses.add("insufficient_data")
    return statuses


@pytest.mark.parametrize("option_id", list(default_knowledge().therapies))
def test_every_status_an_option_can_take_has_a_case(option_id: str) -> None:
    covered = {r["status"] for r in ROWS if r["option"] == option_id}
    assert reachable(option_id) <= covered, f"{option_id}: add rows for {reachable(option_id) - covered}"
