"""Two engines side by side: which conclusions of a case differ between two knowledge releases.

An impact run asks, for many cases, whether each conclusion (a framework, an option, a
prognosis figure, an open trial) comes out differently under the old and the new release.
A conclusion's decision is shared by every case whose facts fall the same way among its
bounds (the engine's memo), so the comparison is kept under the pair of decisions: each
distinct pair is put in words and compared once, and every further case with that pair
costs two dictionary look-ups per conclusion. When both releases derive facts the same way
(same facts, classification and anthracycline files), a case is classified once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rrall.case.model import Case
from rrall.engine import Conclusion, Engine
from rrall.logic.values import Value
from rrall.logic.world import World
from rrall.results import CumulativeAnthracycline

S = TypeVar("S")
KINDS = ("framework", "option", "prognosis", "trial")


@dataclass(frozen=True)
class Pair:
    """One conclusion in both releases (None where a release does not have it)."""

    kind: str
    id: str
    old: Conclusion | None
    new: Conclusion | None


def _listed(engine: Engine) -> dict[tuple[str, str], Conclusion]:
    groups = (engine.frameworks, engine.options, engine.prognosis, engine.open_trials)
    return {(kind, c.id): c for kind, group in zip(KINDS, groups, strict=True) for c in group}


class _Side:
    """One case as one engine sees it, with its world made only when a decision is new."""

    def __init__(
        self, engine: Engine, facts: dict[str, Value], doses: CumulativeAnthracycline, needed: list[int]
    ) -> None:
        self.engine, self.facts, self.doses = engine, facts, doses
        memo, of, names = engine.memo, engine.keys.of, engine.facts
        self.bands = [0] * len(names)
        for i in needed:
            self.bands[i] = memo.id_of(("band", i), of(names[i], facts[names[i]]))
        self.dose_id = memo.id_of("doses", (doses.table, doses.status, doses.cautions, doses.citations))
        self._world: World | None = None

    @property
    def world(self) -> World:
        if self._world is None:
            self._world = self.engine.ev.world(self.facts)
        return self._world

    def decision(self, c: Conclusion) -> Any:
        memo = self.engine.memo
        if not memo.enabled:
            return c.decide(self.world)
        table = memo.table(c.index)
        key = c.pick(self.bands)
        found = table.get(key)
        if found is None:
            found = table[key] = c.decide(self.world)
            memo.kept += 1
        return found

    def render(self, c: Conclusion | None, decision: Any) -> Any:
        return None if c is None else c.render(decision, self.world, self.doses)


class SideBySide(Generic[S]):
    """Compare every case under two engines; `summarize(kind, old, new)` turns a pair of
    rendered results (None where absent) into what changed, or a false value when nothing did."""

    def __init__(
        self, old: Engine, new: Engine, summarize: Callable[[str, Any, Any], S], same_facts: bool = False
    ) -> None:
        self.old, self.new, self.summarize = old, new, summarize
        self.same_facts = same_facts and old.facts == new.facts
        before, after = _listed(old), _listed(new)
        self.pairs = [Pair(k[0], k[1], before.get(k), after.get(k)) for k in dict.fromkeys([*before, *after])]
        self._needed_old = sorted({old.fact_index[f] for p in self.pairs if p.old for f in p.old.reads})
        self._needed_new = sorted({new.fact_index[f] for p in self.pairs if p.new for f in p.new.reads})
        self._kept: dict[Hashable, tuple[Any, Any, S]] = {}
        self.distinct = 0  # pairs of decisions put in words and compared

    def _sides(self, case: Case) -> tuple[_Side, _Side]:
        old, new = self.old, self.new
        for engine in (old, new):
            engine.memo.renew_if_full()
        classified, doses = old.ev.classify(case, timing=old._timing)
        facts = classified.facts
        if not self.same_facts:
            new_classified, new_doses = new.ev.classify(case, timing=new._timing)
            new_facts = new_classified.facts
        else:
            new_facts, new_doses = facts, doses
        return _Side(old, facts, doses, self._needed_old), _Side(new, new_facts, new_doses, self._needed_new)

    def compare(self, case: Case) -> list[tuple[Pair, S]]:
        """Each conclusion whose result differs for this case, with what changed."""
        before, after = self._sides(case)
        if len(self._kept) > 200_000:
            self._kept.clear()
        found: list[tuple[Pair, S]] = []
        for number, pair in enumerate(self.pairs):
            old_decision = before.decision(pair.old) if pair.old else None
            new_decision = after.decision(pair.new) if pair.new else None
            doses = bool((pair.old and pair.old.doses) or (pair.new and pair.new.doses))
            key = (
                number,
                id(old_decision),
                id(new_decision),
                (before.dose_id, after.dose_id) if doses else None,
            )
            kept = self._kept.get(key)
            if kept is None or kept[0] is not old_decision or kept[1] is not new_decision:
                said = self.summarize(
                    pair.kind, before.render(pair.old, old_decision), after.render(pair.new, new_decision)
                )
                kept = self._kept[key] = (old_decision, new_decision, said)
                self.distinct += 1
            if kept[2]:
                found.append((pair, kept[2]))
        return found
