"""Assessments are deeply immutable: across the example cases, every object reachable from
an assessment is of an immutable kind (so whatever the engine shares between two children's
assessments cannot be changed through either), and changing one is refused."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from rrall import assess
from rrall.assessment import Assessment
from rrall.case.load import load_case
from rrall.knowledge.load import KnowledgeBase
from rrall.results import FrozenMap
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
ATOMS = (str, int, float, bool, Decimal, date, datetime, Enum, type(None))


def reachable(root: object) -> list[tuple[str, object]]:
    """Every object under `root` with the path that reaches it."""
    found: list[tuple[str, object]] = []
    stack: list[tuple[str, object]] = [("assessment", root)]
    seen: set[int] = set()
    while stack:
        path, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        found.append((path, node))
        if isinstance(node, BaseModel):
            stack += [(f"{path}.{name}", getattr(node, name)) for name in type(node).model_fields]
        elif isinstance(node, FrozenMap):
            stack += [(f"{path}[{key!r}]", value) for key, value in node.items()]
        elif isinstance(node, tuple | frozenset):
            stack += [(f"{path}[{i}]", value) for i, value in enumerate(node)]
    return found


def mutable(node: object) -> bool:
    if isinstance(node, (*ATOMS, tuple, frozenset, FrozenMap)):
        return False
    if isinstance(node, BaseModel):
        return not type(node).model_config.get("frozen", False)
    return True


@pytest.fixture(scope="module")
def assessments(kb: KnowledgeBase) -> list[Assessment]:
    return [assess(load_case(path, kb), kb) for path in EXAMPLES]


def test_there_are_examples_to_check() -> None:
    assert len(EXAMPLES) >= 23


def test_nothing_reachable_is_mutable(assessments: list[Assessment]) -> None:
    for path, result in zip(EXAMPLES, assessments, strict=True):
        bad = [(where, type(node).__name__) for where, node in reachable(result) if mutable(node)]
        assert not bad, f"{Path(path).name}: mutable objects {bad[:5]}"


def test_objects_shared_between_children_are_immutable(assessments: list[Assessment]) -> None:
    """The engine shares equal sub-results between equivalent cases; check that it does and
    that only immutable objects are ever shared."""
    owners: dict[int, str] = {}
    shared = 0
    for path, result in zip(EXAMPLES, assessments, strict=True):
        for _, node in reachable(result):
            if isinstance(node, ATOMS):
                continue  # interned atoms are shared by Python itself
            other = owners.setdefault(id(node), path.name)
            if other != path.name:
                shared += 1
                assert not mutable(node), f"{type(node).__name__} shared by {other} and {path.name}"
    assert shared > 0, "no sub-result is shared: the engine's memo is not in use"


def test_changing_an_assessment_is_refused(assessments: list[Assessment]) -> None:
    result = assessments[0]
    with pytest.raises(ValidationError):
        result.options = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.options.append(result.options[0])  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        result.risk["bfm"] = result.risk["bfm"]  # type: ignore[index]
    with pytest.raises(ValidationError):
        result.risk["bfm"].reasons = ("changed",)  # type: ignore[misc]
