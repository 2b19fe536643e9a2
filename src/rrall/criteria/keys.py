"""Keys for sharing results between cases: a result depends only on the facts its criteria
read, and a number only on where it falls among the bounds they compare it with.

`Keys.of(fact, value)` is the part of a key one fact contributes: a number's interval
among every bound the criteria compare that fact with (so 31 and 32 months from
diagnosis share results when no criterion tells them apart), an open fact's question, a
list fact's answers for the values criteria test. Reasons quote exact values, so a
result that quotes a number is also keyed by that number as quoted (Keys.quoted).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal

from rrall.knowledge.facts import When
from rrall.logic.criteria import Bound, Comparison, Equals, Has, OneOf
from rrall.logic.values import ANY, NA, Members, Open, Value

Limits = tuple[tuple[Decimal, ...], frozenset[object]]  # bounds and equality points


class Keys:
    def __init__(self, criteria: Iterable[When], bounds: Mapping[str, Sequence[Decimal]]) -> None:
        self._bounds = {fact: tuple(values) for fact, values in bounds.items()}
        points: dict[str, set[object]] = {}
        atoms: dict[str, set[str]] = {}
        for when in criteria:
            for leaf in when.test.leaves():
                if isinstance(leaf, Has):
                    atoms.setdefault(leaf.fact, set()).update(leaf.values)
                elif isinstance(leaf, Equals):
                    points.setdefault(leaf.fact, set()).add(leaf.value)
                elif isinstance(leaf, OneOf):
                    points.setdefault(leaf.fact, set()).update(leaf.values)
        self._points = points
        self._atoms = {fact: frozenset(values - {ANY}) for fact, values in atoms.items()}

    def bounds(self, fact: str) -> tuple[Decimal, ...]:
        """Every bound the criteria compare a number with, sorted."""
        return self._bounds.get(fact, ())

    def limits(self, fact: str) -> Limits:
        """The bounds and equality points the criteria compare a fact with."""
        return self._bounds.get(fact, ()), frozenset(self._points.get(fact, ()))

    def coarser(self, fact: str, own: Keys) -> Limits | None:
        """`own`'s limits for a number (the keys of some of these criteria: one conclusion's)
        where they are fewer than these; None where they are the same, or for a fact that is
        not a number the criteria compare (text, yes/no, list)."""
        if not self._bounds.get(fact):
            return None
        mine = own.limits(fact)
        return None if mine == self.limits(fact) else mine

    def band(self, fact: str, value: Value, limits: Limits) -> Hashable:
        """Where a number falls among some of its fact's bounds and points (`coarser`); any
        other value (open, not applicable) as `of` gives it."""
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            mine, points = limits
            return ("=", value) if value in points else bisect_right(mine, value)
        return self.of(fact, value)

    def of(self, fact: str, value: Value) -> Hashable:
        if isinstance(value, (bool, str)) or value is NA:
            return value
        if isinstance(value, (int, Decimal)):
            if value in self._points.get(fact, ()):
                return ("=", value)
            return bisect_right(self._bounds.get(fact, ()), value)
        if isinstance(value, Open):
            q = value.question
            return (
                "open",
                q.id,
                q.field,  # the same fact asked in another field (a relapse's, a refractory disease's)
                tuple(a.value for a in q.alternatives),
                None if value.low is None else self.of(fact, value.low),
                None if value.high is None else self.of(fact, value.high),
            )
        if isinstance(value, Members):
            atoms = self._atoms.get(fact, frozenset())
            maybe = None if value.maybe is None else value.maybe & atoms
            return (
                "members",
                value.present & atoms,
                maybe,
                bool(value.present),
                value.maybe is None or bool(value.maybe),
                value.source,
            )
        raise TypeError(f"{fact}: a value of type {type(value).__name__} cannot be keyed")


def quoted_numbers(criteria: Iterable[When]) -> tuple[tuple[str, str], ...]:
    """(fact, unit word) of every number `criteria` compare directly, in a stable order:
    the reasons quote these values exactly."""
    found: dict[tuple[str, str], None] = {}
    for when in criteria:
        for leaf in when.test.leaves():
            if isinstance(leaf, Bound):
                found[(leaf.fact, leaf.unit)] = None
            elif isinstance(leaf, Comparison) and leaf.fact == "relapse_number":
                found[(leaf.fact, "")] = None
    return tuple(sorted(found))
