"""The YAML shorthand for criteria, parsed into the classes of criteria.py.

    immunophenotype: B                       equals
    site: [isolated_marrow, combined]        one of
    months_from_diagnosis: {at_least: 18}    a bound in the fact's own unit, or with a unit:
    age: {at_least: 1 year, at_most: 21 years}
    mrd_end_of_reinduction: {below: 0.1 %}
    genetics: {has: [KMT2A, TCF3::HLF]}      a list fact holds any of these (`has: any`: any value)
    all: [...]  any: [...]  not: {...}       Kleene connectives
    every_<group>: {...} / some_<group>: {...}   the same test for each member of a group
                                                 (e.g. every framework), fact names local
    {type: at_least, fact: age, value: 1 year}   the explicit form of any kind

Several keys in one mapping must all hold. Unknown keys, unknown facts and values outside
a fact's domain are refused with the path to the offending part.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any as AnyValue
from typing import Literal

from rrall.logic.criteria import ALWAYS, All, Any, AtLeast, AtMost, Below, Criterion, Equals, Has, Not, OneOf
from rrall.logic.values import ANY, Scalar

Kind = Literal["enum", "bool", "number", "set"]


@dataclass(frozen=True)
class FactSpec:
    """What a fact is: its kind, allowed values (None: any text), and for numbers the
    fact's own unit, the unit words authors may use with their factors, and whether the
    fact counts whole units."""

    kind: Kind
    values: frozenset[str] | None = None
    unit: str = ""
    units: Mapping[str, Decimal] = field(default_factory=dict)
    integer: bool = False


class CriterionError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '(criteria)'}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Grammar:
    """The facts criteria may read, and the groups `every_`/`some_` range over."""

    facts: Mapping[str, FactSpec]
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)  # a local name for a fact

    def parse(self, node: AnyValue, path: str = "", prefix: str = "") -> Criterion:
        if node is None or node == {}:
            return ALWAYS
        if not isinstance(node, Mapping):
            raise CriterionError(path, "a criterion is a mapping (fact: value, all:, any:, not:)")
        if "type" in node:
            return self._explicit(node, path, prefix)
        items = [
            self._key(str(key), value, f"{path}.{key}" if path else str(key), prefix)
            for key, value in node.items()
        ]
        return _all(items)

    def _key(self, key: str, value: AnyValue, path: str, prefix: str) -> Criterion:
        if key in ("all", "any"):
            if not isinstance(value, Sequence) or isinstance(value, str) or not value:
                raise CriterionError(path, f"{key} takes a non-empty list of criteria")
            items = tuple(self.parse(v, f"{path}[{i}]", prefix) for i, v in enumerate(value))
            return All(items) if key == "all" else Any(items)
        if key == "not":
            return Not(self.parse(value, path, prefix))
        quantifier, _, group = key.partition("_")
        if quantifier in ("every", "some") and group in self.groups:
            items = tuple(self.parse(value, path, f"{member}.") for member in self.groups[group])
            return All(items) if quantifier == "every" else Any(items)
        return self._fact(prefix + key if prefix else self.aliases.get(key, key), value, path)

    def _spec(self, fact: str, path: str) -> FactSpec:
        spec = self.facts.get(fact)
        if spec is None:
            known = ", ".join(sorted(f for f in self.facts if "." not in f))
            raise CriterionError(
                path,
                f"unknown fact {fact!r} (known: {known}; and all, any, not"
                + "".join(f", every_{g}, some_{g}" for g in self.groups)
                + ")",
            )
        return spec

    def _fact(self, fact: str, spec_node: AnyValue, path: str) -> Criterion:
        spec = self._spec(fact, path)
        if isinstance(spec_node, Mapping):
            items = [
                self._operator(fact, spec, str(op), bound, f"{path}.{op}") for op, bound in spec_node.items()
            ]
            if not items:
                raise CriterionError(path, "an empty mapping tests nothing")
            return items[0] if len(items) == 1 else All(tuple(items))
        if isinstance(spec_node, list):
            if spec.kind == "set":
                return Has(fact, tuple(self._member(spec, v, path) for v in spec_node))
            return OneOf(fact, tuple(self._scalar(spec, v, path) for v in spec_node))
        if spec.kind == "set":
            return Has(fact, (self._member(spec, spec_node, path),))
        return Equals(fact, self._scalar(spec, spec_node, path))

    def _operator(self, fact: str, spec: FactSpec, op: str, operand: AnyValue, path: str) -> Criterion:
        if op == "has":
            if spec.kind != "set":
                raise CriterionError(path, f"{fact} is not a list fact; use a value or a list of values")
            values = operand if isinstance(operand, list) else [operand]
            return Has(fact, tuple(self._member(spec, v, path) for v in values))
        if op == "in":
            return self._fact(fact, list(operand) if isinstance(operand, list) else [operand], path)
        if op not in ("at_least", "below", "at_most"):
            raise CriterionError(
                path, f"unknown operator {op!r} (allowed: at_least, below, at_most, has, in)"
            )
        if spec.kind != "number":
            raise CriterionError(path, f"{fact} is not a number; {op} needs one")
        number, factor, word = self._quantity(spec, operand, path)
        bound, shown = number * factor, f"{number.normalize():f} {word or spec.unit}".strip()
        if op == "at_least":
            return AtLeast(fact, bound=bound, shown=shown, unit=word)
        if op == "below":
            return Below(fact, bound=bound, shown=shown, unit=word)
        if not spec.integer:
            return AtMost(fact, bound=bound, shown=shown, unit=word, limit=bound, inclusive=True)
        whole = number == number.to_integral_value()
        limit = (number + 1) * factor if whole else bound + 1
        return AtMost(fact, bound=bound, shown=shown, unit=word, limit=limit)

    def _quantity(self, spec: FactSpec, operand: AnyValue, path: str) -> tuple[Decimal, Decimal, str]:
        if isinstance(operand, bool) or not isinstance(operand, int | float | str | Decimal):
            raise CriterionError(path, f"{operand!r} is not a number")
        match = _QUANTITY.match(str(operand))
        if match is None:
            raise CriterionError(path, f"{operand!r} is not a number with an optional unit")
        try:
            number = Decimal(match["number"])
        except InvalidOperation:
            raise CriterionError(path, f"{operand!r} is not a number") from None
        word = (match["unit"] or "").strip()
        if word and word not in spec.units:
            allowed = ", ".join(spec.units) or "none"
            raise CriterionError(path, f"unit {word!r} is not one of {allowed}")
        return number, spec.units.get(word, Decimal(1)), word

    def _scalar(self, spec: FactSpec, value: AnyValue, path: str) -> Scalar:
        if spec.kind == "bool":
            if not isinstance(value, bool):
                raise CriterionError(path, f"{value!r} is not true or false")
            return value
        if spec.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int):
                raise CriterionError(
                    path,
                    f"{value!r}: compare numbers with at_least, below or at_most, or give a whole number",
                )
            return value
        return self._member(spec, value, path)

    def _member(self, spec: FactSpec, value: AnyValue, path: str) -> str:
        if value == "any" and spec.kind == "set":
            return ANY
        if not isinstance(value, str) or (spec.values is not None and value not in spec.values):
            allowed = ", ".join(sorted(spec.values)) if spec.values is not None else "text"
            raise CriterionError(path, f"{value!r} is not one of {allowed}")
        return value

    def _explicit(self, node: Mapping[str, AnyValue], path: str, prefix: str) -> Criterion:
        kind = node["type"]
        shapes = {
            "equals": {"fact", "value"},
            "in": {"fact", "values"},
            "has": {"fact", "values"},
            "at_least": {"fact", "value"},
            "below": {"fact", "value"},
            "at_most": {"fact", "value"},
            "all": {"items"},
            "any": {"items"},
            "not": {"item"},
        }
        if kind not in shapes:
            raise CriterionError(path, f"unknown type {kind!r} (allowed: {', '.join(shapes)})")
        keys = set(node) - {"type"}
        if keys != shapes[kind]:
            raise CriterionError(path, f"type {kind} takes exactly {', '.join(sorted(shapes[kind]))}")
        if kind in ("all", "any"):
            return self._key(kind, node["items"], path, prefix)
        if kind == "not":
            return Not(self.parse(node["item"], path, prefix))
        fact = prefix + str(node["fact"])
        if kind == "equals":
            return self._fact(fact, node["value"], path)
        if kind in ("in", "has"):
            return self._fact(fact, {kind: node["values"]}, path)
        return self._operator(fact, self._spec(fact, path), kind, node["value"], path)


def _all(items: Sequence[Criterion]) -> Criterion:
    """The conjunction, with nested conjunctions spliced in (they read the same)."""
    flat: list[Criterion] = []
    for item in items:
        flat.extend(item.items if isinstance(item, All) else (item,))
    return flat[0] if len(flat) == 1 else All(tuple(flat))


_QUANTITY = re.compile(r"^\s*(?P<number>[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)\s*(?P<unit>\S.*)?$")
