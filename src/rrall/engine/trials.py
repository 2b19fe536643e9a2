"""The registry's trials grouped by how their eligibility is written.

A registry of imported studies repeats itself: 10,000 ClinicalTrials.gov records have a
few hundred distinct structured criteria (ages, sex). Each distinct eligibility is one
conclusion of the engine, decided and put in words once for a case; a trial's match is
its own record (title, status, criteria in the source's words) around those shared
results, kept under the identity of the shared results and the status warning.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

from rrall.engine.memo import Memo
from rrall.logic.criteria import Criterion
from rrall.results import CriterionResult, TrialMatch
from rrall.trials.match import Rank, Verdicts, free_text_results, parts, rank, trial_match, verdicts
from rrall.trials.model import Trial
from rrall.trials.status import status_warning

Structured = tuple[CriterionResult, ...]


class TrialIndex:
    def __init__(self, trials: Sequence[Trial], add: Callable[[Trial], Any],
                 add_part: Callable[[Criterion], Any]) -> None:
        """`add(trial)`: the engine's conclusion deciding that trial's structured criteria
        together (called once per distinct eligibility; to compare releases); `add_part(part)`:
        its conclusion deciding one part (called once per distinct part: 231 parts of the 42
        curated trials are 70 distinct ones)."""
        self.trials = tuple(trials)
        by_test: dict[Hashable, Any] = {}
        by_part: dict[Hashable, Any] = {}
        self.rules = []
        self.parts: list[tuple[Any, ...]] = []
        for trial in self.trials:
            rule = by_test.get(trial.eligibility.test)
            if rule is None:
                rule = by_test[trial.eligibility.test] = add(trial)
            self.rules.append(rule)
            mine = []
            for part in parts(trial):
                found = by_part.get(part)
                if found is None:
                    found = by_part[part] = add_part(part)
                mine.append(found)
            self.parts.append(tuple(mine))
        self.distinct = len(by_test)
        self.distinct_parts = len(by_part)
        self.every = tuple(range(len(self.trials)))
        # Shown by default: open trials and, in their own marked group, those of unknown status.
        self.shown = tuple(i for i, t in enumerate(self.trials) if t.open or t.status == "unknown")
        self._free: dict[int, Structured] = {}  # a trial's criteria in its source's words, made on first use

    def each_shown(self) -> list[Any]:
        """Each trial shown by default as a conclusion of its own: its eligibility's decision,
        put in words as the whole trial's match (to compare two releases trial by trial)."""
        return [replace(self.rules[i], id=self.trials[i].id,
                        render=partial(_whole, self.trials[i], self.rules[i].render)) for i in self.shown]

    def matches(self, which: Sequence[int], conclude: Callable[[Any], Structured], memo: Memo,
                today: date, max_months: int) -> list[tuple[Rank, TrialMatch]]:
        """Each trial's match with its place in the reading order (trials.match.rank), kept
        under the trial, its status warning and the identity of its parts' shared results
        (the match holds those results, so their ids stay theirs while it is kept)."""
        table = memo.table("trial-matches")
        said: dict[int, CriterionResult] = {}  # per distinct part, for this case
        warned: dict[date | None, str | None] = {}
        out = []
        for i in which:
            results = []
            for part in self.parts[i]:
                found = said.get(part.index)
                if found is None:
                    found = said[part.index] = conclude(part)[0]
                results.append(found)
            as_of = self.trials[i].status_as_of
            if as_of not in warned:
                warned[as_of] = status_warning(as_of, today, max_months)
            warning = warned[as_of]
            key = (i, warning, *map(id, results))
            match = table.get(key) if memo.enabled else None
            if match is None:
                structured = tuple(results)
                match = self._match(i, structured, warning, verdicts(structured))
                if memo.enabled:
                    table[key] = match
                    memo.kept += 1
            out.append(match)
        return out

    def _match(self, i: int, structured: Structured, warning: str | None,
               summary: Verdicts) -> tuple[Rank, TrialMatch]:
        free = self._free.get(i)
        if free is None:
            free = self._free[i] = free_text_results(self.trials[i])
        match = trial_match(self.trials[i], structured, free, warning, summary)
        return rank(match), match


def _whole(trial: Trial, render: Callable[..., Structured], decision: Any, world: Any,
           doses: Any) -> TrialMatch:
    return trial_match(trial, render(decision, world, doses), free_text_results(trial))
