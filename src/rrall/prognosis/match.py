"""Prognosis: published figures whose population matches the case, each with why.

An estimate whose population criteria all hold `applies`; one whose criteria are not
contradicted but depend on unrecorded data `may_apply` and names that data. The most
specific populations (most criteria) come first. Figures are shown as published, never
combined into a single number.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from rrall.knowledge.clinical import Endpoint, PrognosisEstimate
from rrall.options.memo import remember, shared
from rrall.rules.check import CriterionResult, overall


class PrognosisResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    match: str  # "applies" | "may_apply"
    endpoint: Endpoint
    timepoint: str | None
    value_percent: Decimal
    ci_percent: tuple[Decimal, Decimal] | None
    plus_minus: Decimal | None
    figure: str
    population: str
    cohort: str
    era: str | None
    n: int | None
    why: list[str]
    missing: list[str]
    unchecked: str | None  # a condition of the source population rrall cannot check
    citation: str
    uncertain: bool
    note: str | None


Pick = Callable[[tuple[CriterionResult, ...]], tuple[CriterionResult, ...]]


def match_prognosis(estimates: list[tuple[PrognosisEstimate, Pick]], results: tuple[CriterionResult, ...],
                    memo: dict[Any, Any]) -> list[PrognosisResult]:
    """`estimates` pairs each figure with the function picking its population's results."""
    found = []
    for estimate, pick in estimates:
        mine = pick(results)
        key, hit = shared(memo, ("prognosis", estimate.id), mine)
        if hit is None:
            hit = _match(estimate, list(mine))
            remember(memo, key, (mine, hit))
        if hit[1] is not None:
            found.append(hit)
    found.sort(key=lambda item: (item[1].match != "applies", -item[0]))
    return [result for _, result in found]


def _match(estimate: PrognosisEstimate, results: list[CriterionResult]) -> tuple[int, PrognosisResult | None]:
    verdict = overall(results)
    if verdict == "not_met":
        return len(results), None
    return len(results), PrognosisResult(
        id=estimate.id,
        match="applies" if verdict == "met" and not estimate.also_requires else "may_apply",
        endpoint=estimate.endpoint,
        timepoint=estimate.timepoint,
        value_percent=estimate.value_percent,
        ci_percent=estimate.ci_percent,
        plus_minus=estimate.plus_minus,
        figure=_figure(estimate),
        population=estimate.population_text,
        cohort=estimate.cohort,
        era=estimate.era,
        n=estimate.n,
        why=[r.detail for r in results if r.result == "met"],
        missing=list(dict.fromkeys(r.field for r in results if r.result == "unknown" and r.field)),
        unchecked=estimate.also_requires,
        citation=estimate.citation,
        uncertain=estimate.uncertain,
        note=estimate.note,
    )


def _figure(e: PrognosisEstimate) -> str:
    text = f"{e.endpoint} {e.value_percent:f}%"
    if e.plus_minus is not None:
        text += f" ± {e.plus_minus:f}"
    if e.ci_percent is not None:
        text += f" (95% CI {e.ci_percent[0]:f}-{e.ci_percent[1]:f})"
    return f"{text} at {e.timepoint}" if e.timepoint else text
