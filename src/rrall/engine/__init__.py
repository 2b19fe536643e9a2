"""The engine: one per knowledge base and trial registry, owning every cache.

`Engine.assess(case)` evaluates the case's facts against every framework, option,
prognosis figure, work-up item and trial. A conclusion is decided once for every case
whose facts fall the same way among the bounds its criteria compare them with (its key,
criteria/keys.py), then put in words once for every case whose quoted values are the same
(engine/memo.py). Every shared part is immutable. `cache=False` computes everything afresh
(a property test proves both give the same output).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import date
from functools import partial
from operator import itemgetter
from typing import Any, TypeVar

from rrall._version import __version__
from rrall.case.model import Case
from rrall.criteria.describe import Describer
from rrall.criteria.evaluator import Evaluator
from rrall.criteria.keys import Keys
from rrall.engine.conclusion import Case_, Conclusion, Conclusions
from rrall.engine.detail import heading, summary_record
from rrall.engine.memo import Memo, picker
from rrall.engine.questions import KnowledgeQuestions
from rrall.engine.rows import Rows
from rrall.engine.summary import (
    Gathered,
    cited,
    excluded_values,
    input_sha256,
    missing_data,
    read_meanwhile,
    with_test,
)
from rrall.engine.trials import TrialIndex
from rrall.engine.whatif import assumed_changes, counted_changes, finding_changes
from rrall.errors import KnowledgeError
from rrall.knowledge.facts import When
from rrall.knowledge.load import KnowledgeBase
from rrall.logic.resolve import resolve
from rrall.logic.values import Value
from rrall.options.evaluate import sort_options
from rrall.options.workup import finding_problems, gaps
from rrall.prognosis.match import specificity
from rrall.results import (
    Assessment,
    CumulativeAnthracycline,
    FrozenMap,
    PrognosisResult,
    Timing,
    TrialMatch,
)
from rrall.trials.registry import Registry, default_registry

NOTICE = (
    "Decision support for qualified clinicians, for research and education. "
    "rrall does not prescribe: every output must be checked against the current protocol."
)
R = TypeVar("R")
__all__ = ["NOTICE", "Engine", "engine_for", "excluded_values", "input_sha256"]


class Engine(KnowledgeQuestions):
    def __init__(
        self,
        kb: KnowledgeBase,
        registry: Registry | None = None,
        *,
        cache: bool = True,
        cache_size: int = 400_000,
    ) -> None:
        self.kb = kb
        self.registry = registry if registry is not None else default_registry(kb)
        self.ev = ev = Evaluator(kb, [t.eligibility for t in self.registry.trials])
        self.keys = Keys(ev.criteria, ev.bounds)
        self.memo = Memo(cache_size, enabled=cache)
        self.describer = Describer(ev.words, cache=cache_size if cache else 0)
        self.rows = Rows(self.keys, ev.base_facts, ev.words.precision)
        self.facts, self.fact_index = self.rows.facts, self.rows.index
        self._pickers: dict[tuple[str, ...], Callable[[Sequence[int]], tuple[int, ...]]] = {}
        schemes = {s.fact: s for s in kb.classification.timing_schemes}
        made = Conclusions(ev, self.fact_index, self.describer, self.rows.place)
        self._conclusions = made.all
        self.frameworks = made.frameworks(kb)
        self.options = made.options(kb)
        self.therapies = list(kb.therapies.values())
        self.prognosis = made.prognosis(kb)
        self._specificity = [specificity(p) for p in kb.prognosis]
        self.workup = made.workup(kb)
        # A finding is written into a case without validating it again: check it once here.
        if problems := finding_problems(kb):
            raise KnowledgeError(problems)
        self.trials = TrialIndex(self.registry.trials, made.eligibility, made.part)
        self._timing_reads = ev.reads(
            [s.scope for s in schemes.values()] + [r.when for s in schemes.values() for r in s.rules]
        )
        # The prognosis figures are decided together under the bands of every fact they read
        # (few distinct rows), keeping only the figures whose population may fit.
        self._prognosis_pick = picker(
            sorted({self.fact_index[f] for c in self.prognosis for f in c.reads if f in self.fact_index})
        )
        # An option's status reads only its requirement and decision list (its first part),
        # so what an assumed fact would change is looked up in that part's table.
        status_reads = [self.ev.reads([t.requires, *(r.when for r in t.rules)]) for t in self.therapies]
        self.reading = {
            fact: [(c, t) for c, t, reads in zip(self.options, self.therapies, status_reads, strict=True)
                   if fact in reads]
            for fact in self.facts
        }
        self._generation = -1
        self._refresh()

    def _refresh(self) -> None:
        """Fetch the memo's tables again after it renewed them (between cases)."""
        memo = self.memo
        self._decisions = [memo.table(c.index) for c in self._conclusions]
        self._prognosis_table = memo.table("prognosis-block")
        self.rows.refresh(memo)
        self._generation = memo.generation

    # -- one case ----------------------------------------------------------------------

    def assess(self, case: Case, *, anthracycline_table: str | None = None) -> Assessment:
        found = self._gather(case, anthracycline_table, self._conclude)
        trials = self._trials(found.one, include_closed=False, today=case.as_of)
        references = self.memo.get(
            self.memo.table("lists"), ("references", *found.sources), partial(self._sources, found.sources)
        )
        return Assessment(
            case_id=case.id,
            engine_version=__version__,
            knowledge_version=self.kb.version,
            assessment_date=case.as_of,
            input_sha256=input_sha256(case),
            notice=NOTICE,
            classification=found.classified.classification,
            risk=FrozenMap({r.framework: r for r in found.risk}),
            options=found.options,
            cumulative_anthracycline=found.one.doses,
            prognosis=found.prognosis,
            trials=trials,
            missing_data=found.missing,
            warnings=counted_changes(self, case, found),
            references=references,
        )

    def summary(self, case: Case, *, anthracycline_table: str | None = None) -> dict[str, Any]:
        """The summary shape of the case's assessment (`--detail summary`): the same values
        as `summary_record(assess(case))`, without putting the reasons in words or matching
        trials, which it does not show (a property test compares the two)."""
        found = self._gather(case, anthracycline_table, self.framed)
        return summary_record(
            heading(case.id, self.kb.version, case.as_of, input_sha256(case), NOTICE),
            found.classified.classification,
            found.risk,
            found.options,
            [m.field for m in found.missing],
            dict.fromkeys(found.sources),
        )

    def _gather(
        self, case: Case, anthracycline_table: str | None, conclude: Callable[[Conclusion, Case_], Any]
    ) -> Gathered:
        """Everything but the trials and the references' sources: frameworks and options as
        `conclude` gives them (in words, or only their frames for the summary)."""
        memo, glossary = self.memo, self.ev.words.glossary
        if memo.renew_if_full() or self._generation != memo.generation:
            self._refresh()
        classified, doses = self.ev.classify(case, anthracycline_table, timing=self.timing)
        one = self.case_of(classified.facts, doses)
        risk = tuple(conclude(c, one) for c in self.frameworks)
        options = self._list("options", tuple(conclude(c, one) for c in self.options), sort_options)
        prognosis = self._prognosis(one)
        lists = memo.table("lists")
        missing = [
            *memo.get(
                lists,
                ("missing", *map(id, risk), *map(id, options)),
                partial(missing_data, risk, options, glossary),
            ),
            *(entry for fact in classified.assumed for entry in assumed_changes(self, one, fact, options)),
        ]
        sources = [
            *memo.get(
                lists,
                ("cited", *map(id, risk), *map(id, options), *map(id, prognosis), one.dose_id),
                partial(cited, risk, options, prognosis, doses),
            ),
            *(c for w in classified.warnings for c in w.citations),
        ]
        for c, item in zip(self.workup, self.kb.workup, strict=True):
            if self._decision(c, one) == [False]:
                continue
            empty = gaps(item, case)
            if item.if_found and empty == item.fields:
                sources += item.if_found.citations
                # The summary shows no reasons, so it skips working out what the finding changes.
                summary = conclude != self._conclude
                found = None if summary else finding_changes(self, case, one, item, risk, options)
                if found is not None:
                    missing.append(found)
            for field in empty:
                sources += item.citations
                settled = [f for f in item.until_recorded if self.kb.facts.facts[f].field == field]
                uses = read_meanwhile(self.ev.words, settled, classified.facts)
                missing = with_test(missing, field, item.name, item.why, uses)
        return Gathered(classified, one, risk, options, prognosis, tuple(missing), sources)

    def case_of(self, facts: dict[str, Value], doses: CumulativeAnthracycline) -> Case_:
        memo = self.memo
        bands, quotes = self.rows.of(memo, facts)
        dose_id = memo.id_of("doses", (doses.table, doses.status, doses.cautions, doses.citations))
        return Case_(facts, self.ev.world(facts), bands, quotes, doses, dose_id)

    def _entry(self, c: Conclusion, one: Case_) -> list[Any]:
        """A conclusion's decision for the case, shared by every case whose read facts fall
        in the same bands: [decision, the picker of the quotes its words read, its words]."""
        decisions = self._decisions[c.index]
        key = c.pick(one.bands)
        entry: list[Any] | None = decisions.get(key)
        if entry is None:
            if c.join is None:
                decision = c.decide(one.world)
            else:
                decision = c.join(
                    *(
                        self.memo.get(
                            self.memo.table(("part", c.index, k)), pick(one.bands), partial(decide, one.world)
                        )
                        for k, (pick, decide) in enumerate(c.parts)
                    )
                )
            facts = c.quoted(decision)
            pick = self._pickers.get(facts)
            if pick is None:
                places = [self.fact_index[f] for f in facts if f in self.fact_index]
                pick = self._pickers[facts] = picker(places)
            entry = decisions[key] = [decision, pick, {}, {}]
            self.memo.kept += 1
        return entry

    def _words(self, c: Conclusion, entry: list[Any], one: Case_) -> Any:
        """The decision in words, shared by every case quoting the same values (and the same
        anthracycline block where the words quote it)."""
        said = entry[1](one.quotes)
        if c.doses:
            said = (said, one.dose_id)
        words = entry[2]
        found = words.get(said)
        if found is None:
            if c.frame is None or c.reword is None:
                found = c.render(entry[0], one.world, one.doses)
            else:
                found = c.reword(self._frame(c, entry, one), entry[0], one.world)
            words[said] = found
            self.memo.kept += 1
        return found

    def _frame(self, c: Conclusion, entry: list[Any], one: Case_) -> Any:
        """The decision's words that quote none of the case's values, kept with the decision
        (and the anthracycline block where they quote it)."""
        assert c.frame is not None
        frames, dose_key = entry[3], one.dose_id if c.doses else None
        frame = frames.get(dose_key)
        if frame is None:
            frame = frames[dose_key] = c.frame(entry[0], one.doses)
        return frame

    def framed(self, c: Conclusion, one: Case_) -> Any:
        """A framework's or option's result without the reasons that quote the case (all the
        summary shows); in full words where a conclusion has no frame or nothing is kept."""
        if c.frame is None or not self.memo.enabled:
            return self._conclude(c, one)
        return self._frame(c, self._entry(c, one), one)

    def _decision(self, c: Conclusion, one: Case_) -> Any:
        return self._entry(c, one)[0] if self.memo.enabled else c.decide(one.world)

    def _conclude(self, c: Conclusion, one: Case_) -> Any:
        """A conclusion's result for the case: its decision, then its words."""
        if not self.memo.enabled:
            return c.render(c.decide(one.world), one.world, one.doses)
        return self._words(c, self._entry(c, one), one)

    def _list(self, kind: str, found: tuple[R, ...], order: Callable[[list[R]], list[R]]) -> tuple[R, ...]:
        """Results in reading order, made once for each distinct set of results (the memo
        entry holds the results, so their ids stay theirs while it lives)."""
        return self.memo.get(
            self.memo.table("lists"), (kind, *map(id, found)), lambda: (tuple(order(list(found))), found)
        )[0]

    def _sources(self, ids: list[str]) -> FrozenMap[str, Any]:
        return FrozenMap({c: self.kb.references[c].source for c in dict.fromkeys(ids)})

    def timing(self, facts: dict[str, Value]) -> Timing:
        key = ("timing", *(self.keys.of(f, facts[f]) for f in self._timing_reads))
        return self.memo.get(self.memo.table("timing"), key, partial(self.ev.classifier.timing_of, facts))

    def _prognosis(self, one: Case_) -> tuple[PrognosisResult, ...]:
        """Figures whose population fits, those that surely apply first, most specific first."""
        if not self.memo.enabled:
            every = [(i, self._conclude(c, one)) for i, c in enumerate(self.prognosis)]
            return self._ordered(tuple((i, r) for i, r in every if r is not None))[0]
        key = self._prognosis_pick(one.bands)
        fitting = self._prognosis_table.get(key)
        if fitting is None:
            fitting = self._prognosis_table[key] = tuple(
                (i, c, entry)
                for i, c in enumerate(self.prognosis)
                if (entry := self._entry(c, one))[0][0] is not False
            )
            self.memo.kept += 1
        found = tuple((i, self._words(c, entry, one)) for i, c, entry in fitting)
        return self.memo.get(
            self.memo.table("lists"), ("prognosis", *(id(r) for _, r in found)), partial(self._ordered, found)
        )[0]

    def _ordered(
        self, found: tuple[tuple[int, PrognosisResult], ...]
    ) -> tuple[tuple[PrognosisResult, ...], tuple[tuple[int, PrognosisResult], ...]]:
        ranked = [(r.match != "applies", -self._specificity[i], i, r) for i, r in found]
        return tuple(r for *_, r in sorted(ranked, key=lambda item: item[:3])), found

    def _trials(self, one: Case_, include_closed: bool, today: date) -> tuple[TrialMatch, ...]:
        index = self.trials
        which = index.every if include_closed else index.shown
        found = index.matches(
            which, partial(self._conclude, one=one), self.memo, today, self.kb.trial_status_max_age
        )
        def ranked(_found: list[TrialMatch]) -> list[TrialMatch]:
            return [m for _, m in sorted(found, key=itemgetter(0))]  # ranks end with the unique trial id

        return self._list("trials", tuple(m for _, m in found), ranked)

    # -- asked by surfaces ---------------------------------------------------------------

    def row(self, facts: dict[str, Value]) -> list[Hashable]:
        """Each fact's key part for one case (where it falls among the criteria's bounds)."""
        of = self.keys.of
        return [of(f, facts[f]) for f in self.facts]

    def surely(self, case: Case, criteria: Sequence[When]) -> tuple[bool, ...]:
        """For each criterion, whether the case meets it whatever it leaves open (met in every
        world of the open facts the criterion reads); the case is classified once."""
        classified, _ = self.ev.classify(case, timing=self.timing)
        world = self.ev.world(classified.facts)
        return tuple(resolve(world, when.test.test).outcomes() == [True] for when in criteria)

    def match_trials(self, case: Case, include_closed: bool = False) -> tuple[TrialMatch, ...]:
        if self.memo.renew_if_full() or self._generation != self.memo.generation:
            self._refresh()
        classified, doses = self.ev.classify(case, timing=self.timing)
        return self._trials(self.case_of(classified.facts, doses), include_closed, case.as_of)


_ENGINES: OrderedDict[tuple[int, int], tuple[KnowledgeBase, Registry | None, Engine]] = OrderedDict()
_KEPT_ENGINES = 8  # knowledge releases side by side in one workbench, and a few more


def engine_for(kb: KnowledgeBase, registry: Registry | None = None) -> Engine:
    """The process's engine for a knowledge base (and registry), made on first use; the
    least recently used is dropped past a few. The entry holds both, so their ids stay
    theirs while it lives."""
    key = (id(kb), id(registry))
    found = _ENGINES.get(key)
    if found is None or found[0] is not kb or found[1] is not registry:
        found = _ENGINES[key] = (kb, registry, Engine(kb, registry))
        while len(_ENGINES) > _KEPT_ENGINES:
            _ENGINES.popitem(last=False)
    _ENGINES.move_to_end(key)
    return found[2]
