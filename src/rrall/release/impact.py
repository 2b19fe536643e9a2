"""Which cases' conclusions a new knowledge release changes, and how.

Each case is assessed under both releases (one engine per release) and compared
conclusion by conclusion: a framework's group and its transplant rule, each option's
status and cautions, each prognosis figure, each open trial. A change names the rule ids
and citations on both sides. The engines' shared decisions make this fast: each distinct
pair of decisions is compared once (engine/compare.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from rrall.case.model import Case
from rrall.engine import Engine
from rrall.engine.compare import SideBySide
from rrall.errors import CaseInputError
from rrall.knowledge.glossary import Glossary
from rrall.knowledge.load import KnowledgeBase
from rrall.release.files import same_files
from rrall.results import FrameworkResult, OptionResult, PrognosisResult, TrialMatch
from rrall.trials.registry import Registry, load_curated

# The files from which a case's facts are derived: when both releases have the same ones, a
# case is classified once and only the conclusions whose data changed are compared.
SAME_FACTS = ("facts.yaml", "classification.yaml", "anthracyclines.yaml")
# What can change, in the order a board reads it; the words are the report's column heads.
KINDS = {
    "framework_group": "framework group",
    "hsct_rule": "HSCT rule",
    "option_status": "option status",
    "caution_added": "caution added",
    "caution_removed": "caution removed",
    "prognosis_figure": "prognosis figure",
    "trial_status": "trial status",
}


@dataclass(frozen=True)
class Change:
    """One conclusion of one case that differs between the releases."""

    kind: str  # a key of KINDS
    subject: str  # what it is about, in words: "BFM", "Blinatumomab", a trial's title
    before: str
    after: str
    rules_before: tuple[str, ...] = ()
    rules_after: tuple[str, ...] = ()
    citations_before: tuple[str, ...] = ()
    citations_after: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    def headline(self) -> str:
        """Short words for a case list: "HSCT rule (BFM)", "Blinatumomab status"."""
        if self.kind == "option_status":
            return f"{self.subject} status"
        return f"{self.label} ({self.subject})"


@dataclass(frozen=True)
class CaseImpact:
    case_id: str
    changes: tuple[Change, ...]


@dataclass
class ImpactReport:
    old_version: str
    new_version: str
    cases: int = 0
    errors: list[str] = field(default_factory=list)  # cases that could not be read, in words
    error_records: list[dict[str, Any]] = field(default_factory=list)
    changed: list[CaseImpact] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)  # cases with at least one change of a kind
    seconds: float = 0.0
    distinct: int = 0
    classes: int = 0  # classes of cohort-table rows compared (one case each)

    def to_json(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "cases": self.cases,
            "cases_changed": len(self.changed),
            "errors": self.error_records,
            "summary": {kind: self.by_kind.get(kind, 0) for kind in KINDS},
            "changed": [
                {"case_id": c.case_id, "changes": [{**asdict(x), "label": x.label} for x in c.changes]}
                for c in self.changed
            ],
        }


class Summarizer:
    """Turns a conclusion's results under both releases into its changes, in clinician words."""

    def __init__(self, words: Glossary, short_names: dict[str, str] | None = None) -> None:
        self.words = words
        self.short_names = short_names or {}

    def __call__(self, kind: str, old: Any, new: Any) -> tuple[Change, ...]:
        if old == new:
            return ()
        if kind == "framework":
            return self._framework(old, new)
        if kind == "option":
            return self._option(old, new)
        return self._prognosis(old, new) if kind == "prognosis" else self._trial(old, new)

    def _group(self, r: FrameworkResult | None) -> str:
        if r is None:
            return "not in this release"
        return r.group or self.words.value("framework_status", r.status)

    def _hsct(self, r: FrameworkResult | None) -> str:
        if r is None or r.hsct_in_cr2 is None:
            return "no transplant rule" if r is None or r.status == "assigned" else self._group(r)
        return self.words.value("hsct_short", r.hsct_in_cr2)

    def _framework(self, old: FrameworkResult | None, new: FrameworkResult | None) -> tuple[Change, ...]:
        either = new or old
        assert either is not None
        name = self.short_names.get(either.framework, either.name)
        sides = _sides(old, new, lambda r: r.rules, lambda r: r.citations)
        found = []
        if self._group(old) != self._group(new):
            found.append(Change("framework_group", name, self._group(old), self._group(new), *sides))
        if self._hsct(old) != self._hsct(new):
            found.append(Change("hsct_rule", name, self._hsct(old), self._hsct(new), *sides))
        return (*found, *_cautions(name, old, new))

    def _option(self, old: OptionResult | None, new: OptionResult | None) -> tuple[Change, ...]:
        either = new or old
        assert either is not None
        name = either.name.split(" (")[0]
        status = [
            self.words.value("option_status", r.status) if r else "not in this release" for r in (old, new)
        ]
        found = []
        if status[0] != status[1]:
            found.append(
                Change(
                    "option_status",
                    name,
                    status[0],
                    status[1],
                    *_sides(old, new, lambda r: (r.rule,), lambda r: r.citations),
                )
            )
        return (*found, *_cautions(name, old, new))

    def _figure(self, r: PrognosisResult | None) -> str:
        if r is None:
            return "does not apply"
        return f"{r.figure} ({self.words.value('prognosis_match', r.match)})"

    def _prognosis(self, old: PrognosisResult | None, new: PrognosisResult | None) -> tuple[Change, ...]:
        if self._figure(old) == self._figure(new) and (old and old.citation) == (new and new.citation):
            return ()
        either = new or old
        assert either is not None
        subject = f"{self.words.value('endpoint', either.endpoint)}, {either.cohort}"
        return (
            Change(
                "prognosis_figure",
                subject,
                self._figure(old),
                self._figure(new),
                *_sides(old, new, lambda r: (r.id,), lambda r: (r.citation,)),
            ),
        )

    def _fit(self, r: TrialMatch | None) -> str:
        if r is None:
            return "not open or not listed"
        return self.words.value("trial_fit", r.status)

    def _trial(self, old: TrialMatch | None, new: TrialMatch | None) -> tuple[Change, ...]:
        if self._fit(old) == self._fit(new):
            return ()
        either = new or old
        assert either is not None
        subject = f"{either.nct_id or either.id}: {either.title}"
        return (
            Change(
                "trial_status",
                subject,
                self._fit(old),
                self._fit(new),
                *_sides(old, new, lambda r: (r.id,), lambda r: r.sources),
            ),
        )


def _sides(old: Any, new: Any, rules: Any, citations: Any) -> tuple[tuple[str, ...], ...]:
    return (
        tuple(rules(old)) if old else (),
        tuple(rules(new)) if new else (),
        tuple(citations(old)) if old else (),
        tuple(citations(new)) if new else (),
    )


def _cautions(name: str, old: Any, new: Any) -> list[Change]:
    before = {c.rule: c for c in (old.cautions if old else ())}
    after = {c.rule: c for c in (new.cautions if new else ())}
    found = [
        Change("caution_added", name, "", c.text, (), (c.rule,), (), c.citations)
        for rule, c in after.items()
        if rule not in before
    ]
    return found + [
        Change("caution_removed", name, c.text, "", (c.rule,), (), c.citations, ())
        for rule, c in before.items()
        if rule not in after
    ]


def _framework_facts(fw_id: str) -> set[str]:
    return {f"{fw_id}.status", f"{fw_id}.group", f"{fw_id}.hsct_in_cr2"}


def suspects(
    old: KnowledgeBase, new: KnowledgeBase, old_trials: Registry, new_trials: Registry
) -> tuple[set[tuple[str, str]] | None, dict[tuple[str, str], frozenset[str]]]:
    """The conclusions whose result may differ: those whose own data changed, and those that
    read the output of a framework whose data changed (with those frameworks: `through`).
    The others decide the same way under both releases and need not be evaluated. None: the
    releases derive facts differently (facts, classification or anthracycline files), so
    every conclusion may differ."""
    if not same_files(old.root, new.root, SAME_FACTS):
        return None, {}
    changed: dict[str, str] = {}  # a framework output fact -> its framework
    for fw_id in {*old.frameworks, *new.frameworks}:
        if old.frameworks.get(fw_id) != new.frameworks.get(fw_id):
            changed.update(dict.fromkeys(_framework_facts(fw_id), fw_id))
    growing = True
    while growing:  # a framework reading another's output changes with it
        growing = False
        for fw_id, fw in new.frameworks.items():
            reads = set().union(*(r.when.reads for r in fw.rules()))
            if reads & changed.keys() and fw_id not in changed.values():
                changed.update(dict.fromkeys(_framework_facts(fw_id), fw_id))
                growing = True
    only = {("framework", f) for f in set(changed.values())}
    through: dict[tuple[str, str], frozenset[str]] = {}

    def consider(key: tuple[str, str], before: Any, after: Any, reads: set[str]) -> None:
        if before != after:
            only.add(key)
        elif reads & changed.keys():
            only.add(key)
            through[key] = frozenset(changed[f] for f in reads & changed.keys())

    for t_id in {*old.therapies, *new.therapies}:
        before, after = old.therapies.get(t_id), new.therapies.get(t_id)
        either = after or before
        assert either is not None
        criteria = [either.requires, *(r.when for r in either.rules), *(c.when for c in either.cautions)]
        consider(("option", t_id), before, after, set().union(*(w.reads for w in criteria)))
    figures = [{p.id: p for p in kb.prognosis} for kb in (old, new)]
    for p_id in {*figures[0], *figures[1]}:
        estimate = figures[1].get(p_id) or figures[0][p_id]
        consider(
            ("prognosis", p_id), figures[0].get(p_id), figures[1].get(p_id), set(estimate.population.reads)
        )
    trials = [{t.id: t for t in r.trials} for r in (old_trials, new_trials)]
    for t_id in {*trials[0], *trials[1]}:
        trial = trials[1].get(t_id) or trials[0][t_id]
        consider(("trial", t_id), trials[0].get(t_id), trials[1].get(t_id), set(trial.eligibility.reads))
    return only, through


def curated_registry(kb: KnowledgeBase) -> Registry:
    """A release's own trials (a site's imported trials are the same under both releases)."""
    return Registry.merge(load_curated(kb.root / "trials", kb.grammar), [], [])


class Impact:
    """One comparison of two releases, fed case by case."""

    def __init__(self, old: KnowledgeBase, new: KnowledgeBase) -> None:
        self.old, self.new = old, new
        old_trials, new_trials = curated_registry(old), curated_registry(new)
        only, through = suspects(old, new, old_trials, new_trials)
        self.sides = SideBySide(
            Engine(old, old_trials),
            Engine(new, new_trials),
            Summarizer(
                new.glossary,
                {f.id: f.short_name for f in (*old.frameworks.values(), *new.frameworks.values())},
            ),
            same_facts=same_files(old.root, new.root, SAME_FACTS),
            only=only,
            through=through,
        )
        self.report = ImpactReport(old.version, new.version)
        self.extra_distinct = 0  # pairs compared in forked workers (release/parallel.py)

    def add(self, item: Case | CaseInputError) -> CaseImpact | None:
        report = self.report
        report.cases += 1
        if isinstance(item, CaseInputError):
            report.errors.append(str(item))
            report.error_records.append(item.record())
            return None
        return self.record(item.id, self.changes(item), counted=True)

    def changes(self, case: Case) -> tuple[Change, ...]:
        """What changes for one case (the report is not touched)."""
        return tuple(c for _pair, said in self.sides.compare(case) for c in said)

    def record(self, case_id: str, changes: tuple[Change, ...], counted: bool = False) -> CaseImpact | None:
        """Count a case compared, with its changes (from `changes`, or shared by its class)."""
        if not counted:
            self.report.cases += 1
        if not changes:
            return None
        found = CaseImpact(case_id, changes)
        self.report.changed.append(found)
        self.report.by_kind.update({c.kind for c in changes})
        return found

    def run(self, items: Iterable[Case | CaseInputError]) -> ImpactReport:
        for item in items:
            self.add(item)
        return self.finish()

    def finish(self) -> ImpactReport:
        self.report.distinct = self.sides.distinct + self.extra_distinct
        return self.report
