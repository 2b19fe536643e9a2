"""Numbers that are equal but written differently (MRD `0`, `0.0`, `0.00` %) are one value:
the engine shares words between cases whose values are equal, so whatever a result quotes
must read the same for each spelling, whichever case came first. Found by the cached-vs-
fresh property in CI: MRD 0.0 seen first made a later child's MRD 0 read "0.0"."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rrall.case.load import parse_case
from rrall.engine import Engine
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import make_case

TODAY = date(2022, 1, 10)
SPELLINGS = [(0, "fraction"), (0.0, "percent"), ("0.00", "percent"), (0.0005, "fraction"),
             ("0.050", "percent")]


def with_mrd(value: Any, unit: str) -> dict[str, Any]:
    case = make_case(**{"diagnosis.frontline_end_date": "2017-04-30"})
    case["mrd"] = [{"timepoint": "end_of_reinduction", "unit": unit, "value": value}]
    return case


@pytest.mark.parametrize("order", [SPELLINGS, SPELLINGS[::-1]], ids=["as-listed", "reversed"])
def test_shared_results_quote_equal_values_alike(kb: KnowledgeBase, order: list[tuple[Any, str]]) -> None:
    cached, fresh = Engine(kb), Engine(kb, cache=False)
    for value, unit in order:
        case = parse_case(with_mrd(value, unit), kb, TODAY)
        assert cached.assess(case) == fresh.assess(case), f"MRD {value!r} {unit}"


def test_inputs_show_a_number_one_way(kb: KnowledgeBase) -> None:
    """MRD 0 given as 0, 0.0 or 0.00 % shows as one value in every framework's inputs."""
    fresh = Engine(kb, cache=False)
    shown = {
        str(value): {
            r.framework: dict(r.inputs)
            for r in fresh.assess(parse_case(with_mrd(value, unit), kb, TODAY)).risk.values()
        }
        for value, unit in SPELLINGS[:3]
    }
    assert shown["0"] == shown["0.0"] == shown["0.00"]
    assert shown["0"]["cog"].get("mrd_end_of_reinduction") == "0"
