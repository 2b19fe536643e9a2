"""Two engines side by side: which conclusions of a case differ between two knowledge releases.

An impact run asks, for many cases, whether each conclusion (a framework, an option, a
prognosis figure, an open trial) comes out differently under the old and the new release.
A decision depends only on where the case's facts fall among the bounds of the criteria it
evaluates (its own, and the frameworks' and timing schemes' whose outputs it reads), so
decisions are kept under keys made from those bounds alone, narrower than the engine's
(which also tells apart every trial's age limits). The comparison is kept under the pair of
decisions: each distinct pair is put in words and compared once, and every further case
with that pair costs a few dictionary look-ups. When both releases derive facts the same
way (same facts, classification and anthracycline files), a case is classified once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rrall.case.model import Case
from rrall.criteria.keys import Keys
from rrall.engine import Engine
from rrall.engine.conclusion import Conclusion
from rrall.knowledge.facts import When
from rrall.knowledge.load import bounds
from rrall.logic.values import Value
from rrall.logic.world import World
from rrall.results import CumulativeAnthracycline

S = TypeVar("S")
KINDS = ("framework", "option", "prognosis", "trial")
_KEPT = 300_000  # distinct decisions and comparisons kept before the tables start afresh


@dataclass(frozen=True)
class Pair:
    """One conclusion in both releases (None where a release does not have it)."""

    kind: str
    id: str
    old: Conclusion | None
    new: Conclusion | None


def _listed(engine: Engine) -> dict[tuple[str, str], Conclusion]:
    groups = (engine.frameworks, engine.options, engine.prognosis, engine.trials.each_shown())
    return {(kind, c.id): c for kind, group in zip(KINDS, groups, strict=True) for c in group}


def _derived_criteria(engine: Engine) -> list[When]:
    """The criteria behind every framework output and timing category a conclusion may read."""
    kb = engine.kb
    found = [r.when for fw in kb.frameworks.values() for r in fw.rules()]
    for scheme in kb.classification.timing_schemes:
        found += [scheme.scope, *(r.when for r in scheme.rules)]
    return found


class _Release:
    """One engine, with keys narrowed to the criteria of the conclusions compared."""

    def __init__(self, engine: Engine, compared: list[Conclusion]) -> None:
        self.engine = engine
        criteria = _derived_criteria(engine) + [w for c in compared for w in c.criteria]
        self.keys = Keys(criteria, bounds(criteria))
        self.needed = sorted({engine.fact_index[f] for c in compared for f in c.reads})
        self.decisions: dict[Hashable, Any] = {}
        self._keyed: dict[Hashable, Hashable] = {}

    def key_of(self, fact: str, value: Value) -> Hashable:
        """Where a fact's value falls among the bounds, kept per value (the same values recur)."""
        try:
            return self._keyed[(fact, type(value), value)]
        except KeyError:
            found = self._keyed[(fact, type(value), value)] = self.keys.of(fact, value)
            return found
        except TypeError:  # a value that cannot be a dictionary key
            return self.keys.of(fact, value)


class _Side:
    """One case under one release; its world is made only when a decision is new."""

    def __init__(self, release: _Release, facts: dict[str, Value], doses: CumulativeAnthracycline) -> None:
        self.release, self.facts, self.doses = release, facts, doses
        names, of = release.engine.facts, release.key_of
        coarser = release.engine.rows.coarser
        self.row: list[Hashable] = [None] * (len(names) + len(coarser))
        for i in release.needed:
            self.row[i] = of(names[i], facts[names[i]])
        for place, fact, limits in coarser:  # a conclusion's own bounds (engine/rows.py)
            self.row[place] = release.keys.band(fact, facts[fact], limits)
        self.dose_key = (doses.table, doses.status, doses.cautions, doses.citations)
        self._world: World | None = None

    @property
    def world(self) -> World:
        if self._world is None:
            self._world = self.release.engine.ev.world(self.facts)
        return self._world

    def decision(self, c: Conclusion | None) -> Any:
        if c is None:
            return None
        table = self.release.decisions
        key = (c.index, c.pick(self.row))  # type: ignore[arg-type]
        found = table.get(key, _NOT_YET)
        if found is _NOT_YET:
            found = table[key] = c.decide(self.world)
        return found

    def render(self, c: Conclusion | None, decision: Any) -> Any:
        return None if c is None else c.render(decision, self.world, self.doses)


class SideBySide(Generic[S]):
    """Compare cases under two engines; `summarize(kind, old, new)` turns a pair of rendered
    results (None where absent) into what changed, or a false value when nothing did."""

    def __init__(
        self,
        old: Engine,
        new: Engine,
        summarize: Callable[[str, Any, Any], S],
        same_facts: bool = False,
        only: set[tuple[str, str]] | None = None,
        through: dict[tuple[str, str], frozenset[str]] | None = None,
    ) -> None:
        """`only`: the (kind, id) of the conclusions that may differ (None: every one).
        `through`: for a conclusion whose own data did not change, the frameworks whose change
        alone may change it: when each of them decides the same way (the same group, HSCT
        rule and status in every world of the case) under both releases, it is not compared."""
        self.old, self.new, self.summarize = old, new, summarize
        self.same_facts = same_facts and old.facts == new.facts
        before, after = _listed(old), _listed(new)
        keys = [k for k in dict.fromkeys([*before, *after]) if only is None or k in only]
        self.pairs = [Pair(k[0], k[1], before.get(k), after.get(k)) for k in keys]
        self._old = _Release(old, [p.old for p in self.pairs if p.old])
        self._new = _Release(new, [p.new for p in self.pairs if p.new])
        self._through = through or {}
        self._kept: dict[Hashable, S] = {}
        self._same: dict[Hashable, bool] = {}
        self.distinct = 0  # pairs of decisions put in words and compared

    def _sides(self, case: Case) -> tuple[_Side, _Side]:
        old, new = self.old, self.new
        classified, doses = old.ev.classify(case, timing=old.timing)
        old.memo.renew_if_full()
        if self.same_facts:
            return _Side(self._old, classified.facts, doses), _Side(self._new, classified.facts, doses)
        new.memo.renew_if_full()
        again, new_doses = new.ev.classify(case, timing=new.timing)
        return _Side(self._old, classified.facts, doses), _Side(self._new, again.facts, new_doses)

    def compare(self, case: Case) -> list[tuple[Pair, S]]:
        """Each conclusion whose result differs for this case, with what changed."""
        if not self.pairs:
            return []
        if len(self._kept) + len(self._old.decisions) + len(self._new.decisions) > _KEPT:
            self._kept.clear()  # with the decisions whose ids key it
            self._same.clear()
            self._old.decisions.clear()
            self._new.decisions.clear()
            self._old._keyed.clear()
            self._new._keyed.clear()
        before, after = self._sides(case)
        found: list[tuple[Pair, S]] = []
        differs: set[str] = set()  # frameworks that decide differently for this case
        for number, pair in enumerate(self.pairs):
            via = self._through.get((pair.kind, pair.id))
            if via and not via & differs:
                continue
            old_decision, new_decision = before.decision(pair.old), after.decision(pair.new)
            if pair.kind == "framework" and self._differs(number, old_decision, new_decision):
                differs.add(pair.id)
            doses = (pair.old and pair.old.doses) or (pair.new and pair.new.doses)
            key = (
                number,
                id(old_decision),
                id(new_decision),
                (before.dose_key, after.dose_key) if doses else None,
            )
            said = self._kept.get(key, _NOT_YET)
            if said is _NOT_YET:
                said = self._kept[key] = self.summarize(
                    pair.kind, before.render(pair.old, old_decision), after.render(pair.new, new_decision)
                )
                self.distinct += 1
            if said:
                found.append((pair, said))  # type: ignore[arg-type]
        return found

    def _differs(self, number: int, old: Any, new: Any) -> bool:
        """Whether a framework's outcome (status, group, HSCT rule over the case's open
        questions) differs between the releases."""
        key = (number, id(old), id(new))
        same = self._same.get(key)
        if same is None:
            same = self._same[key] = old is not None and new is not None and old.view == new.view
        return not same


_NOT_YET = object()
