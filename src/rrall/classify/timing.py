"""The timing schemes (knowledge/classification.yaml) as derived facts of a world: each a
unique-hit table over the case's clocks, defined only within its scope (a first relapse)."""

from __future__ import annotations

from collections.abc import Callable

from rrall.errors import TableError
from rrall.knowledge.model import TimingRule, TimingScheme
from rrall.logic.values import NA, Open, Question, Value
from rrall.logic.world import Derive, World


def unique_row(rows: list[TimingRule], world: World, what: str) -> TimingRule | Question:
    """The one row that holds, or the question that keeps the table from deciding."""
    hits = []
    for row in rows:
        verdict = row.when.test.test(world)
        if isinstance(verdict, Question):
            return verdict
        if verdict:
            hits.append(row)
    if len(hits) != 1:
        found = ", ".join(r.id for r in hits) or "no row"
        raise TableError(f"{what}: expected exactly one matching row, found {found}")
    return hits[0]


def timing_rule(scheme: TimingScheme, world: World) -> TimingRule | Question | None:
    """The scheme's row for this world; None where the timing does not exist."""
    inside = scheme.scope.test.test(world)
    if isinstance(inside, Question):
        return inside
    if not inside:
        return None
    return unique_row(scheme.rules, world, f"timing scheme {scheme.id}")


def _derive(scheme: TimingScheme) -> Callable[[World], Value]:
    def category(world: World) -> Value:
        row = timing_rule(scheme, world)
        if row is None:
            return NA
        if isinstance(row, Question):
            return Open(row)
        return row.category
    return category


def timing_facts(schemes: list[TimingScheme]) -> dict[str, Derive]:
    return {scheme.fact: _derive(scheme) for scheme in schemes}
