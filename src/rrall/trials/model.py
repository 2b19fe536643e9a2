"""A trial record: identity, dated status, interventions and eligibility (format version 1).

Eligibility is written in the criterion language every knowledge file uses
(docs/knowledge-authoring.md). The source's eligibility bullets are kept in its words: those
the criteria now say are in `structured_text`, those they do not yet say in `free_text`,
each an unknown a person checks with the trial team. A field the source did not give stays
absent: never invented.

Where sources disagree on the status, `status_reports` lists each and `status` must be the
most conservative of them (`CONSERVATIVE`: closed before paused before not yet open before open).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rrall.knowledge.facts import CriteriaField, always

TrialStatus = Literal[
    "recruiting", "not_yet_recruiting", "enrolling_by_invitation", "available", "active_not_recruiting",
    "suspended", "temporarily_not_available", "completed", "terminated", "withdrawn", "no_longer_available",
    "approved_for_marketing", "withheld", "unknown",
]
OPEN: frozenset[str] = frozenset({"recruiting", "not_yet_recruiting", "enrolling_by_invitation", "available"})
# Most conservative first: a child is never offered a trial one source says is closed or paused.
CONSERVATIVE: tuple[str, ...] = (
    "withdrawn", "terminated", "completed", "no_longer_available", "withheld", "approved_for_marketing",
    "active_not_recruiting", "suspended", "temporarily_not_available", "unknown", "not_yet_recruiting",
    "enrolling_by_invitation", "available", "recruiting",
)


def status_group(status: str) -> Literal["open", "status_unknown", "closed"]:
    """Open to enrolment, of unknown status (shown by default, marked), or closed."""
    return "open" if status in OPEN else "status_unknown" if status == "unknown" else "closed"


def most_conservative(statuses: list[str]) -> str:
    return min(statuses, key=CONSERVATIVE.index)


class StatusReport(BaseModel):
    """One source's word on the status, with its date when it gives one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    status: TrialStatus
    source: str
    as_of: date | None = None


class Trial(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1, description="NCT id, else the main other id")]
    nct_id: Annotated[str, Field(pattern=r"^NCT\d{8}$")] | None = None
    other_ids: list[str] = Field(default_factory=list)
    title: str
    phase: str | None = None
    sponsor: str | None = None
    status: TrialStatus
    status_text: str | None = Field(default=None, description="the status as the source words it")
    status_as_of: date | None = Field(default=None, description="the date the source gives for it")
    interventions: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    sex: Literal["all", "female", "male"] | None = None
    eligibility: CriteriaField = Field(default_factory=always)
    free_text: list[str] = Field(
        default_factory=list, description="source bullets the criteria do not say: each checked by a person"
    )
    structured_text: list[str] = Field(
        default_factory=list, description="source bullets the criteria now say (kept for audit and coverage)"
    )
    status_reports: list[StatusReport] = Field(
        default_factory=list, description="each source's status where they disagree"
    )
    locations: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    curated: bool = True
    version: str | None = Field(default=None, description="registry record version (last update posted)")
    notes: str | None = None

    @model_validator(mode="after")
    def _conservative(self) -> Trial:
        if self.status_reports:
            wanted = most_conservative([r.status for r in self.status_reports])
            if self.status != wanted:
                raise ValueError(
                    f"status {self.status!r}: sources disagree, so the status must be the most "
                    f"conservative they give, {wanted!r}"
                )
        return self

    @property
    def open(self) -> bool:
        return self.status in OPEN
