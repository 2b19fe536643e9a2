"""assess(case, kb) -> Assessment: the one way from a case to every conclusion."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict

from rrall import __version__
from rrall.case.model import Case
from rrall.classify.model import Classification, Warning
from rrall.classify.relapse import classify
from rrall.knowledge.clinical import PrognosisEstimate, WorkupItem
from rrall.knowledge.load import KnowledgeBase, default_knowledge
from rrall.knowledge.model import Source
from rrall.options.anthracycline import cumulative, equivalent_range
from rrall.options.evaluate import Pick, Plan, evaluate_option, sort_options
from rrall.options.memo import remember, shared, table
from rrall.options.model import CumulativeAnthracycline, OptionResult
from rrall.options.workup import gaps
from rrall.prognosis.match import PrognosisResult, match_prognosis
from rrall.risk.evaluate import evaluate
from rrall.risk.model import FrameworkResult
from rrall.rules.check import overall
from rrall.rules.criteria import Criteria
from rrall.rules.index import CriteriaIndex
from rrall.rules.profile import Profile, build_profile

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
    missing_data: list[MissingData]
    warnings: list[Warning]
    references: dict[str, Source]


def input_sha256(case: Case) -> str:
    """Hash of the validated case in canonical form: the same case gives the same hash
    whether it came as JSON or YAML, with any key order."""
    return hashlib.sha256(case.model_dump_json().encode()).hexdigest()


def assess(case: Case, kb: KnowledgeBase | None = None, *,
           anthracycline_table: str | None = None) -> Assessment:
    kb = kb or default_knowledge()
    classified = classify(case, kb)
    risk = {name: evaluate(fw, classified, kb) for name, fw in kb.frameworks.items()}
    doses = cumulative(case, kb.anthracyclines, anthracycline_table)
    profile = build_profile(case, classified, risk, equivalent_range(doses))
    options, prognosis, workup, shared_citations = _criteria_based(kb, profile, doses)
    cited = dict.fromkeys(c for r in risk.values() for c in r.citations)
    cited.update(dict.fromkeys(c for r in risk.values() for k in r.cautions for c in k.citations))
    cited.update(shared_citations)
    missing = _missing_data(risk, options)
    for item, field in gaps(workup, case):
        cited.update(dict.fromkeys(item.citations))
        missing = _with_test(missing, field, item.name, item.why)
    # Every part is already a validated, typed object: build without validating again.
    return Assessment.model_construct(
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
        missing_data=missing,
        warnings=classified.warnings,
        references=_sources(kb, tuple(cited)),
    )


def _sources(kb: KnowledgeBase, cited: tuple[str, ...]) -> dict[str, Source]:
    """The references block, one shared dict per distinct citation list (never mutated)."""
    key = ("sources", cited)
    memo = table(kb.memo, "sources")
    found: dict[str, Source] | None = memo.get(key)
    if found is None:
        found = {c: kb.references[c].source for c in cited}
        remember(memo, key, found)
    return found


Shared = tuple[list[OptionResult], list[PrognosisResult], tuple[WorkupItem, ...], dict[str, None]]


def _criteria_based(kb: KnowledgeBase, profile: Profile, doses: CumulativeAnthracycline) -> Shared:
    """Options, prognosis, applicable work-up and their citations: everything decided by
    the criteria. Cases whose criteria give the same results share them (options/memo.py)."""
    plans = _plans(kb)
    results = plans.index.evaluate(profile)
    dose_key = (doses.table, doses.status, tuple((c.rule, c.uncertain) for c in doses.cautions))
    cases = table(kb.memo, "case")
    key, found = shared(cases, ("case", *dose_key), results)
    if found is not None:
        return found  # type: ignore[no-any-return]
    memo = table(kb.memo, "option")
    options = sort_options([evaluate_option(plan, results, doses, memo) for plan in plans.options])
    prognosis = match_prognosis(plans.prognosis, results, table(kb.memo, "prognosis"))
    workup = tuple(item for item, pick in plans.workup if overall(pick(results)) != "not_met")
    cited = dict.fromkeys(c for o in options for c in o.citations)
    cited.update(dict.fromkeys(doses.citations))
    cited.update(dict.fromkeys(c for k in doses.cautions for c in k.citations))
    cited.update(dict.fromkeys(p.citation for p in prognosis))
    value: Shared = (options, prognosis, workup, cited)
    remember(cases, key, (results, value))
    return value


@dataclass(frozen=True)
class _Plans:
    index: CriteriaIndex
    options: list[Plan]
    prognosis: list[tuple[PrognosisEstimate, Pick]]
    workup: list[tuple[WorkupItem, Pick]]


_PLANS: dict[int, tuple[KnowledgeBase, _Plans]] = {}


def _plans(kb: KnowledgeBase) -> _Plans:
    """Built once per knowledge base (the entry keeps it alive, so its id stays its own)."""
    hit = _PLANS.get(id(kb))
    if hit is None or hit[0] is not kb:
        index = CriteriaIndex(_criteria_blocks(kb))
        plans = _Plans(
            index=index,
            options=[Plan.build(t, kb.evidence_for(t.id), index) for t in kb.therapies.values()],
            prognosis=[(p, index.getter([p.population])) for p in kb.prognosis],
            workup=[(w, index.getter([w.when])) for w in kb.workup],
        )
        hit = _PLANS[id(kb)] = (kb, plans)
    return hit[1]


def _criteria_blocks(kb: KnowledgeBase) -> list[Criteria]:
    blocks: list[Criteria] = []
    for t in kb.therapies.values():
        blocks += [t.requires, *(r.when for r in t.rules), *(c.when for c in t.cautions)]
    blocks += [p.population for p in kb.prognosis]
    blocks += [w.when for w in kb.workup]
    return blocks


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
