"""A trial record: identity, dated status, interventions and eligibility (format version 1).

Eligibility is written in the criterion language every knowledge file uses
(docs/knowledge-authoring.md); what the source gives only as text stays in `free_text`, listed for
manual review. A field the source did not give stays absent: never invented.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from rrall.knowledge.facts import CriteriaField, always

TrialStatus = Literal[
    "recruiting", "not_yet_recruiting", "enrolling_by_invitation", "available", "active_not_recruiting",
    "suspended", "temporarily_not_available", "completed", "terminated", "withdrawn", "no_longer_available",
    "approved_for_marketing", "withheld", "unknown",
]
OPEN: frozenset[str] = frozenset({"recruiting", "not_yet_recruiting", "enrolling_by_invitation", "available"})


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
    free_text: list[str] = Field(default_factory=list, description="criteria left for manual review")
    locations: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    curated: bool = True
    version: str | None = Field(default=None, description="registry record version (last update posted)")
    notes: str | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN
