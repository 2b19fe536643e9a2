"""The JSON writers produce pydantic's own serialisation, byte for byte: the plain one, and
the one that keeps each shared sub-result's bytes (used by batches and the service), also
when it has written other cases before and when its store is cleared."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings

from rrall.assessment import Assessment, assess
from rrall.case.load import load_case, parse_case
from rrall.knowledge.load import default_knowledge
from rrall.report.fastjson import AssessmentJson, assessment_json
from tests.conftest import ROOT, TODAY
from tests.strategies import cases

KB = default_knowledge()
WRITER = AssessmentJson()  # shared by every case below, as in a batch
SMALL = AssessmentJson(size=3000)  # cleared often (3,000 bytes)


def same(a: Assessment) -> None:
    expected = a.model_dump_json().encode()
    assert assessment_json(a) == expected
    assert WRITER(a) == expected
    assert WRITER(a) == expected  # the second time from kept fragments
    assert SMALL(a) == expected
    assert list(orjson.loads(expected)) == list(Assessment.model_fields)


def test_examples() -> None:
    for path in sorted((ROOT / "examples" / "cases").glob("*.yaml")):
        same(assess(load_case(path, KB), KB))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_any_case(case: dict[str, Any]) -> None:
    same(assess(parse_case(case, KB, TODAY), KB))
