"""Conditions over facts, three kinds only: equals, one of, and a numeric bound.

In knowledge files a condition is written `fact: value`, `fact: [v1, v2]`,
`fact: {below: x}`, `fact: {at_least: x}` or both; a row's `when` is the conjunction of its
conditions. A fact that is None (not defined for this case) satisfies no condition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


Predicate = Callable[[World], bool]


def compile_conditions(conditions: tuple[Condition, ...]) -> Predicate:
    """The conjunction as one Python function: the same truth as `all_hold`, much faster.

    Decision tables are evaluated millions of times in cohort runs. Fact names are checked
    identifiers and operands are literals (strings, booleans, integers, Decimals), each
    bound as a default argument, so the generated source contains no data from a file.
    """
    terms, constants = [], {}
    for i, c in enumerate(conditions):
        value, operand = f"f.get({c.fact!r})", f"_{i}"
        constants[operand] = frozenset(c.operand) if c.op == "in" else c.operand
        if c.op == "eq":
            terms.append(f"({value} == {operand} and {value} is not None)")
        elif c.op == "in":
            terms.append(f"({value} in {operand})")
        else:
            compare = "<" if c.op == "below" else ">="
            terms.append(f"(_number({value}) and {value} {compare} {operand})")
    body = " and ".join(terms) or "True"
    params = "".join(f", {name}={name}" for name in constants)
    source = f"def predicate(f{params}):\n    return bool({body})\n"
    namespace: dict[str, Any] = {"_number": _is_number, **constants}
    exec(compile(source, "<conditions>", "exec"), namespace)
    predicate: Predicate = namespace["predicate"]
    return predicate


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)
