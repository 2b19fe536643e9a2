"""Conditions over facts, three kinds only: equals, one of, and a numeric bound.

In knowledge files a condition is written `fact: value`, `fact: [v1, v2]`,
`fact: {below: x}`, `fact: {at_least: x}` or both; a row's `when` is the conjunction of its
conditions. A fact that is None (not defined for this case) satisfies no condition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

FactValue = str | bool | int | Decimal | None
World = Mapping[str, FactValue]


@dataclass(frozen=True)
class Condition:
    fact: str
    op: str  # "eq" | "in" | "below" | "at_least"
    operand: Any

    def holds(self, world: World) -> bool:
        value = world.get(self.fact)
        if value is None:
            return False
        if self.op == "eq":
            return bool(value == self.operand)
        if self.op == "in":
            return value in self.operand
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            return False
        if self.op == "below":
            return bool(value < self.operand)
        return bool(value >= self.operand)

    def describe(self) -> str:
        name = self.fact.replace("_", " ")
        if self.op == "eq":
            return f"{name} = {_show(self.operand)}"
        if self.op == "in":
            return f"{name} in {{{', '.join(_show(v) for v in self.operand)}}}"
        return f"{name} {'<' if self.op == 'below' else '>='} {_show(self.operand)}"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def parse_when(when: Mapping[str, Any]) -> tuple[Condition, ...]:
    """Turn a `when` mapping into conditions; shape errors raise ValueError with the fact name."""
    conditions = []
    for fact, spec in when.items():
        if isinstance(spec, Mapping):
            if not spec or not set(spec) <= {"below", "at_least"}:
                raise ValueError(f"{fact}: a bound is written {{below: x}}, {{at_least: x}} or both")
            for op, bound in spec.items():
                if isinstance(bound, bool) or not isinstance(bound, int | float | str):
                    raise ValueError(f"{fact}: bound {bound!r} is not a number")
                conditions.append(Condition(fact, op, Decimal(str(bound))))
        elif isinstance(spec, list):
            conditions.append(Condition(fact, "in", tuple(spec)))
        else:
            conditions.append(Condition(fact, "eq", spec))
    return tuple(conditions)


def all_hold(conditions: tuple[Condition, ...], world: World) -> bool:
    return all(c.holds(world) for c in conditions)
