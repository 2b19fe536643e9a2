"""The per-trial edge cases of edge_cases.yaml: each row's expected answer was written from
the trial's registry text before rrall was run (issue 20)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rrall.assessment import match_trials_for
from rrall.case.load import parse_case
from rrall.knowledge.load import default_knowledge
from rrall.trials.registry import Registry, load_curated
from tests.conftest import TODAY, make_case

KB = default_knowledge()
CURATED = Registry(tuple(load_curated(KB.root / "trials", KB.grammar)))
ROWS: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "edge_cases.yaml").read_text())


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['trial']}: {r['proves']}" for r in ROWS])
def test_edge_case(row: dict[str, Any]) -> None:
    case = parse_case(make_case(**row["case"]), KB, TODAY)
    closed = row.get("closed", False)
    found = {m.id: m for m in match_trials_for(case, KB, trials=CURATED, include_closed=closed)}
    if row.get("status") == "hidden":
        assert row["trial"] not in found
        return
    m = found[row["trial"]]
    if "status" in row:
        assert m.status == row["status"], [c.detail for c in m.criteria if c.result != "met"]
    named = {field for entry in m.missing for field in entry.split(", ")}
    for field in row.get("missing", []):
        assert field in named, m.missing
    if "detail" in row:
        assert any(row["detail"] in c.detail for c in m.criteria), [c.detail for c in m.criteria]
    if "group" in row:
        assert m.status_group == row["group"]
    if "warning" in row:
        assert m.status_warning and row["warning"] in m.status_warning
    if m.status == "potentially_eligible":  # never offered on a criterion nobody checked
        assert all(c.result == "met" for c in m.criteria)
