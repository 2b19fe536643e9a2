"""How current a trial's registry status is: every status carries the date its source gave,
and a status older than the knowledge base allows (`trial_status_max_age_months` in
knowledge/manifest.yaml, default 6) or undated is marked, so nobody offers a trial on a
status that may have changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rrall.classify.months import months_between
from rrall.results import TrialMatch


def status_warning(as_of: date | None, today: date, max_months: int) -> str | None:
    """Why the status needs re-checking, in words; None when it is recent enough."""
    if as_of is None:
        return "the source gives no date for this status: check it in the registry before offering the trial"
    age = months_between(as_of, today) if as_of <= today else 0
    if age < max_months:
        return None
    return (
        f"status as of {as_of.isoformat()}, {age} months before this assessment (a status {max_months} "
        "months old or older is re-checked): check it in the registry before offering the trial"
    )


def dated(matches: Sequence[TrialMatch], today: date, max_months: int) -> tuple[TrialMatch, ...]:
    """The matches with a warning on each status that is undated or too old (a new object
    only where a warning is added: the shared results stay untouched)."""
    out = []
    for m in matches:
        warning = status_warning(m.status_as_of, today, max_months)
        out.append(m if warning == m.status_warning else m.model_copy(update={"status_warning": warning}))
    return tuple(out)
