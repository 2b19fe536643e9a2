"""A conclusion's results are shared over the intervals of its own bounds: a bound that only
another conclusion compares a number with (TCCSG's 24 months off therapy, a prognosis
figure) does not split a framework's decision, and the shared results equal fresh ones."""

from __future__ import annotations

from datetime import date

from rrall.case.load import parse_case
from rrall.engine import Engine
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import make_case

TODAY = date(2022, 1, 10)


def test_a_bound_only_a_figure_reads_does_not_split_a_framework(kb: KnowledgeBase) -> None:
    # 17 and 30 months off therapy: both BFM "late" (6 months or more), TCCSG late vs very late.
    # The lumbar puncture is recorded, so no second reading (CNS disease) is decided beside.
    cases = [parse_case(make_case(**{"diagnosis.frontline_end_date": end, "relapses.0.cns_status": "CNS1"}),
                        kb, TODAY)
             for end in ("2020-06-20", "2019-05-20")]
    cached, fresh = Engine(kb), Engine(kb, cache=False)
    results = [cached.assess(c) for c in cases]
    assert results == [fresh.assess(c) for c in cases]
    bfm = next(c for c in cached.frameworks if c.id == "bfm")
    assert len(cached._decisions[bfm.index]) == 1, "one BFM decision for both"
    tccsg = {p.id for p in results[0].prognosis} ^ {p.id for p in results[1].prognosis}
    assert {"tccsg-late-efs", "tccsg-very-late-efs"} <= tccsg, "the figures tell them apart"


def test_each_coarser_place_is_a_number_compared_with_fewer_bounds(kb: KnowledgeBase) -> None:
    engine = Engine(kb)
    for _place, fact, (mine, _points) in engine.rows.coarser:
        every = engine.keys.bounds(fact)
        assert every and set(mine) <= set(every)
