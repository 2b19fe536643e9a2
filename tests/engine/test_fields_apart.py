"""One fact, asked in different case fields: CD19 of a relapse (`relapses[-1].cd19`) or of
a primary refractory disease (`diagnosis.refractory_disease.cd19`), lesions and kinase
mutations likewise. The engine shares results between cases whose facts fall alike, so an
open fact is keyed by the field it is asked in as well: whichever case came first, each
child's missing data names the field the user can fill in."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rrall.case.load import parse_case
from rrall.engine import Engine
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import make_case

TODAY = date(2022, 1, 10)
PRIMARY = {"relapses": [], "diagnosis.induction_outcome": "induction_failure",
           "diagnosis.frontline_end_date": ...}


def cases() -> list[tuple[str, dict[str, Any]]]:
    relapse_ph = {"relapses.0.bcr_abl1": True}
    primary_ph = {**PRIMARY, "diagnosis.genetics": ["BCR::ABL1"]}
    return [
        ("relapse", make_case()),
        ("primary refractory", make_case(**PRIMARY)),
        ("relapse, BCR::ABL1", make_case(**relapse_ph)),
        ("primary refractory, BCR::ABL1", make_case(**primary_ph)),
    ]


@pytest.mark.parametrize("reverse", [False, True], ids=["relapse-first", "refractory-first"])
def test_missing_fields_are_each_case_s_own(kb: KnowledgeBase, reverse: bool) -> None:
    cached, fresh = Engine(kb), Engine(kb, cache=False)
    order = cases()[::-1] if reverse else cases()
    for name, raw in order:
        case = parse_case(raw, kb, TODAY)
        got = cached.assess(case)
        assert got == fresh.assess(case), name
        fields = {m.field for m in got.missing_data}
        if name.startswith("primary"):
            assert not any(f.startswith("relapses") for f in fields), (name, fields)
            assert "diagnosis.refractory_disease.cd19" in fields
        else:
            assert "relapses[-1].cd19" in fields and not any("refractory" in f for f in fields)
        if name.endswith("BCR::ABL1"):
            kinase = "relapses[-1].abl1_kinase_mutations" if name.startswith("relapse") else \
                "diagnosis.refractory_disease.abl1_kinase_mutations"
            assert kinase in fields, (name, fields)
