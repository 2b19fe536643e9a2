"""Every cell of DECISIONS.md's framework table, at every MRD side of the COG split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rrall import assess
from rrall.case.load import parse_case
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import TODAY, make_case

TABLE = yaml.safe_load((Path(__file__).parent / "conformance.yaml").read_text())
TIMINGS = ["very_early", "early", "late"]
CELLS = [(cell, i, t) for cell in TABLE["cells"] for i, t in enumerate(TIMINGS)]


def _case(cell: dict[str, Any], timing: str, mrd_percent: float | None) -> dict[str, Any]:
    scenario = TABLE["scenarios"][timing]
    relapse = {"date": scenario["relapse"], **TABLE["sites"][cell["site"]]}
    case = make_case(**{
        "assessment_date": "2020-01-01",
        "diagnosis.date": scenario["diagnosis"],
        "diagnosis.immunophenotype": cell["lineage"],
        "diagnosis.frontline_end_date": scenario["frontline_end_date"],
        "relapses": [relapse],
    })
    if mrd_percent is not None:
        case["mrd"] = [{"timepoint": "end_of_reinduction", "value": mrd_percent, "unit": "percent"}]
    return case


def _expected_cog(cell: dict[str, Any], timing: str, mrd_percent: float) -> str:
    if cell["lineage"] == "T":
        return "high"
    key = "cog_iem" if cell["site"] == "isolated_extramedullary" else "cog_marrow"
    if TABLE["scenarios"][timing][key] == "early":
        return "high"
    return "low" if mrd_percent < 0.1 else "intermediate"


@pytest.mark.parametrize(("cell", "index", "timing"), CELLS,
                         ids=[f"{c['lineage']}-{c['site']}-{t}" for c, _, t in CELLS])
@pytest.mark.parametrize("mrd_percent", [0.005, 0.05, 0.5])
def test_cell(kb: KnowledgeBase, cell: dict[str, Any], index: int, timing: str,
              mrd_percent: float) -> None:
    result = assess(parse_case(_case(cell, timing, mrd_percent), kb, TODAY), kb)
    groups = {name: r.group for name, r in result.risk.items()}
    assert result.classification.site == cell["site"]
    assert result.classification.timing is not None
    assert result.classification.timing.bfm == timing
    assert groups == {
        "bfm": cell["bfm"][index],
        "intreall": cell["intreall"][index],
        "cog": _expected_cog(cell, timing, mrd_percent),
        "uk": cell["uk"][index],
    }
    assert all(r.status == "assigned" and r.citations for r in result.risk.values())


@pytest.mark.parametrize(("cell", "index", "timing"), CELLS,
                         ids=[f"{c['lineage']}-{c['site']}-{t}" for c, _, t in CELLS])
def test_cell_without_mrd(kb: KnowledgeBase, cell: dict[str, Any], index: int, timing: str) -> None:
    """Without MRD, only the COG late B-lineage cells are undecided, and they name the MRD."""
    result = assess(parse_case(_case(cell, timing, None), kb, TODAY), kb)
    cog = result.risk["cog"]
    key = "cog_iem" if cell["site"] == "isolated_extramedullary" else "cog_marrow"
    if cell["lineage"] == "B" and TABLE["scenarios"][timing][key] == "late":
        assert cog.status == "insufficient_data" and cog.group is None
        assert [m.field for m in cog.missing] == ["mrd[timepoint=end_of_reinduction]"]
        assert cog.hsct_in_cr2 == "depends_on_mrd"
    else:
        assert cog.status == "assigned"
    for name in ("bfm", "intreall", "uk"):
        assert result.risk[name].group == cell[name][index]
