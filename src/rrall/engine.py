"""The engine: one per knowledge base and trial registry, owning every cache.

`Engine.assess(case)` evaluates the case's facts against every framework, option,
prognosis figure, work-up item and trial. A result depends only on the facts its criteria
read (through timing and frameworks), and a number only on where it falls among the
bounds the criteria compare it with, so results are shared between cases whose keys are
equal (criteria/keys.py); every shared part is immutable. `cache=False` computes
everything afresh (a property test proves both give the same output).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any, TypeVar

from rrall import __version__
from rrall.case.model import Case
from rrall.criteria.describe import Describer
from rrall.criteria.evaluator import Evaluator
from rrall.criteria.keys import Keys
from rrall.knowledge.facts import When
from rrall.knowledge.glossary import Glossary
from rrall.knowledge.load import KnowledgeBase
from rrall.logic.criteria import All, Criterion, Has, Not
from rrall.logic.resolve import resolve
from rrall.logic.values import Members, Open, Value
from rrall.logic.world import World
from rrall.options.evaluate import decide, decide_option, render_option, sort_options
from rrall.options.workup import gaps
from rrall.prognosis.match import decide_estimate, render_estimate, specificity
from rrall.results import (
    Assessment,
    CumulativeAnthracycline,
    FrameworkResult,
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

NOTICE = ("Decision support for qualified clinicians, for research and education. "
          "rrall does not prescribe: every output must be checked against the current protocol.")
R = TypeVar("R")
D = TypeVar("D")


class Memo:
    """Bounded tables of shared results, one per kind (decisions, words, lists), each
    cleared when full: a long cohort run cannot grow them without limit, the results are
    cheap to make again, and many one-off entries of one kind never push out another."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._tables: dict[str, dict[Hashable, Any]] = {}

    def get(self, key: Hashable, make: Callable[[], R], kind: str = "decision") -> R:
        table = self._tables.get(kind)
        if table is None:
            table = self._tables[kind] = {}
        found = table.get(key, _MISSING)
        if found is _MISSING:
            if len(table) >= self.size:
                table.clear()
            found = table[key] = make()
        return found  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables.values())


_MISSING = object()


class _NoMemo(Memo):
    def get(self, key: Hashable, make: Callable[[], R], kind: str = "decision") -> R:
        return make()


class Conclusion:
    """One thing the engine concludes (a framework, an option, ...) and the case facts it
    reads (through timing and frameworks): its key."""

    def __init__(self, engine: Engine, kind: str, ident: str, criteria: Sequence[When]) -> None:
        self.kind, self.id = kind, ident
        reads = engine.ev.reads(criteria)
        places = [engine.fact_index[f] for f in reads]
        self.leaf_facts = tuple(sorted({leaf.fact for c in criteria for leaf in c.test.leaves()
                                        if "." not in leaf.fact}))
        self._pick = itemgetter(*places) if len(places) > 1 else (
            (lambda row: (row[places[0]],)) if places else (lambda row: ()))
        self.reads = frozenset(reads)

    def key(self, row: Sequence[Hashable]) -> Hashable:
        return (self.kind, self.id, self._pick(row))


class One:
    """One case as the engine sees it: its facts, world and keys, each made once."""

    def __init__(self, engine: Engine, facts: dict[str, Value]) -> None:
        self.engine, self.facts = engine, facts
        self.world = engine.ev.world(facts)
        self.row = engine.row(facts)
        self._exact: dict[str, Hashable] = {}
        self._quoted: dict[tuple[str, ...], tuple[Hashable, ...]] = {}

    def exact(self, fact: str) -> Hashable:
        """A fact's exact value, as the words quote it."""
        found = self._exact.get(fact, _MISSING)
        if found is _MISSING:
            value = self.facts.get(fact)  # a derived fact (timing) is settled by the key
            if isinstance(value, Members):
                found = ("members", value.present, value.maybe)
            elif isinstance(value, Open):
                found = ("open", value.question.id, tuple(a.value for a in value.question.alternatives),
                         value.low, value.high)
            elif isinstance(value, int | Decimal) and not isinstance(value, bool):
                found = self.engine.ev.words.precision(fact, value)  # type: ignore[assignment]
            else:
                found = value  # type: ignore[assignment]
            self._exact[fact] = found
        return found

    def quoted(self, facts: tuple[str, ...]) -> tuple[Hashable, ...]:
        """The exact values of some facts (each set worked out once per case)."""
        found = self._quoted.get(facts)
        if found is None:
            found = self._quoted[facts] = tuple(self.exact(f) for f in facts)
        return found

    def conclude(self, c: Conclusion, decide: Callable[[], D], facts_of: Callable[[D], tuple[str, ...]],
                 render: Callable[[D], R], extra: Hashable = None) -> R:
        """A conclusion's decision, shared by the facts it reads, then its words, shared by
        the exact values they quote."""
        memo = self.engine.memo
        key = c.key(self.row) if extra is None else (c.key(self.row), extra)
        decision = memo.get(key, decide)
        return memo.get((key, self.quoted(facts_of(decision))), lambda: render(decision), "words")


class Engine:
    def __init__(self, kb: KnowledgeBase, registry: Registry | None = None, *, cache: bool = True,
                 cache_size: int = 100_000) -> None:
        self.kb = kb
        self.registry = registry if registry is not None else default_registry(kb)
        self.ev = Evaluator(kb, self.registry.trials)
        self.keys = Keys(self.ev.criteria, self.ev.bounds)
        self.memo: Memo = Memo(cache_size) if cache else _NoMemo(0)
        ev = self.ev
        self.describer = Describer(ev.words, cache=cache_size if cache else 0)
        self.facts = ev.base_facts
        self.fact_index = {f: i for i, f in enumerate(self.facts)}
        schemes = {s.fact: s for s in kb.classification.timing_schemes}
        self.frameworks = [(fw, Conclusion(self, "framework", fw.id, [
            *(r.when for r in fw.rules()), schemes[fw.timing_fact].scope,
            *(r.when for r in schemes[fw.timing_fact].rules)])) for fw in kb.frameworks.values()]
        self.options = [(t, Conclusion(self, "option", t.id, [
            t.requires, *(r.when for r in t.rules), *(c.when for c in t.cautions)])) for t in kb.therapies.values()]
        self.prognosis = [(p, Conclusion(self, "prognosis", p.id, [p.population])) for p in kb.prognosis]
        self.workup = [(w, Conclusion(self, "workup", w.id, [w.when])) for w in kb.workup]
        self.trials = [(t, Conclusion(self, "trial", t.id, [t.eligibility])) for t in self.registry.trials]
        self.open_trials = [(t, c) for t, c in self.trials if t.open]
        self._specificity = [specificity(p) for p, _ in self.prognosis]
        self._timing_reads = ev.reads([s.scope for s in schemes.values()]
                                      + [r.when for s in schemes.values() for r in s.rules])
        self._refractory_readers = [(t, c) for t, c in self.options if "refractory" in c.reads]

    def assess(self, case: Case, *, anthracycline_table: str | None = None) -> Assessment:
        ev, memo = self.ev, self.memo
        classified, doses = ev.classify(case, anthracycline_table, timing=self._timing)
        facts = classified.facts
        one = One(self, facts)
        risk = tuple(one.conclude(c, lambda fw=fw: decide_framework(ev, fw, one.world),  # type: ignore[misc]
                                  lambda d: d.facts,  # type: ignore[attr-defined]
                                  lambda d, fw=fw: render_framework(ev, self.describer, fw, d, one.world))
                     for fw, c in self.frameworks)
        dose_key = (doses.table, doses.status, doses.cautions, doses.citations)
        options = self._list("options", tuple(
            one.conclude(c, lambda t=t: decide_option(ev, t, one.world),  # type: ignore[misc]
                         lambda d: d.facts,  # type: ignore[attr-defined]
                         lambda d, t=t: render_option(ev, self.describer, t, d, one.world, doses),
                         dose_key if t.contains_anthracycline else None)
            for t, c in self.options), sort_options)
        prognosis = self._prognosis(one)
        trials = self._trials(one, include_closed=False)
        missing = list(memo.get(("missing", *map(id, risk), *map(id, options)),
                                lambda: _missing_data(risk, options, ev.words.glossary), "lists"))
        if case.relapses and case.relapses[-1].reinduction_outcome is None and facts["refractory"] is False:
            missing += self._if_refractory(facts, one.row, options)
        cited = [*memo.get(("cited", *map(id, risk), *map(id, options), *map(id, prognosis), doses.citations,
                            doses.cautions), lambda: _cited(risk, options, prognosis, doses), "lists"),
                 *(c for w in classified.warnings for c in w.citations)]
        for item, c in self.workup:
            if memo.get(c.key(one.row), lambda item=item: resolve(one.world, item.when.test.test).outcomes()) \
                    == [False]:
                continue
            for field in gaps(item, case):
                cited += item.citations
                missing = _with_test(missing, field, item.name, item.why)
        references = memo.get(("references", *cited), lambda: FrozenMap(
            {c: self.kb.references[c].source for c in dict.fromkeys(cited)}), "lists")
        return Assessment(
            case_id=case.id, engine_version=__version__, knowledge_version=self.kb.version,
            assessment_date=case.as_of, input_sha256=input_sha256(case), notice=NOTICE,
            classification=classified.classification, risk=FrozenMap({r.framework: r for r in risk}),
            options=options, cumulative_anthracycline=doses, prognosis=prognosis, trials=trials,
            missing_data=tuple(missing), warnings=classified.warnings, references=references)

    def _list(self, kind: str, found: tuple[R, ...], order: Callable[[list[R]], list[R]]) -> tuple[R, ...]:
        """Results in reading order, made once for each distinct set of results (the memo
        entry holds the results, so their ids stay theirs while it lives)."""
        return self.memo.get((kind, *map(id, found)), lambda: tuple(order(list(found))), "lists")

    def _timing(self, facts: dict[str, Value]) -> Timing:
        key = ("timing", *(self.keys.of(f, facts[f]) for f in self._timing_reads))
        return self.memo.get(key, lambda: self.ev.classifier.timing_of(facts))

    def row(self, facts: dict[str, Value]) -> list[Hashable]:
        """Each fact's key part for one case (where it falls among the criteria's bounds)."""
        of = self.keys.of
        return [of(f, facts[f]) for f in self.facts]

    def ruled_out_by(self, fact: str) -> dict[str, set[str]]:
        """Per option, the values of a list fact whose presence its requirement excludes
        (the kinase-domain mutations that rule out each TKI), read off the criteria."""
        return {t.id: excluded_values(t.requires.test, fact) for t, _ in self.options}

    def match_trials(self, case: Case, include_closed: bool = False) -> tuple[TrialMatch, ...]:
        classified, _ = self.ev.classify(case, timing=self._timing)
        return self._trials(One(self, classified.facts), include_closed)

    def _prognosis(self, one: One) -> tuple[PrognosisResult, ...]:
        """Figures whose population fits, those that surely apply first, most specific first."""
        found = tuple(one.conclude(c, lambda e=estimate: decide_estimate(e, one.world),  # type: ignore[misc]
                                   lambda d, c=c: c.leaf_facts,
                                   lambda d, e=estimate: render_estimate(self.describer, e, d, one.world))
                      for estimate, c in self.prognosis)
        return self.memo.get(("prognosis-list", *map(id, found)), lambda: self._ordered(found), "lists")

    def _ordered(self, found: tuple[PrognosisResult | None, ...]) -> tuple[PrognosisResult, ...]:
        ranked = [(r.match != "applies", -self._specificity[i], i) for i, r in enumerate(found) if r is not None]
        return tuple(found[i] for *_, i in sorted(ranked))  # type: ignore[misc]

    def _trials(self, one: One, include_closed: bool) -> tuple[TrialMatch, ...]:
        found = tuple(one.conclude(c, lambda t=t: decide_trial(t, one.world),  # type: ignore[misc]
                                   lambda d, c=c: c.leaf_facts,
                                   lambda d, t=t: render_trial(self.describer, t, d, one.world))
                      for t, c in (self.trials if include_closed else self.open_trials))
        return self._list("trials", found, lambda items: sorted(items, key=rank))

    def _if_refractory(self, facts: dict[str, Value], row: list[Hashable],
                       options: tuple[OptionResult, ...]) -> list[MissingData]:
        """Without a recorded reinduction outcome the relapse is read as not (yet) refractory;
        say which options would change if reinduction failed, so that reading is visible."""
        world = self.ev.world({**facts, "refractory": True})
        keys = list(row)
        keys[self.fact_index["refractory"]] = self.keys.of("refractory", True)
        now = {o.id: o.status for o in options}
        glossary = self.ev.words.glossary
        changed = []
        for therapy, c in self._refractory_readers:
            after = self.memo.get(("if-refractory", c.key(keys)), lambda t=therapy: _status(t, world))  # type: ignore[misc]
            if after != now[therapy.id]:
                changed.append((therapy, after))
        if not changed:
            return []
        field = "relapses[-1].reinduction_outcome"
        said = [f"{t.name}: {glossary.value('option_status', now[t.id]).lower()} now, "
                f"{glossary.value('option_status', after).lower()} if reinduction fails" for t, after in changed]
        return [MissingData(field=field, affects=tuple(f"option:{t.id}" for t, _ in changed),
                            decides=tuple(said), test=glossary.test(field))]


def excluded_values(criterion: Criterion, fact: str) -> set[str]:
    """Values of a list fact that `criterion` requires to be absent (`not: {fact: {has: ...}}`)."""
    if isinstance(criterion, Not) and isinstance(criterion.item, Has) and criterion.item.fact == fact:
        return set(criterion.item.values)
    if isinstance(criterion, All):
        return set().union(*(excluded_values(c, fact) for c in criterion.items))
    return set()


def _status(therapy: Any, world: World) -> str:
    statuses = resolve(world, lambda w: decide(therapy, w)).map(lambda k: k[0])
    return statuses.outcome if statuses.settled else "insufficient_data"  # type: ignore[no-any-return]


def input_sha256(case: Case) -> str:
    """Hash of the validated case in canonical form: the same case gives the same hash
    whether it came as JSON or YAML, with any key order."""
    return hashlib.sha256(case.model_dump_json().encode()).hexdigest()


def _cited(risk: tuple[FrameworkResult, ...], options: tuple[OptionResult, ...],
           prognosis: tuple[PrognosisResult, ...], doses: CumulativeAnthracycline) -> tuple[str, ...]:
    """Every source the results cite, once, in reading order."""
    cited = [c for r in risk for c in (*r.citations, *(x for k in r.cautions for x in k.citations))]
    cited += [c for o in options for c in o.citations]
    cited += [*doses.citations, *(c for k in doses.cautions for c in k.citations)]
    cited += [p.citation for p in prognosis]
    return tuple(dict.fromkeys(cited))


def _missing_data(risk: tuple[FrameworkResult, ...], options: tuple[OptionResult, ...],
                  glossary: Glossary) -> tuple[MissingData, ...]:
    fields: dict[str, tuple[list[str], list[str]]] = {}
    for result in risk:
        for item in result.missing:
            affects, decides = fields.setdefault(item.field, ([], []))
            affects.append(result.framework)
            decides.append(item.decides)
    for option in options:
        for item in option.missing:
            affects, decides = fields.setdefault(item.field, ([], []))
            affects.append(f"option:{option.id}")
            decides.append(item.decides)
    return tuple(MissingData(field=f, affects=tuple(a), decides=tuple(d), test=glossary.test(f))
                 for f, (a, d) in fields.items())


def _with_test(missing: list[MissingData], field: str, test: str, why: str) -> list[MissingData]:
    for i, item in enumerate(missing):
        if item.field == field:
            missing[i] = item.model_copy(update={"test": test})
            return missing
    return [*missing, MissingData(field=field, affects=("work-up",), decides=(why,), test=test)]


_ENGINES: dict[tuple[int, int], tuple[KnowledgeBase, Registry | None, Engine]] = {}


def engine_for(kb: KnowledgeBase, registry: Registry | None = None) -> Engine:
    """The process's engine for a knowledge base (and registry), made on first use. The
    entry holds both, so their ids stay theirs while it lives."""
    key = (id(kb), id(registry))
    found = _ENGINES.get(key)
    if found is None or found[0] is not kb or found[1] is not registry:
        found = _ENGINES[key] = (kb, registry, Engine(kb, registry))
    return found[2]

