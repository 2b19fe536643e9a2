"""The fast JSON writer produces the same document as pydantic's own serialisation."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings

from rrall.assessment import Assessment, assess
from rrall.case.load import load_case, parse_case
from rrall.knowledge.load import default_knowledge
from rrall.report.fastjson import assessment_json
from tests.conftest import ROOT, TODAY
from tests.strategies import cases

KB = default_knowledge()


def same(a: Assessment) -> None:
    fast = assessment_json(a)
    assert orjson.loads(fast) == orjson.loads(a.model_dump_json())
    assert list(orjson.loads(fast)) == list(Assessment.model_fields)


def test_examples() -> None:
    for path in sorted((ROOT / "examples" / "cases").glob("*.yaml")):
        same(assess(load_case(path, KB), KB))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_any_case(case: dict[str, Any]) -> None:
    same(assess(parse_case(case, KB, TODAY), KB))
