"""A test of the relapse work-up not yet recorded says what the assessment reads until it is
(never silent) where an earlier test of the same marker settles it: BCR::ABL1 not tested at
relapse is read from the genetics at diagnosis (the relapse test confirms it). Where nothing
settles it, nothing is claimed and the field is named as deciding; a reading from what a
list leaves out (no CNS disease when `sites` does not name the CNS) is not a test result
and is not shown as one."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rrall.assessment import assess
from rrall.case.load import parse_case
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import make_case

TODAY = date(2022, 1, 10)
BCR = "relapses[-1].bcr_abl1"
CNS = "relapses[-1].cns_status"


def entry(kb: KnowledgeBase, field: str, **changes: Any) -> Any:
    result = assess(parse_case(make_case(**changes), kb, TODAY), kb)
    return next((m for m in result.missing_data if m.field == field), None)


@pytest.mark.parametrize(("changes", "uses"), [
    ({}, ("BCR::ABL1 negative",)),  # diagnosis genetics tested, no BCR::ABL1
    ({"diagnosis.genetics": ["BCR::ABL1"]}, ("BCR::ABL1 positive",)),
])
def test_bcr_abl1_from_diagnosis_is_said(kb: KnowledgeBase, changes: dict[str, Any],
                                        uses: tuple[str, ...]) -> None:
    found = entry(kb, BCR, **changes)
    assert found is not None and found.test == "BCR::ABL1 testing" and found.uses == uses


def test_bcr_abl1_never_tested_is_open_not_read(kb: KnowledgeBase) -> None:
    found = entry(kb, BCR, **{"diagnosis.genetics": None})
    assert found is not None and found.uses == ()
    assert found.affects != ("work-up",)  # it decides conclusions (IntReALL excludes Ph-positive)


def test_recorded_test_is_not_listed(kb: KnowledgeBase) -> None:
    assert entry(kb, BCR, **{"relapses.0.bcr_abl1": False}) is None


def test_cns_status_is_not_claimed_from_the_sites_list(kb: KnowledgeBase) -> None:
    """No CNS disease read from `sites` not naming the CNS is not a test result, and the
    lumbar puncture can change the site (isolated vs combined): nothing is shown as read."""
    found = entry(kb, CNS)
    assert found is not None and found.test == "Lumbar puncture" and found.uses == ()


@pytest.mark.parametrize(("changes", "listed"), [
    ({}, True),  # late marrow relapse: HSCT depends on MRD in several frameworks
    # early marrow relapse: indicated
    ({"relapses.0.date": "2016-01-20", "diagnosis.frontline_end_date": "not_completed"}, True),
    # Late isolated CNS relapse: COG's HSCT rule waits for the MRD after reinduction; below
    # 0.1 % (COG low risk) every framework advises against HSCT.
    ({"relapses.0.sites": ["cns"], "relapses.0.marrow_blasts_percent": 0}, True),
    ({"relapses.0.sites": ["cns"], "relapses.0.marrow_blasts_percent": 0,
      "mrd": [{"timepoint": "end_of_reinduction", "value": 0.01, "unit": "percent"}]}, False),
    ({"prior_therapy": {"hsct": [{"date": "2019-01-01", "type": "allogeneic"}]}}, True),  # a second HSCT
])
def test_the_donor_search_is_listed_only_where_a_transplant_may_follow(
    kb: KnowledgeBase, changes: dict[str, Any], listed: bool
) -> None:
    """Late isolated CNS relapse with low MRD: every framework advises against HSCT in second
    remission (PDQ-7: transplant generally not recommended after 18 months), so no donor search."""
    assert (entry(kb, "donor", **changes) is not None) is listed
