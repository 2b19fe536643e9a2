"""assess(case, kb) -> Assessment: the one way from a case to every conclusion."""

from __future__ import annotations

import hashlib
from datetime import date

from pydantic import BaseModel, ConfigDict

from rrall import __version__
from rrall.case.model import Case
from rrall.classify.model import Classification, Warning
from rrall.classify.relapse import classify
from rrall.knowledge.clinical import WorkupItem
from rrall.knowledge.load import KnowledgeBase, default_knowledge
from rrall.knowledge.model import Source
from rrall.options.anthracycline import cumulative, equivalent_range
from rrall.options.evaluate import evaluate_option, sort_options
from rrall.options.memo import remember, shared
from rrall.options.model import CumulativeAnthracycline, OptionResult
from rrall.options.workup import applicable, gaps
from rrall.prognosis.match import PrognosisResult, match_prognosis
from rrall.risk.evaluate import evaluate
from rrall.risk.model import FrameworkResult
from rrall.rules.check import CriterionResult
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
    found: dict[str, Source] | None = kb.memo.get(key)
    if found is None:
        found = {c: kb.references[c].source for c in cited}
        remember(kb.memo, key, found)
    return found


Shared = tuple[list[OptionResult], list[PrognosisResult], tuple[WorkupItem, ...], dict[str, None]]


def _criteria_based(kb: KnowledgeBase, profile: Profile, doses: CumulativeAnthracycline) -> Shared:
    """Options, prognosis, applicable work-up and their citations: everything decided by
    the criteria. Cases whose criteria give the same results share them (options/memo.py)."""
    index: CriteriaIndex | None = kb.memo.get("criteria-index")
    if index is None:
        index = kb.memo["criteria-index"] = CriteriaIndex(_criteria_blocks(kb))
    results = index.evaluate(profile)
    dose_key = (doses.table, doses.status, tuple((c.rule, c.uncertain) for c in doses.cautions))
    key, found = shared(kb.memo, ("case", *dose_key), results)
    if found is not None:
        return found  # type: ignore[no-any-return]

    def results_of(block: Criteria) -> list[CriterionResult]:
        return index.pick(block, results)

    options = sort_options([evaluate_option(t, results_of, kb.evidence_for(t.id), doses, kb.memo)
                            for t in kb.therapies.values()])
    prognosis = match_prognosis(kb.prognosis, results_of, kb.memo)
    workup = applicable(kb.workup, results_of)
    cited = dict.fromkeys(c for o in options for c in o.citations)
    cited.update(dict.fromkeys(doses.citations))
    cited.update(dict.fromkeys(c for k in doses.cautions for c in k.citations))
    cited.update(dict.fromkeys(p.citation for p in prognosis))
    value: Shared = (options, prognosis, workup, cited)
    remember(kb.memo, key, (results, value))
    return value


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
