"""A toy grammar and worlds for the logic package's tests: it knows nothing of leukemia,
so neither do these tests (a colour, a yes/no, a length in metres, a list of tags)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from rrall.logic.parse import FactSpec, Grammar
from rrall.logic.values import NA, Alternative, Members, Open, Question, Value
from rrall.logic.world import World

COLOURS = ("red", "green", "blue")
TAGS = ("round", "heavy", "sharp")
GRAMMAR = Grammar(
    facts={
        "colour": FactSpec("enum", frozenset(COLOURS)),
        "shiny": FactSpec("bool"),
        "length": FactSpec("number", unit="m", units={"m": Decimal(1), "cm": Decimal("0.01")}),
        "count": FactSpec("number", unit="years", units={"years": Decimal(1)}, integer=True),
        "tags": FactSpec("set", frozenset(TAGS)),
        "a.size": FactSpec("enum", frozenset({"small", "big"})),
        "b.size": FactSpec("enum", frozenset({"small", "big"})),
    },
    groups={"box": ("a", "b")},
)


def question(fact: str, values: tuple[Value, ...]) -> Question:
    return Question(
        id=fact,
        field=fact,
        alternatives=tuple(Alternative(str(v), str(v), ((fact, v),)) for v in values),
    )


def member_question(value: str) -> Question:
    from rrall.logic.values import member_fact

    return Question(
        id=member_fact("tags", value),
        field="tags",
        alternatives=tuple(
            Alternative(str(held), str(held), ((member_fact("tags", value), held),)) for held in (True, False)
        ),
    )


OPEN: Mapping[str, Value] = {
    "colour": Open(question("colour", COLOURS)),
    "shiny": Open(question("shiny", (True, False))),
    "length": Open(question("length", (Decimal("0.5"), Decimal(2)))),
    "count": Open(question("count", (3, 30))),
    "tags": Members(frozenset(), None, member_question),
    "a.size": Open(question("a.size", ("small", "big"))),
    "b.size": Open(question("b.size", ("small", "big"))),
}


def world(**facts: Value) -> World:
    """A world where the given facts are known and the rest are open."""
    return World({**OPEN, **facts}, {})


__all__ = ["GRAMMAR", "NA", "OPEN", "world"]
