"""The derived description of the relapse being assessed (the latest one)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

DiseaseState = Literal["first_relapse", "second_relapse", "third_or_later_relapse", "primary_refractory"]
Site = Literal["isolated_marrow", "isolated_extramedullary", "combined"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Timing(_Out):
    bfm: Literal["very_early", "early", "late", "unknown"] | None
    cog: Literal["early", "late", "unknown"] | None
    rules: list[str]


class MrdValue(_Out):
    timepoint: str
    fraction: str
    percent: str
    method: str | None
    relapse: int | None


class Warning(_Out):
    code: str
    message: str
    path: str | None = None
    citations: list[str] = []


class Classification(_Out):
    disease_state: DiseaseState
    relapse_number: int
    refractory: bool
    reinduction_outcome: Literal["CR", "treatment_failure"] | None
    post_hsct: bool
    immunophenotype: Literal["B", "T"]
    site: Site | None
    extramedullary_sites: list[str]
    marrow_blasts_percent: float | None
    relapse_date: date | None
    months_from_diagnosis: int | None
    frontline_end: date | Literal["not_completed"] | None
    frontline_end_source: str | None
    months_from_frontline_end: int | None
    timing: Timing | None
    bcr_abl1: bool | None
    abl1_kinase_mutations: list[str] | None
    cd19: str | None
    cd22: str | None
    mrd: list[MrdValue]
    age_at_diagnosis_years: float
    age_at_assessment_years: float
