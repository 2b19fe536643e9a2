"""Three-valued evaluation by enumeration: every value an unknown input could take.

A case's facts are either known or unknown. Each unknown is replaced in turn by each of
its alternatives (e.g. the end of front-line therapy: during therapy, < 6 months before
the relapse, >= 6 months before), giving a small set of "worlds". A decision is settled
when every world gives the same answer; otherwise it is `insufficient_data` and the
unknowns whose value changes the answer are the missing data.

A numeric unknown (MRD) needs only one representative per interval between the bounds
that the knowledge base compares it with: 0 and each bound itself. Every condition is
`below b` or `at_least b`, so all values in an interval behave like its lower end.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import TypeVar

from rrall.rules.conditions import FactValue, Predicate

T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True)
class Alternative:
    label: str
    facts: dict[str, FactValue]


@dataclass(frozen=True)
class Unknown:
    """An input the case leaves open, the field that would settle it, and what it could be."""

    name: str
    field: str
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class World:
    facts: dict[str, FactValue]
    choice: tuple[int, ...]  # index of the alternative taken for each unknown
    used: dict[str, str] = field(default_factory=dict)  # derived fact -> rule id


@dataclass(frozen=True)
class DerivedFact:
    """A fact computed per world from a unique-hit list of (conditions, value, rule id)."""

    fact: str
    rules: Sequence[tuple[Predicate, str, str]]

    def apply(self, facts: dict[str, FactValue], used: dict[str, str]) -> None:
        for holds, value, rule_id in self.rules:
            if holds(facts):
                facts[self.fact] = value
                used[self.fact] = rule_id
                return
        facts[self.fact] = None


def enumerate_worlds(
    known: dict[str, FactValue], unknowns: Sequence[Unknown], derived: Sequence[DerivedFact]
) -> list[World]:
    """Every combination of the unknowns' alternatives, with derived facts filled in."""
    ranges = [range(len(u.alternatives)) for u in unknowns]
    worlds = []
    for choice in product(*ranges):
        facts = dict(known)
        for unknown, index in zip(unknowns, choice, strict=True):
            facts.update(unknown.alternatives[index].facts)
        used: dict[str, str] = {}
        for rule in derived:
            rule.apply(facts, used)
        worlds.append(World(facts, choice, used))
    return worlds


def deciding_unknowns(
    worlds: Sequence[World], unknowns: Sequence[Unknown], answer: Callable[[World], T]
) -> list[Unknown]:
    """The unknowns whose value alone changes `answer` when everything else is held fixed."""
    deciding = []
    for position, unknown in enumerate(unknowns):
        seen: dict[tuple[int, ...], T] = {}
        for world in worlds:
            rest = world.choice[:position] + world.choice[position + 1 :]
            value = answer(world)
            if rest in seen and seen[rest] != value:
                deciding.append(unknown)
                break
            seen.setdefault(rest, value)
    if not deciding and len({answer(w) for w in worlds}) > 1:
        # Only a combination decides (never seen in the shipped tables): name them all.
        deciding = list(unknowns)
    return deciding
