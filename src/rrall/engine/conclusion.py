"""What the engine concludes, and how each knowledge item becomes one.

A conclusion (a framework, an option, a prognosis figure, a work-up item, a trial's
criterion) says which case facts it reads, how it is decided in a world, and how its
decision is put in words. `Conclusions` makes them from the knowledge base and the trial
registry, each numbered in the order made.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from rrall.criteria.describe import Describer
from rrall.criteria.evaluator import Evaluator
from rrall.criteria.keys import Keys
from rrall.engine.memo import picker
from rrall.knowledge.clinical import Therapy
from rrall.knowledge.facts import When
from rrall.knowledge.load import KnowledgeBase, bounds
from rrall.logic.criteria import Criterion
from rrall.logic.resolve import resolve
from rrall.logic.values import Members, Open, Value
from rrall.logic.world import World
from rrall.options.evaluate import (
    decide_cautions,
    decide_option,
    decide_statuses,
    join_option,
    option_frame,
    render_option,
    reword_option,
)
from rrall.options.labels import decide_labels
from rrall.prognosis.match import decide_estimate, render_estimate
from rrall.results import (
    CriterionResult,
    CumulativeAnthracycline,
    FrameworkResult,
    OptionResult,
    PrognosisResult,
)
from rrall.risk.evaluate import decide as decide_framework
from rrall.risk.evaluate import frame as frame_framework
from rrall.risk.evaluate import render as render_framework
from rrall.risk.evaluate import reword as reword_framework
from rrall.trials.match import decide_parts, parts, render_parts
from rrall.trials.model import Trial

R = TypeVar("R")
Pick = Callable[[Sequence[int]], tuple[int, ...]]


@dataclass(frozen=True)
class Conclusion:
    """One thing the engine concludes (a framework, an option, ...): how it is decided and
    put in words, and the places of the facts it reads in a case's row."""

    index: int
    id: str
    reads: frozenset[str]
    pick: Pick
    decide: Callable[[World], Any]
    quoted: Callable[[Any], tuple[str, ...]]  # the case facts a decision's words quote
    render: Callable[[Any, World, CumulativeAnthracycline], Any]
    doses: bool = False  # its words depend on the anthracycline block too
    criteria: tuple[When, ...] = ()  # its own criteria (not those of the facts it derives)
    # Parts decided apart, each kept under the bands of the facts it reads (fewer than the
    # whole's), and joined into the decision: (picker, decide) each, then the join.
    parts: tuple[tuple[Pick, Callable[[World], Any]], ...] = ()
    join: Callable[..., Any] | None = None
    # Words made in two steps: a frame from the decision (and the anthracycline block),
    # kept with the decision, then reworded with the case's values.
    frame: Callable[[Any, CumulativeAnthracycline], Any] | None = None
    reword: Callable[[Any, Any, World], Any] | None = None


@dataclass
class Case_:
    """One case as the engine sees it: its facts, world, and rows of ids."""

    facts: dict[str, Value]
    world: World
    bands: list[int]
    quotes: list[int]
    doses: CumulativeAnthracycline
    dose_id: int


class Conclusions:
    """Makes the conclusions of one knowledge base and trial registry (`all`, in order)."""

    def __init__(
        self,
        ev: Evaluator,
        fact_index: dict[str, int],
        describer: Describer,
        place: Callable[[str, Keys], int] | None = None,
    ) -> None:
        """`place(fact, own)`: the place in a case's band row of the fact's band among the
        bounds of the criteria keyed by `own` (engine/rows.py); by default the fact's own."""
        self.ev, self.fact_index, self.describer = ev, fact_index, describer
        self.place = place or (lambda fact, _own: fact_index[fact])
        self.all: list[Conclusion] = []

    def frameworks(self, kb: KnowledgeBase) -> list[Conclusion]:
        ev = self.ev
        schemes = {s.fact: s for s in kb.classification.timing_schemes}
        return [
            self.add(
                fw.id,
                [
                    *(r.when for r in fw.rules()),
                    schemes[fw.timing_fact].scope,
                    *(r.when for r in schemes[fw.timing_fact].rules),
                ],
                partial(decide_framework, ev, fw),
                _decision_facts,
                partial(_render_framework, ev, self.describer, fw),
                frame=partial(_framework_frame, ev, fw),
                reword=partial(reword_framework, ev, self.describer, fw),
            )
            for fw in kb.frameworks.values()
        ]

    def options(self, kb: KnowledgeBase) -> list[Conclusion]:
        ev = self.ev
        return [
            self.add(
                t.id,
                [
                    t.requires,
                    *(r.when for r in t.rules),
                    *(c.when for c in t.cautions),
                    *(label.covers for label in kb.labels.get(t.id, ())),
                ],
                partial(decide_option, ev, t),
                _decision_facts,
                partial(_render_option, ev, self.describer, t),
                doses=t.contains_anthracycline,
                parts=[
                    ([t.requires, *(r.when for r in t.rules)], partial(decide_statuses, t)),
                    ([c.when for c in t.cautions], partial(decide_cautions, t)),
                    (
                        [label.covers for label in kb.labels.get(t.id, ())],
                        partial(decide_labels, kb.labels.get(t.id, ())),
                    ),
                ],
                join=partial(join_option, t),
                frame=partial(option_frame, ev, t),
                reword=partial(reword_option, self.describer, t),
            )
            for t in kb.therapies.values()
        ]

    def prognosis(self, kb: KnowledgeBase) -> list[Conclusion]:
        return [
            self.add(
                p.id,
                [p.population],
                partial(decide_estimate, p),
                self._constant([p.population]),
                partial(_render_estimate, self.describer, p),
            )
            for p in kb.prognosis
        ]

    def workup(self, kb: KnowledgeBase) -> list[Conclusion]:
        return [self.add(w.id, [w.when], partial(_outcomes, w.when), _nothing, _as_is) for w in kb.workup]

    def part(self, part: Criterion) -> Conclusion:
        """One part of trials' eligibility (shared by every trial that has it)."""
        items = (part,)
        when = When(source=None, test=part)
        return self.add(
            f"criterion:{len(self.all)}",
            [when],
            partial(decide_parts, items),
            self._constant([when]),
            partial(_render_parts, self.describer, items),
        )

    def eligibility(self, trial: Trial) -> Conclusion:
        """A trial's whole structured eligibility (to compare releases trial by trial)."""
        items = parts(trial)
        return self.add(
            f"eligibility:{trial.id}",
            [trial.eligibility],
            partial(decide_parts, items),
            self._constant([trial.eligibility]),
            partial(_render_parts, self.describer, items),
        )

    def add(
        self,
        ident: str,
        criteria: list[When],
        decide: Callable[[World], Any],
        quoted: Callable[[Any], tuple[str, ...]],
        render: Callable[..., Any],
        doses: bool = False,
        parts: Sequence[tuple[list[When], Callable[[World], Any]]] = (),
        join: Callable[..., Any] | None = None,
        frame: Callable[[Any, CumulativeAnthracycline], Any] | None = None,
        reword: Callable[[Any, Any, World], Any] | None = None,
    ) -> Conclusion:
        reads = self.ev.reads(criteria)
        picked = tuple((self._picker(self.ev.reads(c), c), d) for c, d in parts)
        found = Conclusion(
            len(self.all), ident, frozenset(reads), self._picker(reads, criteria), decide, quoted, render,
            doses, tuple(criteria), picked, join, frame, reword,
        )
        self.all.append(found)
        return found

    def _picker(self, facts: Sequence[str], criteria: list[When]) -> Pick:
        """Picks the bands of `facts` a decision on `criteria` is kept under: each number's
        among the bounds these criteria (and the derived facts they read) compare it with."""
        through = self.ev.criteria_through(criteria)
        own = Keys(through, bounds(through))
        return picker([self.place(f, own) for f in facts])

    def _constant(self, criteria: list[When]) -> Callable[[Any], tuple[str, ...]]:
        read = {leaf.fact for c in criteria for leaf in c.test.leaves()}
        facts = tuple(sorted(read & set(self.fact_index)))
        return lambda _decision: facts


def exact(value: Value, fact: str, precision: Callable[[str, Decimal | int], object]) -> Hashable:
    """A fact's value as finely as the words quote it."""
    if isinstance(value, Members):
        return ("members", value.present, value.maybe, value.source)
    if isinstance(value, Open):
        q = value.question
        return ("open", q.id, q.field, tuple(a.value for a in q.alternatives), value.low, value.high)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return ("number", precision(fact, value))
    return value


def _decision_facts(decision: Any) -> tuple[str, ...]:
    return decision.facts  # type: ignore[no-any-return]


def _nothing(_decision: object) -> tuple[str, ...]:
    return ()


def _as_is(decision: R, _world: World, _doses: CumulativeAnthracycline) -> R:
    return decision


def _outcomes(when: When, world: World) -> list[bool]:
    return resolve(world, when.test.test).outcomes()


def _render_framework(
    ev: Evaluator, describer: Describer, fw: Any, decision: Any, world: World, _doses: CumulativeAnthracycline
) -> FrameworkResult:
    return render_framework(ev, describer, fw, decision, world)


def _framework_frame(
    ev: Evaluator, fw: Any, decision: Any, _doses: CumulativeAnthracycline
) -> FrameworkResult:
    return frame_framework(ev, fw, decision)


def _render_option(
    ev: Evaluator,
    describer: Describer,
    therapy: Therapy,
    decision: Any,
    world: World,
    doses: CumulativeAnthracycline,
) -> OptionResult:
    return render_option(ev, describer, therapy, decision, world, doses)


def _render_estimate(
    describer: Describer, estimate: Any, decision: Any, world: World, _doses: CumulativeAnthracycline
) -> PrognosisResult | None:
    return render_estimate(describer, estimate, decision, world)


def _render_parts(
    describer: Describer,
    items: tuple[Criterion, ...],
    decision: Any,
    world: World,
    _doses: CumulativeAnthracycline,
) -> tuple[CriterionResult, ...]:
    return render_parts(describer, items, decision, world)
