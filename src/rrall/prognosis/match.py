"""Prognosis: published figures whose population fits the case, each with why.

A figure whose population holds in every world the open questions allow `applies`; one
that holds in some `may_apply` and names the fields that would tell. The most specific
populations (most criteria) come first. Figures are shown as published, never combined.
"""

from __future__ import annotations

from rrall.criteria.describe import Describer
from rrall.criteria.evaluator import Evaluator
from rrall.knowledge.clinical import PrognosisEstimate
from rrall.logic.resolve import resolve
from rrall.logic.world import World
from rrall.results import PrognosisResult


def decide_estimate(estimate: PrognosisEstimate, world: World) -> tuple[bool | None, tuple[str, ...]]:
    """Whether the population fits (None: in some worlds only), and the fields that would tell."""
    fits = resolve(world, estimate.population.test.test)
    if fits.settled:
        return bool(fits.outcome), ()
    return None, tuple(dict.fromkeys(q.field for q in fits.questions()))


def render_estimate(
    describe: Describer,
    estimate: PrognosisEstimate,
    decision: tuple[bool | None, tuple[str, ...]],
    world: World,
) -> PrognosisResult | None:
    """The figure for this case, or None when its population does not fit in any world."""
    fits, fields = decision
    if fits is False:
        return None
    return PrognosisResult(
        id=estimate.id,
        match="applies" if fits and not estimate.also_requires else "may_apply",
        endpoint=estimate.endpoint,
        timepoint=estimate.timepoint,
        value_percent=estimate.value_percent,
        range_percent=estimate.range_percent,
        upper_bound=estimate.upper_bound,
        ci_percent=estimate.ci_percent,
        plus_minus=estimate.plus_minus,
        figure=figure(estimate),
        population=estimate.population_text,
        cohort=estimate.cohort,
        era=estimate.era,
        n=estimate.n,
        why=tuple(describe.criterion(estimate.population.test, world)),
        missing=fields,
        unchecked=estimate.also_requires,
        citation=estimate.citation,
        uncertain=estimate.uncertain,
        note=estimate.note,
    )


def match_estimate(ev: Evaluator, estimate: PrognosisEstimate, world: World) -> PrognosisResult | None:
    return render_estimate(Describer(ev.words), estimate, decide_estimate(estimate, world), world)


def specificity(estimate: PrognosisEstimate) -> int:
    return sum(1 for _ in estimate.population.test.leaves())


def figure(e: PrognosisEstimate) -> str:
    """"EFS 54.5% at 7 years", "OS below 20%"; a figure of another kind ("other": its
    population text names what was measured) by its number alone."""
    endpoint = "" if e.endpoint == "other" else f"{e.endpoint} "
    if e.range_percent is not None:
        text = f"{endpoint}{e.range_percent[0]:f}–{e.range_percent[1]:f}%"
    else:
        text = f"{endpoint}{'below ' if e.upper_bound else ''}{e.value_percent:f}%"
    if e.plus_minus is not None:
        text += f" ± {e.plus_minus:f}"
    if e.ci_percent is not None:
        text += f" (95% CI {e.ci_percent[0]:f}-{e.ci_percent[1]:f})"
    return f"{text} at {e.timepoint}" if e.timepoint else text
