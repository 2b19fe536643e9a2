"""Every requirement of a knowledge base, evaluated once per case.

The options, prognosis figures and work-up items hold about 280 requirements but only
about 70 distinct ones (immunophenotype B, first relapse, ...). The index lists the
distinct ones; a case evaluates each once, and every criteria block picks its results.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rrall.rules.check import CriterionResult, check_one
from rrall.rules.criteria import Criteria
from rrall.rules.profile import Profile


class CriteriaIndex:
    def __init__(self, blocks: Iterable[Criteria]) -> None:
        self._blocks = list(blocks)  # kept alive: positions are keyed by their ids
        self.requirements: list[tuple[str, Any, Any]] = []
        seen: dict[tuple[str, Any], int] = {}
        self._positions: dict[int, tuple[int, ...]] = {}
        for block in self._blocks:
            places = []
            for name, value, frozen in block.frozen:
                place = seen.setdefault((name, frozen), len(self.requirements))
                if place == len(self.requirements):
                    self.requirements.append((name, value, frozen))
                places.append(place)
            self._positions[id(block)] = tuple(places)

    def evaluate(self, profile: Profile) -> tuple[CriterionResult, ...]:
        return tuple(check_one(name, value, frozen, profile) for name, value, frozen in self.requirements)

    def pick(self, block: Criteria, results: tuple[CriterionResult, ...]) -> list[CriterionResult]:
        return [results[i] for i in self._positions[id(block)]]
