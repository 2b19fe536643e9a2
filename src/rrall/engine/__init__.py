"""The engine: one per knowledge base and trial registry, owning every cache.

`Engine.assess(case)` evaluates the case's facts against every framework, option,
prognosis figure, work-up item and trial. A conclusion is decided once for every case
whose facts fall the same way among the bounds its criteria compare them with (its key,
criteria/keys.py), then put in words once for every case whose quoted values are the same
(engine/memo.py). Every shared part is immutable. `cache=False` computes everything afresh
(a property test proves both give the same output).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import partial
from typing import TypeVar

from rrall._version import __version__
from rrall.case.model import Case
from rrall.criteria.describe import Describer
from rrall.criteria.evaluator import Evaluator
from rrall.criteria.keys import Keys
from rrall.engine.memo import Conclusion, Memo, NoMemo, One, decided_facts
from rrall.engine.summary import cited, excluded_values, input_sha256, missing_data, with_test
from rrall.knowledge.clinical import Therapy
from rrall.knowledge.facts import When
from rrall.knowledge.load import KnowledgeBase
from rrall.logic.resolve import resolve
from rrall.logic.values import Value
from rrall.logic.world import World
from rrall.options.evaluate import decide, decide_option, render_option, sort_options
from rrall.options.workup import gaps
from rrall.prognosis.match import decide_estimate, render_estimate, specificity
from rrall.results import (
    Assessment,
    FrozenMap,
    MissingData,
    OptionResult,
    PrognosisResult,
    Timing,
    TrialMatch,
)
from rrall.risk.evaluate import decide as decide_framework
from rrall.risk.evaluate import render as render_framework
from rrall.trials.match import decide_trial, rank, render_trial
from rrall.trials.registry import Registry, default_registry

NOTICE = (
    "Decision support for qualified clinicians, for research and education. "
    "rrall does not prescribe: every output must be checked against the current protocol."
)
R = TypeVar("R")
__all__ = ["NOTICE", "Engine", "engine_for", "excluded_values", "input_sha256"]


class Engine:
    def __init__(
        self,
        kb: KnowledgeBase,
        registry: Registry | None = None,
        *,
        cache: bool = True,
        cache_size: int = 100_000,
    ) -> None:
        self.kb = kb
        self.registry = registry if registry is not None else default_registry(kb)
        self.ev = ev = Evaluator(kb, [t.eligibility for t in self.registry.trials])
        self.keys = Keys(ev.criteria, ev.bounds)
        self.memo: Memo = Memo(cache_size) if cache else NoMemo(0)
        self.describer = Describer(ev.words, cache=cache_size if cache else 0)
        self.facts = ev.base_facts
        self.fact_index = {f: i for i, f in enumerate(self.facts)}
        schemes = {s.fact: s for s in kb.classification.timing_schemes}
        self.frameworks = [
            (
                fw,
                Conclusion(
                    self,
                    "framework",
                    fw.id,
                    [
                        *(r.when for r in fw.rules()),
                        schemes[fw.timing_fact].scope,
                        *(r.when for r in schemes[fw.timing_fact].rules),
                    ],
                ),
            )
            for fw in kb.frameworks.values()
        ]
        self.options = [
            (
                t,
                Conclusion(
                    self,
                    "option",
                    t.id,
                    [t.requires, *(r.when for r in t.rules), *(c.when for c in t.cautions)],
                ),
            )
            for t in kb.therapies.values()
        ]
        self.prognosis = [(p, Conclusion(self, "prognosis", p.id, [p.population])) for p in kb.prognosis]
        self.workup = [(w, Conclusion(self, "workup", w.id, [w.when])) for w in kb.workup]
        self.trials = [(t, Conclusion(self, "trial", t.id, [t.eligibility])) for t in self.registry.trials]
        self.open_trials = [(t, c) for t, c in self.trials if t.open]
        self._specificity = [specificity(p) for p, _ in self.prognosis]
        self._timing_reads = ev.reads(
            [s.scope for s in schemes.values()] + [r.when for s in schemes.values() for r in s.rules]
        )

    def assess(self, case: Case, *, anthracycline_table: str | None = None) -> Assessment:
        ev, memo = self.ev, self.memo
        classified, doses = ev.classify(case, anthracycline_table, timing=self._timing)
        one = One(self, classified.facts)
        risk = tuple(
            one.conclude(
                c,
                partial(decide_framework, ev, fw, one.world),
                decided_facts,
                partial(render_framework, ev, self.describer, fw, world=one.world),
            )
            for fw, c in self.frameworks
        )
        dose_key = (doses.table, doses.status, doses.cautions, doses.citations)
        options = self._list(
            "options",
            tuple(
                one.conclude(
                    c,
                    partial(decide_option, ev, t, one.world),
                    decided_facts,
                    partial(render_option, ev, self.describer, t, world=one.world, doses=doses),
                    dose_key if t.contains_anthracycline else None,
                )
                for t, c in self.options
            ),
            sort_options,
        )
        prognosis = self._prognosis(one)
        trials = self._trials(one, include_closed=False)
        missing = [
            *memo.get(
                ("missing", *map(id, risk), *map(id, options)),
                partial(missing_data, risk, options, ev.words.glossary),
                "lists",
            ),
            *(entry for fact in classified.assumed for entry in self._what_if(one, fact, options)),
        ]
        sources = [
            *memo.get(
                (
                    "cited",
                    *map(id, risk),
                    *map(id, options),
                    *map(id, prognosis),
                    doses.citations,
                    doses.cautions,
                ),
                partial(cited, risk, options, prognosis, doses),
                "lists",
            ),
            *(c for w in classified.warnings for c in w.citations),
        ]
        for item, c in self.workup:
            if memo.get(c.key(one.row), partial(_outcomes, item.when.test.test, one.world)) == [False]:
                continue
            for field in gaps(item, case):
                sources += item.citations
                missing = with_test(missing, field, item.name, item.why)
        references = memo.get(
            ("references", *sources),
            lambda: FrozenMap({c: self.kb.references[c].source for c in dict.fromkeys(sources)}),
            "lists",
        )
        return Assessment(
            case_id=case.id,
            engine_version=__version__,
            knowledge_version=self.kb.version,
            assessment_date=case.as_of,
            input_sha256=input_sha256(case),
            notice=NOTICE,
            classification=classified.classification,
            risk=FrozenMap({r.framework: r for r in risk}),
            options=options,
            cumulative_anthracycline=doses,
            prognosis=prognosis,
            trials=trials,
            missing_data=tuple(missing),
            warnings=classified.warnings,
            references=references,
        )

    def row(self, facts: dict[str, Value]) -> list[Hashable]:
        """Each fact's key part for one case (where it falls among the criteria's bounds)."""
        of = self.keys.of
        return [of(f, facts[f]) for f in self.facts]

    def match_trials(self, case: Case, include_closed: bool = False) -> tuple[TrialMatch, ...]:
        classified, _ = self.ev.classify(case, timing=self._timing)
        return self._trials(One(self, classified.facts), include_closed)

    def in_words(self, when: When) -> str:
        """What a criterion asks for, in a clinician's words (no case needed)."""
        return self.describer.rule(when.test)

    def ruled_out_by(self, fact: str) -> dict[str, set[str]]:
        """Per option, the values of a list fact whose presence its requirement excludes
        (the kinase-domain mutations that rule out each TKI), read off the criteria."""
        return {t.id: excluded_values(t.requires.test, fact) for t, _ in self.options}

    def _list(self, kind: str, found: tuple[R, ...], order: Callable[[list[R]], list[R]]) -> tuple[R, ...]:
        """Results in reading order, made once for each distinct set of results (the memo
        entry holds the results, so their ids stay theirs while it lives)."""
        return self.memo.get((kind, *map(id, found)), lambda: tuple(order(list(found))), "lists")

    def _timing(self, facts: dict[str, Value]) -> Timing:
        key = ("timing", *(self.keys.of(f, facts[f]) for f in self._timing_reads))
        return self.memo.get(key, partial(self.ev.classifier.timing_of, facts))

    def _prognosis(self, one: One) -> tuple[PrognosisResult, ...]:
        """Figures whose population fits, those that surely apply first, most specific first."""
        found = tuple(
            one.conclude(
                c,
                partial(decide_estimate, estimate, one.world),
                _leaf_facts(c),
                partial(render_estimate, self.describer, estimate, world=one.world),
            )
            for estimate, c in self.prognosis
        )
        return self.memo.get(("prognosis-list", *map(id, found)), partial(self._ordered, found), "lists")

    def _ordered(self, found: tuple[PrognosisResult | None, ...]) -> tuple[PrognosisResult, ...]:
        ranked = [(r.match != "applies", -self._specificity[i], i, r) for i, r in enumerate(found) if r]
        return tuple(r for *_, r in sorted(ranked, key=lambda item: item[:3]))

    def _trials(self, one: One, include_closed: bool) -> tuple[TrialMatch, ...]:
        found = tuple(
            one.conclude(
                c,
                partial(decide_trial, t, one.world),
                _leaf_facts(c),
                partial(render_trial, self.describer, t, world=one.world),
            )
            for t, c in (self.trials if include_closed else self.open_trials)
        )
        return self._list("trials", found, partial(sorted, key=rank))

    def _what_if(self, one: One, fact: str, options: tuple[OptionResult, ...]) -> list[MissingData]:
        """A fact the case leaves unrecorded is read as its assumed value (knowledge/facts.yaml:
        a relapse without a recorded reinduction outcome is not yet refractory); say which
        options would change if it took the other value, so that reading is visible."""
        assumed = one.facts[fact]
        other = not assumed
        world = self.ev.world({**one.facts, fact: other})
        keys = list(one.row)
        keys[self.fact_index[fact]] = self.keys.of(fact, other)
        now = {o.id: o.status for o in options}
        changed: list[tuple[Therapy, str]] = []
        for therapy, c in self.options:
            if fact in c.reads:
                after = self.memo.get(("what-if", c.key(keys)), partial(_status, therapy, world))
                if after != now[therapy.id]:
                    changed.append((therapy, after))
        if not changed:
            return []
        glossary, words = self.ev.words.glossary, self.ev.words
        field = self.kb.facts.facts[fact].field
        said = tuple(
            f"{t.name}: {glossary.value('option_status', now[t.id]).lower()} now, "
            f"{glossary.value('option_status', after).lower()} if {words.value(fact, other)}"
            for t, after in changed
        )
        return [
            MissingData(
                field=field,
                affects=tuple(f"option:{t.id}" for t, _ in changed),
                decides=said,
                test=glossary.test(field),
            )
        ]


def _leaf_facts(c: Conclusion) -> Callable[[object], tuple[str, ...]]:
    return lambda _decision: c.leaf_facts


def _outcomes(test: Callable[[World], object], world: World) -> list[object]:
    return resolve(world, test).outcomes()


def _status(therapy: Therapy, world: World) -> str:
    statuses = resolve(world, partial(decide, therapy)).map(lambda k: k[0])
    return statuses.outcome if statuses.settled else "insufficient_data"


_ENGINES: dict[tuple[int, int], tuple[KnowledgeBase, Registry | None, Engine]] = {}


def engine_for(kb: KnowledgeBase, registry: Registry | None = None) -> Engine:
    """The process's engine for a knowledge base (and registry), made on first use. The
    entry holds both, so their ids stay theirs while it lives."""
    key = (id(kb), id(registry))
    found = _ENGINES.get(key)
    if found is None or found[0] is not kb or found[1] is not registry:
        found = _ENGINES[key] = (kb, registry, Engine(kb, registry))
    return found[2]
