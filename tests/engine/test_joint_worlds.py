"""Joint worlds, from the cases in joint_worlds.yaml (expectations written from the
frameworks' tables before running rrall): conclusions that every world agrees on are
settled; the others are insufficient_data with their branches in order."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from rrall import assess
from rrall.case.load import parse_case
from rrall.knowledge.load import KnowledgeBase

CASES = yaml.safe_load((Path(__file__).parent / "joint_worlds.yaml").read_text())["cases"]
PATIENT = {"id": "joint", "sex": "female", "date_of_birth": "2010-05-01"}


def assessed(kb: KnowledgeBase, case: dict[str, Any]) -> dict[str, Any]:
    whole = {**PATIENT, "assessment_date": "2019-06-01", **case}
    result = assess(parse_case(whole, kb, date(2019, 6, 1)), kb)
    return result.model_dump(mode="json")


@pytest.mark.parametrize("row", CASES, ids=[row["name"] for row in CASES])
def test_joint_worlds(kb: KnowledgeBase, row: dict[str, Any]) -> None:
    out = assessed(kb, row["case"])
    expect = row["expect"]
    for framework, wanted in expect.get("risk", {}).items():
        got = out["risk"][framework]
        for key in ("status", "group", "hsct_in_cr2"):
            if key in wanted:
                assert got[key] == wanted[key], f"{framework} {key}: {got[key]} ({got['reasons']})"
        if "branches" in wanted:
            pairs = [[b["group"], b["hsct_in_cr2"]] for b in got["branches"]]
            assert pairs == wanted["branches"], f"{framework} branches"
        if "branches_any_order" in wanted:
            pairs = [[b["group"], b["hsct_in_cr2"]] for b in got["branches"]]
            assert sorted(map(str, pairs)) == sorted(map(str, wanted["branches_any_order"]))
    options = {option["id"]: option for option in out["options"]}
    for option_id, wanted in expect.get("options", {}).items():
        got = options[option_id]
        assert got["status"] == wanted["status"], f"{option_id}: {got['status']} ({got['reasons']})"
        assert [b["status"] for b in got["branches"]] == wanted["branches"], f"{option_id} branches"
        if "branch_labels" in wanted:
            labels = [[c["label"] for c in b["when"]] for b in got["branches"]]
            assert labels == wanted["branch_labels"], f"{option_id} branch conditions"
    missing = {item["field"] for item in out["missing_data"]}
    for field in expect.get("missing", []):
        assert field in missing, f"{field} should be asked for"
    for field in expect.get("not_missing", []):
        assert field not in missing, f"{field} decides nothing here"
    for item in out["missing_data"]:
        assert len(set(item["affects"])) == len(item["affects"]), f"{item['field']} names an answer twice"
        if item["field"] in expect.get("affects", {}):
            assert list(item["affects"]) == expect["affects"][item["field"]], item["field"]


def test_missing_data_names_only_outcomes_that_can_happen(kb: KnowledgeBase) -> None:
    """The reviewer's example: with MRD above both thresholds the date cannot make HSCT
    'consider' or 'standard': no missing-data entry mentions the transplant option."""
    out = assessed(kb, CASES[0]["case"])
    for item in out["missing_data"]:
        assert "option:allogeneic_hsct" not in item["affects"]
