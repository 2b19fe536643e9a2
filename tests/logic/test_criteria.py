"""Each criterion kind, three-valued: met, not met, or the open question that decides it;
Kleene connectives; NA meets no comparison."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rrall.logic.criteria import ALWAYS, All, Any, AtLeast, AtMost, Below, Equals, Has, Not, OneOf
from rrall.logic.values import NA, Members, Open, Question
from tests.logic.toy import OPEN, member_question, world

RED = Equals("colour", value="red")
SHINY = Equals("shiny", value=True)


def test_equals_and_one_of() -> None:
    assert RED.test(world(colour="red")) is True
    assert RED.test(world(colour="blue")) is False
    assert isinstance(RED.test(world()), Question)
    assert OneOf("colour", values=("red", "blue")).test(world(colour="blue")) is True
    assert OneOf("colour", values=("red", "blue")).test(world(colour="green")) is False


def test_a_yes_no_fact_never_equals_a_number() -> None:
    assert Equals("count", value=1).test(world(count=True)) is False
    assert Equals("shiny", value=True).test(world(shiny=1)) is False


def test_bounds_are_exact_at_the_threshold() -> None:
    at_least = AtLeast("length", bound=Decimal("0.0001"))
    below = Below("length", bound=Decimal("0.0001"))
    assert at_least.test(world(length=Decimal("0.0001"))) is True
    assert below.test(world(length=Decimal("0.0001"))) is False
    assert below.test(world(length=Decimal("0.00009999"))) is True


def test_at_most_whole_units_admits_the_whole_year() -> None:
    """'at most 21 years' on a whole-unit count admits anything below 22."""
    rule = AtMost("count", bound=Decimal(21), limit=Decimal(22))
    assert rule.test(world(count=Decimal("21.9"))) is True
    assert rule.test(world(count=22)) is False
    measured = AtMost("length", bound=Decimal(2), limit=Decimal(2), inclusive=True)
    assert measured.test(world(length=Decimal(2))) is True
    assert measured.test(world(length=Decimal("2.01"))) is False


def test_a_known_interval_can_decide_a_bound() -> None:
    asked = OPEN["length"]
    assert isinstance(asked, Open)
    inside = Open(asked.question, low=Decimal(3), high=Decimal(5))
    assert AtLeast("length", bound=Decimal(2)).test(world(length=inside)) is True
    assert Below("length", bound=Decimal(2)).test(world(length=inside)) is False
    straddling = Open(asked.question, low=Decimal(1), high=Decimal(5))
    assert AtLeast("length", bound=Decimal(2)).test(world(length=straddling)) is asked.question


def test_not_applicable_meets_no_comparison() -> None:
    for criterion in (RED, AtLeast("length", bound=Decimal(0)), Below("length", bound=Decimal(9))):
        assert criterion.test(world(colour=NA, length=NA)) is False
        assert Not(criterion).test(world(colour=NA, length=NA)) is True


def test_has_on_a_list_fact() -> None:
    nothing_tested = world()
    assert isinstance(Has("tags", ("round",)).test(nothing_tested), Question)
    tested = world(tags=Members(frozenset({"heavy"}), frozenset(), member_question))
    assert Has("tags", ("round", "heavy")).test(tested) is True
    assert Has("tags", ("round",)).test(tested) is False
    partly = world(tags=Members(frozenset(), frozenset({"sharp"}), member_question))
    assert Has("tags", ("round",)).test(partly) is False
    assert isinstance(Has("tags", ("round", "sharp")).test(partly), Question)


@pytest.mark.parametrize(
    ("left", "right", "conjunction", "disjunction"),
    [
        (True, True, True, True),
        (True, False, False, True),
        (False, False, False, False),
        (True, None, None, True),
        (False, None, False, None),
        (None, None, None, None),
    ],
)
def test_kleene_tables(
    left: bool | None, right: bool | None, conjunction: bool | None, disjunction: bool | None
) -> None:
    """Strong Kleene logic: unknown AND false is false, unknown OR true is true."""
    facts = {"colour": "red" if left else "blue", "shiny": bool(right)}
    if left is None:
        facts.pop("colour")
    if right is None:
        facts.pop("shiny")
    here = world(**facts)

    def three(verdict: object) -> bool | None:
        return verdict if isinstance(verdict, bool) else None

    assert three(All((RED, SHINY)).test(here)) == conjunction
    assert three(Any((RED, SHINY)).test(here)) == disjunction
    assert three(Not(All((RED, SHINY))).test(here)) == (None if conjunction is None else not conjunction)


def test_reads_are_declared_by_every_kind() -> None:
    rule = All((RED, Any((SHINY, Not(Has("tags", ("round",)))))))
    assert rule.reads == {"colour", "shiny", "tags"}
    assert [leaf.fact for leaf in rule.leaves()] == ["colour", "shiny", "tags"]
    assert ALWAYS.test(world()) is True and ALWAYS.reads == frozenset()
