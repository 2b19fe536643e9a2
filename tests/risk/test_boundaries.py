"""Boundaries exactly on the line: 18 and 36 months, 6 months after therapy, MRD 0.1 % and 0.01 %."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rrall import assess
from rrall.assessment import Assessment
from rrall.case.load import parse_case
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import TODAY, make_case


def run(kb: KnowledgeBase, **changes: Any) -> Assessment:
    return assess(parse_case(make_case(**changes), kb, TODAY), kb)


@pytest.mark.parametrize(("relapse", "months", "bfm_timing"), [
    ("2016-07-14", 18, "early"),       # exactly 18 months: no longer very early
    ("2016-07-13", 17, "very_early"),  # one day short
])
def test_eighteen_months_from_diagnosis(kb: KnowledgeBase, relapse: str, months: int,
                                        bfm_timing: str) -> None:
    a = run(kb, **{"diagnosis.frontline_end_date": "not_completed", "relapses.0.date": relapse})
    assert a.classification.months_from_diagnosis == months
    assert a.classification.timing and a.classification.timing.bfm == bfm_timing


@pytest.mark.parametrize(("relapse", "cog_marrow"), [("2018-01-14", "late"), ("2018-01-13", "early")])
def test_thirty_six_months_cog_marrow(kb: KnowledgeBase, relapse: str, cog_marrow: str) -> None:
    a = run(kb, **{"relapses.0.date": relapse, "diagnosis.frontline_end_date": "2017-04-30"})
    assert a.classification.timing and a.classification.timing.cog == cog_marrow
    assert a.risk["cog"].status == ("assigned" if cog_marrow == "early" else "insufficient_data")
    if cog_marrow == "late":  # the >= 36 reading is flagged UNCERTAIN
        assert any(c.rule == "timing.cog.marrow_late" and c.uncertain for c in a.risk["cog"].cautions)


@pytest.mark.parametrize(("relapse", "cog_iem"), [("2016-07-14", "late"), ("2016-07-13", "early")])
def test_eighteen_months_cog_extramedullary(kb: KnowledgeBase, relapse: str, cog_iem: str) -> None:
    a = run(kb, **{"relapses.0.date": relapse, "relapses.0.sites": ["cns"],
                   "relapses.0.marrow_blasts_percent": 0, "diagnosis.frontline_end_date": "not_completed"})
    assert a.classification.timing and a.classification.timing.cog == cog_iem


@pytest.mark.parametrize(("end", "months_after", "timing", "bfm"), [
    ("2017-04-30", 6, "late", "S2"),    # 2017-04-30 + 6 months = 2017-10-30
    ("2017-05-01", 5, "early", "S3"),
])
def test_six_months_after_end_of_therapy(kb: KnowledgeBase, end: str, months_after: int, timing: str,
                                         bfm: str) -> None:
    a = run(kb, **{"diagnosis.frontline_end_date": end, "relapses.0.date": "2017-10-30"})
    assert a.classification.months_from_frontline_end == months_after
    assert a.classification.timing and a.classification.timing.bfm == timing
    assert a.risk["bfm"].group == bfm


LATE_MARROW = {"relapses.0.date": "2021-11-20"}  # B late isolated marrow: BFM S2, UK intermediate


@pytest.mark.parametrize(("value", "unit", "bfm", "uk", "intreall", "cog"), [
    (0.1, "percent", "indicated", "indicated", "indicated", "intermediate"),      # exactly 10^-3
    (0.001, "fraction", "indicated", "indicated", "indicated", "intermediate"),
    (0.0999, "percent", "not_indicated", "indicated", "depends_on_backbone", "low"),
    (0.01, "percent", "not_indicated", "indicated", "depends_on_backbone", "low"),  # exactly 10^-4
    (0.0001, "fraction", "not_indicated", "indicated", "depends_on_backbone", "low"),
    (0.0099, "percent", "not_indicated", "not_indicated", "not_indicated", "low"),
    (0, "fraction", "not_indicated", "not_indicated", "not_indicated", "low"),
])
def test_mrd_thresholds_exact(kb: KnowledgeBase, value: float, unit: str, bfm: str, uk: str,
                              intreall: str, cog: str) -> None:
    a = run(kb, **LATE_MARROW, mrd=[{"timepoint": "end_of_reinduction", "value": value, "unit": unit}])
    assert (a.risk["bfm"].group, a.risk["uk"].group, a.risk["intreall"].group) == ("S2", "intermediate",
                                                                                 "standard")
    assert a.risk["bfm"].hsct_in_cr2 == bfm
    assert a.risk["uk"].hsct_in_cr2 == uk
    assert a.risk["intreall"].hsct_in_cr2 == intreall
    assert a.risk["cog"].group == cog


def test_mrd_at_other_timepoints_does_not_decide(kb: KnowledgeBase) -> None:
    a = run(kb, **LATE_MARROW, mrd=[{"timepoint": "end_of_consolidation", "value": 2, "unit": "percent"}])
    assert a.risk["cog"].status == "insufficient_data"
    assert a.risk["bfm"].hsct_in_cr2 == "depends_on_mrd"


def test_mrd_of_an_earlier_relapse_does_not_decide(kb: KnowledgeBase) -> None:
    changes = {"relapses": [{"date": "2018-01-10", "sites": ["cns"]},
                            {"date": "2021-11-20", "sites": ["bone_marrow"]}],
               "mrd": [{"timepoint": "end_of_reinduction", "value": 1, "unit": "percent", "relapse": 1}]}
    a = run(kb, **changes)
    assert a.classification.disease_state == "second_relapse"
    assert all(r.status == "not_applicable" for r in a.risk.values())


CAUTIONS = yaml.safe_load((Path(__file__).parent / "cautions.yaml").read_text())["rows"]


@pytest.mark.parametrize("row", CAUTIONS, ids=[r["name"] for r in CAUTIONS])
def test_framework_cautions(kb: KnowledgeBase, row: dict[str, Any]) -> None:
    """Rows and expectations written from the sources in cautions.yaml."""
    a = run(kb, **row["case"])
    for framework, rules in row.get("has", {}).items():
        found = {c.rule for c in a.risk[framework].cautions}
        assert set(rules) <= found, (row["proves"], framework, found)
    for framework, rules in row.get("has_not", {}).items():
        found = {c.rule for c in a.risk[framework].cautions}
        assert not set(rules) & found, (row["proves"], framework, found)
