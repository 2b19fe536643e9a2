"""Match a case against the trial registry, criterion by criterion, with three values.

Each part of a trial's eligibility is decided over every world the open questions allow:
met, not met, or unknown (naming the field that would tell). A trial is
`potentially_eligible` when every part is met, `needs_data` when none fails but some are
unknown (an unknown is never a "no"), and `ineligible` when one fails. Every criterion the
record keeps only in the source's words (`free_text`) is an unknown too, one a person must
check: with no other unknown the trial `needs_review`, never `potentially_eligible`.
"""

from __future__ import annotations

from typing import Any

from rrall.criteria.describe import Describer
from rrall.criteria.evaluator import Evaluator
from rrall.logic.criteria import All, Comparison, Criterion, Has, Not
from rrall.logic.resolve import resolve
from rrall.logic.world import World
from rrall.results import CriterionResult, Fit, TrialMatch
from rrall.trials.model import Trial, status_group

FIT: dict[str, Fit] = {
    "met": "potentially_eligible", "review": "needs_review", "unknown": "needs_data", "not_met": "ineligible"
}
FREE_TEXT = "free_text"


Decision = tuple[tuple[str, str | None], ...]  # per part: met / not_met / unknown, and the fields


def parts(trial: Trial) -> tuple[Criterion, ...]:
    test = trial.eligibility.test
    return test.items if isinstance(test, All) else (test,) if test.reads else ()


def decide_parts(items: tuple[Criterion, ...], world: World) -> Decision:
    out = []
    for part in items:
        fits = resolve(world, part.test)
        result = ("met" if fits.outcome else "not_met") if fits.settled else "unknown"
        out.append((result, ", ".join(dict.fromkeys(q.field for q in fits.questions())) or None))
    return tuple(out)


def decide_trial(trial: Trial, world: World) -> Decision:
    return decide_parts(parts(trial), world)


def render_parts(describe: Describer, items: tuple[Criterion, ...], decision: Decision,
                 world: World) -> tuple[CriterionResult, ...]:
    """The structured criteria's results in words: the same for every trial whose
    eligibility is written the same way (the engine shares them)."""
    return tuple(
        CriterionResult(
            criterion=_name(part),
            result=result,
            detail="; ".join(describe.criterion(part, world)),
            field=field,
        )
        for part, (result, field) in zip(items, decision, strict=True)
    )


def free_text_result(text: str) -> CriterionResult:
    """A criterion kept only in the source's words is not known to be met: a person checks it."""
    return CriterionResult(criterion=FREE_TEXT, result="unknown", detail=f"check with the trial team: {text}")


def free_text_results(trial: Trial,
                      said: dict[str, CriterionResult] | None = None) -> tuple[CriterionResult, ...]:
    """The trial's criteria in its source's words; `said` keeps each wording's result, shared
    by every trial that uses the same words (results are immutable)."""
    said = {} if said is None else said
    out = []
    for text in trial.free_text:
        result = said.get(text)
        if result is None:
            result = said[text] = free_text_result(text)
        out.append(result)
    return tuple(out)


Verdicts = tuple[frozenset[str], tuple[str, ...]]  # the results present; the fields that would tell


def verdicts(structured: tuple[CriterionResult, ...]) -> Verdicts:
    """What the structured results add up to (shared by every trial written the same way);
    a trial that a met-or-not criterion already excludes has no field left that would tell."""
    found = frozenset(r.result for r in structured)
    if "not_met" in found:
        return found, ()
    return found, tuple(dict.fromkeys(r.field for r in structured if r.result == "unknown" and r.field))


def trial_match(trial: Trial, structured: tuple[CriterionResult, ...], free: tuple[CriterionResult, ...],
                status_warning: str | None = None, summary: Verdicts | None = None) -> TrialMatch:
    """The trial's match from its criteria's results (structured, then in the source's
    words: those have no field, so they only ever ask for review)."""
    return TrialMatch(**_record(trial), **_filled(structured, free, summary, status_warning))


def fill(frame: TrialMatch, structured: tuple[CriterionResult, ...], free: tuple[CriterionResult, ...],
         summary: Verdicts | None = None, status_warning: str | None = None) -> TrialMatch:
    """An earlier match of the same trial with this case's results (the engine keeps a
    trial's first match as the frame of its later ones: every part that depends on the case
    is replaced)."""
    return frame.model_copy(update=_filled(structured, free, summary, status_warning))


def _record(trial: Trial) -> dict[str, Any]:
    return {
        "id": trial.id,
        "nct_id": trial.nct_id,
        "title": trial.title,
        "phase": trial.phase,
        "trial_status": trial.status,
        "status_as_of": trial.status_as_of,
        "open": trial.open,
        "status_group": status_group(trial.status),
        "curated": trial.curated,
        "review": tuple(trial.free_text),
        "sources": tuple(trial.sources),
    }


def _filled(structured: tuple[CriterionResult, ...], free: tuple[CriterionResult, ...],
            summary: Verdicts | None, status_warning: str | None) -> dict[str, Any]:
    """The parts of a match that depend on the case."""
    found, missing = summary or verdicts(structured)
    overall = (
        "not_met" if "not_met" in found else "unknown" if missing else
        "review" if free or "unknown" in found else "met"
    )
    return {"status_warning": status_warning, "status": FIT[overall], "criteria": (*structured, *free),
            "missing": missing}


def render_trial(describe: Describer, trial: Trial, decision: Decision, world: World) -> TrialMatch:
    items = parts(trial)
    return trial_match(trial, render_parts(describe, items, decision, world), free_text_results(trial))


def match_trial(ev: Evaluator, trial: Trial, world: World) -> TrialMatch:
    return render_trial(Describer(ev.words), trial, decide_trial(trial, world), world)


def _name(part: Criterion) -> str:
    """The fact a part tests (for tools that group criteria); `any`/`all` for a combination."""
    inner = part.item if isinstance(part, Not) else part
    if isinstance(inner, Comparison | Has):
        return inner.fact
    return type(inner).__name__.lower()


Rank = tuple[int, int, int, int, bool, str]


def rank(m: TrialMatch) -> Rank:
    """Open trials, then those of unknown status, then closed ones; in each, best fit first:
    potentially eligible, then needing review, then the fewest unknowns, then ineligible;
    curated records before imported ones."""
    return ranked(m, tally(m.criteria))


Tally = tuple[int, int]  # how many criteria are unknown, how many not met


def tally(results: tuple[CriterionResult, ...]) -> Tally:
    """Counted once for the structured results that trials written the same way share."""
    return sum(c.result == "unknown" for c in results), sum(c.result == "not_met" for c in results)


def ranked(m: TrialMatch, counts: Tally) -> Rank:
    """`rank` of a match whose criteria's counts are known (`tally`)."""
    return (_GROUP_ORDER[m.status_group], _FIT_ORDER[m.status], counts[0], counts[1], not m.curated, m.id)


_GROUP_ORDER = {"open": 0, "status_unknown": 1, "closed": 2}
_FIT_ORDER = {"potentially_eligible": 0, "needs_review": 1, "needs_data": 2, "ineligible": 3}
