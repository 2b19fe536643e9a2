"""Parts of an assessment that gather from the others: sources cited, missing data."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, NamedTuple

from rrall.case.model import Case
from rrall.classify.relapse import Classified
from rrall.engine.conclusion import Case_
from rrall.knowledge.glossary import Glossary
from rrall.knowledge.words import Words
from rrall.logic.criteria import All, Criterion, Has, Not
from rrall.logic.values import Value
from rrall.results import CumulativeAnthracycline, FrameworkResult, MissingData, OptionResult, PrognosisResult


def input_sha256(case: Case) -> str:
    """Hash of the validated case in canonical form: the same case gives the same hash
    whether it came as JSON or YAML, with any key order. Fields added in formats 1.1 and
    1.2 count only when given, so an older case keeps its hash."""
    exclude: dict[str, Any] = {f: True for f in NEW_CASE_FIELDS if getattr(case, f) is None}
    if case.diagnosis.refractory_disease is None:
        exclude["diagnosis"] = {"refractory_disease": True}
    unset = {i: {f for f in NEW_RELAPSE_FIELDS if getattr(r, f) is None} for i, r in enumerate(case.relapses)}
    if any(unset.values()):
        exclude["relapses"] = {i: fields for i, fields in unset.items() if fields}
    return hashlib.sha256(case.model_dump_json(exclude=exclude).encode()).hexdigest()


NEW_CASE_FIELDS = ("hsct_eligible", "constitutional")  # case fields added in case format 1.1
NEW_RELAPSE_FIELDS = ("cd7", "cd7_blasts_percent")  # relapse fields added in case format 1.1


def cited(
    risk: tuple[FrameworkResult, ...],
    options: tuple[OptionResult, ...],
    prognosis: tuple[PrognosisResult, ...],
    doses: CumulativeAnthracycline,
) -> tuple[str, ...]:
    """Every source the results cite, once, in reading order."""
    found = [c for r in risk for c in (*r.citations, *(x for k in r.cautions for x in k.citations))]
    found += [c for o in options for c in o.citations]
    found += [*doses.citations, *(c for k in doses.cautions for c in k.citations)]
    found += [p.citation for p in prognosis]
    return tuple(dict.fromkeys(found))


def missing_data(
    risk: tuple[FrameworkResult, ...], options: tuple[OptionResult, ...], glossary: Glossary
) -> tuple[MissingData, ...]:
    """Each field that would settle some answer: what it affects (each framework or option
    once, though several of its questions may read the field) and what its values give."""
    fields: dict[str, tuple[dict[str, None], list[str]]] = {}
    found = [(r.framework, r.missing) for r in risk] + [(f"option:{o.id}", o.missing) for o in options]
    for affected, items in found:
        for item in items:
            affects, decides = fields.setdefault(item.field, ({}, []))
            affects[affected] = None
            decides.append(item.decides)
    return tuple(
        MissingData(field=f, affects=tuple(a), decides=tuple(d), test=glossary.test(f))
        for f, (a, d) in fields.items()
    )


def with_test(missing: list[MissingData], field: str, test: str, why: str,
              uses: tuple[str, ...] = ()) -> list[MissingData]:
    """The work-up step that supplies a field, on its missing-data entry (or a new entry,
    saying why the test matters and what the assessment reads until it is done)."""
    for i, item in enumerate(missing):
        if item.field == field:
            missing[i] = item.model_copy(update={"test": test, "uses": item.uses + uses})
            return missing
    return [*missing, MissingData(field=field, affects=("work-up",), decides=(why,), test=test,
                                   uses=uses)]


def read_meanwhile(words: Words, facts: Iterable[str], values: dict[str, Value]) -> tuple[str, ...]:
    """What the assessment reads, in words, for a test not yet recorded whose marker an
    earlier test settles (a work-up item's `until_recorded`: BCR::ABL1 at relapse from the
    genetics at diagnosis): shown beside the test, so that the value used is never silent.
    Nothing where the fact is still open."""
    return tuple(words.value(f, values[f]) for f in facts if values[f].__class__ in (bool, str))


def excluded_values(criterion: Criterion, fact: str) -> set[str]:
    """Values of a list fact that `criterion` requires to be absent (`not: {fact: {has: ...}}`)."""
    if isinstance(criterion, Not) and isinstance(criterion.item, Has) and criterion.item.fact == fact:
        return set(criterion.item.values)
    if isinstance(criterion, All):
        return set().union(*(excluded_values(c, fact) for c in criterion.items))
    return set()


class Gathered(NamedTuple):
    """An assessment's parts but its trials and the references' sources (Engine._gather)."""

    classified: Classified
    one: Case_  # the case as the engine keys it
    risk: tuple[FrameworkResult, ...]
    options: tuple[OptionResult, ...]
    prognosis: tuple[PrognosisResult, ...]
    missing: tuple[MissingData, ...]
    sources: list[str]
