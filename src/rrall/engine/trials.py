"""The registry's trials grouped by how their eligibility is written.

A registry of imported studies repeats itself: 10,000 ClinicalTrials.gov records have a
few hundred distinct structured criteria (ages, sex). Each distinct eligibility is one
conclusion of the engine, decided and put in words once for a case; a trial's match is
its own record (title, status, criteria in the source's words) around those shared
results, kept under the identity of the shared results and the status warning.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

from rrall.engine.memo import Memo
from rrall.logic.criteria import Criterion
from rrall.results import CriterionResult, TrialMatch
from rrall.trials.match import (
    Rank,
    Tally,
    Verdicts,
    fill,
    free_text_results,
    parts,
    ranked,
    tally,
    trial_match,
    verdicts,
)
from rrall.trials.model import Trial
from rrall.trials.status import status_warning

Structured = tuple[CriterionResult, ...]
Group = tuple[int, Structured, str | None, Verdicts, Tally]  # id, results, status warning, sums


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
        # An imported registry's equal eligibilities are one object (load_imported), so each
        # object is looked up by value once: hashing a criterion walks its whole tree.
        seen: dict[int, tuple[Any, tuple[Any, ...]]] = {}
        for trial in self.trials:
            known = seen.get(id(trial.eligibility))
            if known is None:
                rule = by_test.get(trial.eligibility.test)
                if rule is None:
                    rule = by_test[trial.eligibility.test] = add(trial)
                mine = []
                for part in parts(trial):
                    found = by_part.get(part)
                    if found is None:
                        found = by_part[part] = add_part(part)
                    mine.append(found)
                known = seen[id(trial.eligibility)] = (rule, tuple(mine))
            self.rules.append(known[0])
            self.parts.append(known[1])
        self.signature = [tuple(part.index for part in mine) for mine in self.parts]
        self.distinct = len(by_test)
        self.distinct_parts = len(by_part)
        self.every = tuple(range(len(self.trials)))
        # Shown by default: open trials and, in their own marked group, those of unknown status.
        self.shown = tuple(i for i, t in enumerate(self.trials) if t.open or t.status == "unknown")
        self._free: dict[int, Structured] = {}  # a trial's criteria in its source's words, made on first use
        self._words: dict[str, CriterionResult] = {}  # one result per wording, shared between trials
        self._frames: dict[int, TrialMatch] = {}  # per trial (one per trial, like the free text)

    def each_shown(self) -> list[Any]:
        """Each trial shown by default as a conclusion of its own: its eligibility's decision,
        put in words as the whole trial's match (to compare two releases trial by trial)."""
        return [replace(self.rules[i], id=self.trials[i].id,
                        render=partial(_whole, self.trials[i], self.rules[i].render)) for i in self.shown]

    def matches(self, which: Sequence[int], conclude: Callable[[Any], Structured], memo: Memo,
                today: date, max_months: int) -> list[tuple[Rank, TrialMatch]]:
        """Each trial's match with its place in the reading order (trials.match.rank), kept
        under the trial and its group: the trials with the same parts and the same status
        date share one group per case, named by a small id kept under the identity of the
        parts' shared results and the status warning (the entry holds those results, so
        their ids stay theirs while it is kept)."""
        if not memo.enabled:
            each = self._each(which, conclude, today, max_months)
            return [self._match(i, s, w, verdicts(s), tally(s), keep=False) for i, s, w in each]
        table, groups = memo.table("trial-matches"), memo.table("trial-groups")
        said: dict[int, CriterionResult] = {}  # per distinct part, for this case
        named: dict[tuple[tuple[int, ...], date | None], Group] = {}
        out = []
        for i in which:
            trial = self.trials[i]
            group = named.get((self.signature[i], trial.status_as_of))
            if group is None:
                found = []
                for part in self.parts[i]:
                    result = said.get(part.index)
                    if result is None:
                        result = said[part.index] = conclude(part)[0]
                    found.append(result)
                results = tuple(found)
                warning = status_warning(trial.status_as_of, today, max_months)
                key = (warning, *map(id, results))
                kept = groups.get(key)
                if kept is None:  # what the results add up to is kept with them
                    kept = groups[key] = (len(groups), results, verdicts(results), tally(results))
                    memo.kept += 1
                group = (kept[0], results, warning, kept[2], kept[3])
                named[(self.signature[i], trial.status_as_of)] = group
            match = table.get((i, group[0]))
            if match is None:
                match = table[(i, group[0])] = self._match(i, *group[1:])
                memo.kept += 1
            out.append(match)
        return out

    def _each(self, which: Sequence[int], conclude: Callable[[Any], Structured], today: date,
              max_months: int) -> Iterator[tuple[int, Structured, str | None]]:
        """Each trial's parts' results and status warning, made afresh (no memo)."""
        for i in which:
            yield (i, tuple(conclude(part)[0] for part in self.parts[i]),
                   status_warning(self.trials[i].status_as_of, today, max_months))

    def _match(self, i: int, structured: Structured, warning: str | None, summary: Verdicts,
               counts: Tally, keep: bool = True) -> tuple[Rank, TrialMatch]:
        """`counts`: the structured results' tally, shared by the trials written the same way
        (a trial's criteria in its source's words are each unknown). `keep`: keep the trial's
        criteria in its source's words and its frame for the next case; False computes them
        afresh (an engine without caches)."""
        free = self._free.get(i) if keep else None
        if free is None:
            free = free_text_results(self.trials[i], self._words if keep else None)
            if keep:
                self._free[i] = free
        frame = self._frames.get(i) if keep else None
        if frame is None:
            # A trial's first match is its frame for later cases: `fill` replaces every part
            # that depends on the case, so a single-case run builds one object per trial.
            match = trial_match(self.trials[i], structured, free, warning, summary)
            if keep:
                self._frames[i] = match
        else:
            match = fill(frame, structured, free, summary, warning)
        return ranked(match, (counts[0] + len(free), counts[1])), match


def _whole(trial: Trial, render: Callable[..., Structured], decision: Any, world: Any,
           doses: Any) -> TrialMatch:
    return trial_match(trial, render(decision, world, doses), free_text_results(trial))
