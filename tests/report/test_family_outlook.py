"""The family summary's timing outlook (knowledge/family/outlook.yaml) on the rows of
family_outlook.yaml, written from the sources before running rrall."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from rrall.assessment import assess
from rrall.case.load import parse_case
from rrall.knowledge.load import KnowledgeBase
from rrall.report.family import family_summary, family_text
from rrall.report.fastjson import assessment_json
from tests.conftest import TODAY
from tests.web.conftest import example

ROWS = yaml.safe_load((Path(__file__).parent / "family_outlook.yaml").read_text())


def changed(case: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(case)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node: Any = out
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return out


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['case']}-{i}" for i, r in enumerate(ROWS)])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_timing_outlook_follows_the_sources(row: dict[str, Any], lang: str, kb: KnowledgeBase) -> None:
    case = changed(example(row["case"]), row.get("set", {}))
    result = orjson.loads(assessment_json(assess(parse_case(case, kb, TODAY), kb)))
    about = family_summary(result, case, kb, lang)["about"]
    outlooks = family_text(kb, lang, case["sex"]).timing_outlook
    said = [timing for timing, words in outlooks.items() if words in about]
    assert said == ([] if row["says"] == "none" else [row["says"]]), row["proves"]


def test_the_outlook_is_read_with_the_release_that_made_the_assessment(kb: KnowledgeBase) -> None:
    """An assessment made by another release is read with that release's rules where it is
    at hand, else says no outlook (never the current rules beside a stored timing); a stored
    case the release no longer reads also says none, instead of failing the page."""
    case = example("b-marrow-very-early")
    result = orjson.loads(assessment_json(assess(parse_case(case, kb, TODAY), kb)))
    harder = family_text(kb).timing_outlook["very_early"]
    assert harder in family_summary(result, case, kb)["about"]
    older = {**result, "knowledge_version": "2026.1.1"}
    assert harder not in family_summary(older, case, kb)["about"]
    assert harder in family_summary(older, case, kb, made_with=kb)["about"]
    unreadable = {**case, "sex": "unknown"}
    assert harder not in family_summary(result, unreadable, kb)["about"]
