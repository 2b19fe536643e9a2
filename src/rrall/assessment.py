"""assess(case, kb) -> Assessment: the one way from a case to every conclusion."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

from pydantic import BaseModel, ConfigDict

from rrall import __version__
from rrall.case.model import Case
from rrall.classify.model import Classification, Warning
from rrall.classify.relapse import classify
from rrall.criteria_based import Results, criteria_based, plans_for, registry_for, trial_matches
from rrall.knowledge.load import KnowledgeBase, default_knowledge
from rrall.knowledge.model import Source
from rrall.options.anthracycline import cumulative, equivalent_range
from rrall.options.evaluate import evaluate_option
from rrall.options.memo import remember, table
from rrall.options.model import CumulativeAnthracycline, OptionResult
from rrall.options.workup import gaps
from rrall.prognosis.match import PrognosisResult
from rrall.risk.evaluate import evaluate
from rrall.risk.model import FrameworkResult
from rrall.rules.profile import Profile, build_profile
from rrall.trials.match import TrialMatch
from rrall.trials.registry import Registry
from rrall.typed import build

NOTICE = ("Decision support for qualified clinicians, for research and education. "
          "rrall does not prescribe: every output must be checked against the current protocol.")


class MissingData(BaseModel):
    model_config = ConfigDict(frozen=True)
    field: str
    affects: list[str]
    decides: list[str]
    test: str | None = None  # the work-up step that would supply it


class Assessment(BaseModel):
    model_config = ConfigDict(frozen=True)
    case_id: str
    engine_version: str
    knowledge_version: str
    assessment_date: date
    input_sha256: str
    notice: str
    classification: Classification
    risk: dict[str, FrameworkResult]
    options: list[OptionResult]
    cumulative_anthracycline: CumulativeAnthracycline
    prognosis: list[PrognosisResult]
    trials: list[TrialMatch]
    missing_data: list[MissingData]
    warnings: list[Warning]
    references: dict[str, Source]


def input_sha256(case: Case) -> str:
    """Hash of the validated case in canonical form: the same case gives the same hash
    whether it came as JSON or YAML, with any key order."""
    return hashlib.sha256(case.model_dump_json().encode()).hexdigest()


def assess(case: Case, kb: KnowledgeBase | None = None, *, anthracycline_table: str | None = None,
           trials: Registry | None = None) -> Assessment:
    """Everything rrall concludes about one case. `trials` defaults to the knowledge base's
    curated trials plus the user's imported ones (read once per process)."""
    kb = kb or default_knowledge()
    registry = trials or registry_for(kb)
    classified = classify(case, kb)
    risk = {name: evaluate(fw, classified, kb) for name, fw in kb.frameworks.items()}
    doses = cumulative(case, kb.anthracyclines, anthracycline_table)
    profile = build_profile(case, classified, risk, equivalent_range(doses))
    decided, results = criteria_based(kb, registry, profile, doses)
    options, prognosis, workup, matched, shared_citations = decided
    cited = dict.fromkeys(c for r in risk.values() for c in r.citations)
    cited.update(dict.fromkeys(c for r in risk.values() for k in r.cautions for c in k.citations))
    cited.update(shared_citations)
    cited.update(dict.fromkeys(c for w in classified.warnings for c in w.citations))
    missing = _missing_data(risk, options)
    if case.relapses and case.relapses[-1].reinduction_outcome is None and not profile.refractory:
        missing += _if_refractory(kb, registry, profile, results, doses, options)
    for item, field in gaps(workup, case):
        cited.update(dict.fromkeys(item.citations))
        missing = _with_test(missing, field, item.name, item.why)
    # Every part is already a validated, typed object: build without validating again.
    return build(Assessment,
        case_id=case.id,
        engine_version=__version__,
        knowledge_version=kb.version,
        assessment_date=case.as_of,
        input_sha256=input_sha256(case),
        notice=NOTICE,
        classification=classified.classification,
        risk=risk,
        options=options,
        cumulative_anthracycline=doses,
        prognosis=prognosis,
        trials=matched,
        missing_data=missing,
        warnings=classified.warnings,
        references=_sources(kb, tuple(cited)),
    )


def match_trials_for(case: Case, kb: KnowledgeBase | None = None, *, trials: Registry | None = None,
                     include_closed: bool = False) -> list[TrialMatch]:
    """The trial matches of one case (the assessment's `trials` block lists open trials;
    this can include closed ones)."""
    kb = kb or default_knowledge()
    classified = classify(case, kb)
    risk = {name: evaluate(fw, classified, kb) for name, fw in kb.frameworks.items()}
    doses = cumulative(case, kb.anthracyclines)
    profile = build_profile(case, classified, risk, equivalent_range(doses))
    return trial_matches(kb, trials or registry_for(kb), profile, include_closed)


def _sources(kb: KnowledgeBase, cited: tuple[str, ...]) -> dict[str, Source]:
    """The references block, one shared dict per distinct citation list (never mutated)."""
    key = ("sources", cited)
    memo = table(kb.memo, "sources")
    found: dict[str, Source] | None = memo.get(key)
    if found is None:
        found = {c: kb.references[c].source for c in cited}
        remember(memo, key, found)
    return found


def _if_refractory(kb: KnowledgeBase, registry: Registry, profile: Profile, results: Results,
                   doses: CumulativeAnthracycline, options: list[OptionResult]) -> list[MissingData]:
    """Without a recorded reinduction outcome the relapse is read as not (yet) refractory;
    say which options would change if reinduction failed, so that reading is visible."""
    plans = plans_for(kb, registry)
    results = plans.index.reevaluate(replace(profile, refractory=True), results, "refractory")
    memo = table(kb.memo, "option")
    after = {plan.therapy.id: evaluate_option(plan, results, doses, memo).status
             for plan in plans.options if plan.reads_refractory}
    changed = [o for o in options if o.id in after and after[o.id] != o.status]
    if not changed:
        return []
    return [build(MissingData, field="relapses[-1].reinduction_outcome",
                  affects=[f"option:{o.id}" for o in changed],
                  decides=[f"{o.id}: {o.status} now, {after[o.id]} if reinduction fails".replace("_", " ")
                           for o in changed],
                  test="Response assessment at the end of reinduction (marrow and MRD)")]


def _missing_data(risk: dict[str, FrameworkResult], options: list[OptionResult]) -> list[MissingData]:
    fields: dict[str, tuple[list[str], list[str]]] = {}
    for name, result in risk.items():
        for item in result.missing:
            affects, decides = fields.setdefault(item.field, ([], []))
            affects.append(name)
            decides.append(f"{name}: {item.decides}")
    for option in options:
        for item in option.missing:
            affects, decides = fields.setdefault(item.field, ([], []))
            affects.append(f"option:{option.id}")
            decides.append(item.decides)
    return [MissingData(field=f, affects=a, decides=d) for f, (a, d) in fields.items()]


def _with_test(missing: list[MissingData], field: str, test: str, why: str) -> list[MissingData]:
    for i, item in enumerate(missing):
        if item.field == field:
            missing[i] = item.model_copy(update={"test": test})
            return missing
    return [*missing, MissingData(field=field, affects=["work-up"], decides=[why], test=test)]
