"""Every requirement of a knowledge base, evaluated once per case.

The options, prognosis figures and work-up items hold about 280 requirements but only
about 70 distinct ones (immunophenotype B, first relapse, ...), reading about 20 distinct
sets of profile facts (rules/check.py DEPS). The index evaluates each distinct
requirement once per case, a group of them per dictionary lookup on the facts the group
reads, and picks each block's results from that one evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

from rrall.rules.check import DEPS, CriterionResult, check_one
from rrall.rules.criteria import Criteria
from rrall.rules.profile import Profile

Results = tuple[CriterionResult, ...]
MAX_ENTRIES = 100_000


class CriteriaIndex:
    def __init__(self, blocks: Iterable[Criteria]) -> None:
        self._blocks = list(blocks)  # kept alive: positions are keyed by their ids
        distinct: dict[tuple[str, Any], tuple[str, Any, Any]] = {}
        for block in self._blocks:
            for name, value, frozen in block.frozen:
                distinct.setdefault((name, frozen), (name, value, frozen))
        # Requirements that read the same profile facts sit together, so that one lookup on
        # those facts gives the results of the whole group.
        groups: dict[tuple[str, ...], list[tuple[str, Any, Any]]] = {}
        for requirement in distinct.values():
            groups.setdefault(DEPS[requirement[0]], []).append(requirement)
        self.requirements = [r for members in groups.values() for r in members]
        self._groups = [(facts, tuple(members)) for facts, members in groups.items()]
        place = {(name, frozen): i for i, (name, _, frozen) in enumerate(self.requirements)}
        self._positions = {id(block): tuple(place[(name, frozen)] for name, _, frozen in block.frozen)
                           for block in self._blocks}
        self._memo: dict[tuple[Any, ...], Results] = {}
        self._readers: dict[str, list[int]] = {}

    def evaluate(self, profile: Profile) -> Results:
        memo = self._memo
        out: list[CriterionResult] = []
        for facts, members in self._groups:
            key = (facts, *[getattr(profile, f) for f in facts])
            found = memo.get(key)
            if found is None:
                if len(memo) >= MAX_ENTRIES:
                    memo.clear()
                found = memo[key] = tuple(check_one(name, value, frozen, profile)
                                          for name, value, frozen in members)
            out.extend(found)
        return tuple(out)

    def reevaluate(self, profile: Profile, results: Results, fact: str) -> Results:
        """`results` for a profile that differs from theirs only in `fact`: only the
        requirements that read it are evaluated again."""
        out = list(results)
        for i in self._reading(fact):
            name, value, frozen = self.requirements[i]
            out[i] = check_one(name, value, frozen, profile)
        return tuple(out)

    def _reading(self, fact: str) -> list[int]:
        found: list[int] | None = self._readers.get(fact)
        if found is None:
            found = self._readers[fact] = [i for i, (name, _, _) in enumerate(self.requirements)
                                           if fact in DEPS[name]]
        return found

    def reads(self, blocks: Iterable[Criteria], fact: str) -> bool:
        """Whether any requirement of `blocks` reads `fact`."""
        return any(fact in DEPS[name] for block in blocks for name, _, _ in block.frozen)

    def getter(self, blocks: Iterable[Criteria], distinct: bool = False) -> Callable[[Results], Results]:
        """A function picking the results of `blocks`, in order, as one flat tuple (each
        requirement once with `distinct`)."""
        places = [i for block in blocks for i in self._positions[id(block)]]
        if distinct:
            places = sorted(set(places))
        if not places:
            return lambda results: ()
        get = itemgetter(*places)
        if len(places) == 1:
            return lambda results: (get(results),)
        return get
