"""Eligibility criteria, one small vocabulary for therapy options, prognosis and trials.

A `Criteria` block lists requirements; every requirement left out is no requirement.
Each is evaluated against a case's `Profile` to one of three results: met, not met, or
unknown (the case does not say), never a guess. The key names follow the curated trial
registry (`min_age_years`, `cd19_required`, `excludes_prior`, ...) so one reader serves both.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rrall.case.vocabulary import AgentResponse, GeneticLesion, PriorAgent, RelapseSite

Verdict = Literal["met", "not_met", "unknown"]
DiseaseState = Literal["first_relapse", "second_relapse", "third_or_later_relapse", "primary_refractory"]
AdmittedState = Literal["first_relapse", "second_or_later_relapse", "refractory", "primary_refractory",
                        "post_hsct_relapse", "mrd_positive"]
SiteCategory = Literal["isolated_marrow", "isolated_extramedullary", "combined"]
Expression = Literal["positive", "dim", "negative"]
HsctConsensus = Literal["indicated", "not_indicated", "disagree", "not_applicable"]
Kinase = Annotated[str, Field(pattern=r"^[A-Z][0-9]{2,4}[A-Z]$")]


class RiskGroups(BaseModel):
    """Met when any listed framework assigns one of the listed groups."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    bfm: list[Literal["S1", "S2", "S3", "S4"]] = Field(default_factory=list)
    intreall: list[Literal["standard", "high"]] = Field(default_factory=list)
    cog: list[Literal["low", "intermediate", "high"]] = Field(default_factory=list)
    uk: list[Literal["standard", "intermediate", "high"]] = Field(default_factory=list)

    def listed(self) -> dict[str, list[str]]:
        pairs = (("bfm", self.bfm), ("intreall", self.intreall), ("cog", self.cog), ("uk", self.uk))
        return {name: list(groups) for name, groups in pairs if groups}


class PriorResponse(BaseModel):
    """Met when the case received `agent` and its recorded response is one of `responses`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    agent: PriorAgent
    responses: list[AgentResponse] = Field(min_length=1)


class Criteria(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sex: Literal["female", "male"] | None = None
    immunophenotype: list[Literal["B", "T"]] | None = None
    disease_states: list[DiseaseState] | None = None
    disease_any: list[AdmittedState] | None = Field(
        default=None, description="the case is in at least one of these states (how trials admit)")
    min_relapse_number: Annotated[int, Field(ge=0)] | None = None
    max_relapse_number: Annotated[int, Field(ge=0)] | None = None
    refractory: bool | None = None
    post_hsct: bool | None = Field(default=None, description="relapse after allogeneic HSCT")
    sites: list[SiteCategory] | None = None
    involves_any: list[RelapseSite] | None = Field(
        default=None, description="the assessed relapse involves at least one of these sites")
    timing_bfm: list[Literal["very_early", "early", "late"]] | None = None
    timing_cog: list[Literal["early", "late"]] | None = None
    min_months_from_diagnosis: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="whole calendar months from diagnosis to the assessed relapse")
    months_from_diagnosis_below: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="whole months from diagnosis below this")
    risk_groups: RiskGroups | None = None
    hsct_consensus: list[HsctConsensus] | None = Field(
        default=None, description="what the applicable frameworks say about HSCT in CR2, together")
    min_age_years: Annotated[Decimal, Field(ge=0)] | None = None
    max_age_years: Annotated[Decimal, Field(ge=0)] | None = Field(
        default=None, description="inclusive as registries write it: 21 admits a child until age 22")
    max_age_months: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="inclusive in whole months, as a registry limit in months, weeks or days "
        "reads: 24 admits a child until 25 months")
    min_age_at_diagnosis_years: Annotated[Decimal, Field(ge=0)] | None = None
    age_at_diagnosis_below_years: Annotated[Decimal, Field(ge=0)] | None = Field(
        default=None, description="age at diagnosis below this (infants: below 1)")
    cd19_required: list[Expression] | None = Field(
        default=None, description="CD19 expression at the assessed relapse must be one of these")
    cd22_required: list[Expression] | None = None
    bcr_abl1: bool | None = None
    abl1_kinase_mutation_found: bool | None = Field(
        default=None, description="any ABL1 kinase-domain mutation found at the assessed relapse")
    kinase_mutations_any: list[Kinase] | None = None
    kinase_mutations_none: list[Kinase] | None = None
    genetics_any: list[GeneticLesion] | None = None
    genetics_none: list[GeneticLesion] | None = None
    prior_any: list[PriorAgent] | None = Field(default=None, description="received at least one of")
    excludes_prior: list[PriorAgent] | None = Field(default=None, description="received none of")
    prior_response: PriorResponse | None = None
    prior_allogeneic_hsct: bool | None = None
    prior_cranial_radiation: bool | None = None
    min_doxorubicin_equivalent_mg_per_m2: Annotated[Decimal, Field(ge=0)] | None = None
    max_doxorubicin_equivalent_mg_per_m2: Annotated[Decimal, Field(ge=0)] | None = Field(
        default=None, description="cumulative dose must be below this")
    mrd_end_of_reinduction_below: Annotated[Decimal, Field(ge=0, le=1)] | None = None
    mrd_end_of_reinduction_at_least: Annotated[Decimal, Field(ge=0, le=1)] | None = None
    active_cns: bool | None = Field(default=None, description="CNS involved at the assessed relapse")
    min_performance: Annotated[int, Field(ge=0, le=100)] | None = Field(
        default=None, description="Lansky (under 16) or Karnofsky score at least this")

    @cached_property
    def requirements(self) -> tuple[tuple[str, Any], ...]:
        """(name, value) of each requirement this block sets, in declaration order."""
        return tuple((name, getattr(self, name)) for name in type(self).model_fields
                     if getattr(self, name) is not None)

    @cached_property
    def frozen(self) -> tuple[tuple[str, Any, Any], ...]:
        """(name, value, hashable form of the value) of each requirement."""
        return tuple((name, value, _freeze(value)) for name, value in self.requirements)

    def given(self) -> list[str]:
        """The names of the requirements this block sets."""
        return [name for name, _ in self.requirements]


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, BaseModel):
        return tuple((k, _freeze(v)) for k, v in value.model_dump().items())
    return value
