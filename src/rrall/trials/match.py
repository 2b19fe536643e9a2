"""Match a case against the trial registry, criterion by criterion, with three values.

A trial is `potentially_eligible` when every structured criterion is met, `needs_data`
when none fails but some are unknown (an unknown is never a "no"), and `ineligible` when
one fails. The free-text criteria are listed for review, never guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from rrall.options.memo import remember, shared
from rrall.rules.check import CriterionResult, overall
from rrall.trials.model import Trial, TrialStatus
from rrall.typed import build

Fit = Literal["potentially_eligible", "needs_data", "ineligible"]
FIT: dict[str, Fit] = {"met": "potentially_eligible", "unknown": "needs_data", "not_met": "ineligible"}
Pick = Callable[[tuple[CriterionResult, ...]], tuple[CriterionResult, ...]]


class TrialMatch(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    nct_id: str | None
    title: str
    phase: str | None
    trial_status: TrialStatus
    status_as_of: date | None
    open: bool
    curated: bool
    status: Fit
    criteria: list[CriterionResult]  # criterion, result (met | not_met | unknown), detail, field
    missing: list[str]
    review: list[str]
    sources: list[str]


def match_trials(trials: list[tuple[Trial, Pick]], results: tuple[CriterionResult, ...], memo: dict[Any, Any],
                 include_closed: bool = False) -> list[TrialMatch]:
    """Every open trial (or every trial), best fit first: potentially eligible, then the
    fewest unknowns, then ineligible; curated records before imported ones."""
    found = []
    for trial, pick in trials:
        if not (include_closed or trial.open):
            continue
        mine = pick(results)
        key, hit = shared(memo, ("trial", trial.id, id(trial)), mine)
        if hit is None:
            hit = _match(trial, list(mine))
            remember(memo, key, ((mine, trial), hit))
        found.append(hit)
    return sorted(found, key=_rank)


def _rank(m: TrialMatch) -> tuple[int, int, int, bool, str]:
    order = {"potentially_eligible": 0, "needs_data": 1, "ineligible": 2}[m.status]
    unknown = sum(c.result == "unknown" for c in m.criteria)
    failed = sum(c.result == "not_met" for c in m.criteria)
    return order, unknown, failed, not m.curated, m.id


UNREVIEWED = "the trial's eligibility text (imported, not yet curated into structured criteria)"


def _match(trial: Trial, results: list[CriterionResult]) -> TrialMatch:
    if not trial.curated and trial.free_text:
        # An imported record structures only ages and sex: the lineage, disease state and
        # marker requirements are still in its text, so it can never be a match on its own.
        results = [*results, CriterionResult(
            criterion="eligibility_text", result="unknown",
            detail="eligibility text: case not yet compared; requires review of the imported trial's "
                   "inclusion and exclusion criteria", field=UNREVIEWED)]
    # Every value comes from validated records: build without validating again.
    return build(TrialMatch,
        id=trial.id, nct_id=trial.nct_id, title=trial.title, phase=trial.phase, trial_status=trial.status,
        status_as_of=trial.status_as_of, open=trial.open, curated=trial.curated,
        status=FIT[overall(results)],
        criteria=results,
        missing=list(dict.fromkeys(r.field for r in results if r.result == "unknown" and r.field)),
        review=list(trial.free_text),
        sources=list(trial.sources),
    )
