"""Schema of the clinical knowledge: evidence items, therapy options, prognosis estimates
and anthracycline conversion tables (format version 1).

Every claim names its source (an id in references.yaml) and says whether the sources leave
it unverified; the engine shows uncertain items as cautions, never as settled fact.
"""

from __future__ import annotations

from datetime import date as date_
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from rrall.knowledge.facts import CriteriaField, always
from rrall.vocabulary import Anthracycline

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Endpoint = Literal["CR", "CR2", "ORR", "MRD_negative", "EFS", "DFS", "OS", "CIR", "PFS", "RFS", "LFS",
                   "NRM", "toxicity", "other"]
Design = Literal["randomized_trial", "single_arm_trial", "cohort", "registry", "expanded_access",
                 "case_series", "guideline", "regulatory_label", "review", "conference_abstract",
                 "matched_pair"]
Phase = Literal["reinduction", "consolidation", "definitive", "site_directed", "targeted", "supportive"]
OptionStatus = Literal["standard", "consider", "clinical_trial", "not_recommended", "not_eligible",
                       "insufficient_data"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Outcome(_Data):
    """One reported number: a percentage with its timepoint, arm and interval where given."""

    endpoint: Endpoint
    value_percent: Annotated[Decimal, Field(ge=0, le=100)] | None = None
    timepoint: str | None = Field(default=None, description="e.g. '2 years', 'after cycle 1'")
    arm: str | None = None
    ci_percent: tuple[Decimal, Decimal] | None = Field(default=None, description="95% CI, percent")
    plus_minus: Decimal | None = Field(default=None, description="± standard error as published")
    text: str | None = Field(default=None, description="numbers that are not a percentage (HR, n/N)")


class EvidenceItem(_Data):
    """One claim from one source (CIViC style)."""

    id: Id
    statement: str
    population: str
    therapies: list[Id] = Field(default_factory=list, description="therapy option ids it bears on")
    design: Design
    level: Literal["A", "B", "C", "D", "E"] = Field(
        description="CIViC-style level: A validated/guideline or phase 3, B clinical trial or cohort, "
        "C case report or small series, D preclinical, E inferential")
    source_level: str | None = Field(default=None, description="the source's own level (PDQ) if it gives one")
    outcomes: list[Outcome] = Field(default_factory=list)
    citation: Id
    uncertain: bool = False
    uncertain_note: str | None = None


class EvidenceFile(_Data):
    format_version: Literal[1]
    evidence: list[EvidenceItem]


class PrognosisEstimate(_Data):
    """A published figure and the population it was measured in."""

    id: Id
    population: CriteriaField
    population_text: str
    endpoint: Endpoint
    timepoint: str | None = None
    value_percent: Annotated[Decimal, Field(ge=0, le=100)]
    range_percent: tuple[Decimal, Decimal] | None = Field(
        default=None, description="a published range ('40-50%'), shown as a range (value_percent: low end)"
    )
    upper_bound: bool = Field(
        default=False, description="published as an upper bound ('survival below 20 %'), shown as one"
    )
    ci_percent: tuple[Decimal, Decimal] | None = None
    plus_minus: Decimal | None = None
    n: Annotated[int, Field(ge=1)] | None = None
    cohort: str
    era: str | None = None
    citation: Id
    uncertain: bool = False
    note: str | None = None
    also_requires: str | None = Field(
        default=None, description="a condition of the source population rrall cannot check from a case; "
        "the figure then 'may apply' and says so")


class PrognosisFile(_Data):
    format_version: Literal[1]
    estimates: list[PrognosisEstimate]


class StatusRule(_Data):
    """One row of an option's decision list: the first row whose criteria hold decides."""

    id: Id
    when: CriteriaField
    status: OptionStatus
    reason: str
    citations: list[Id] = Field(min_length=1)
    uncertain: bool = False
    uncertain_note: str | None = Field(default=None, description="why it is uncertain, for the caution")
    phase: Phase | None = Field(
        default=None,
        description="the phase of treatment this row's use belongs to, where it is not the therapy's "
        "usual one (blinatumomab for refractory disease is given to reach remission, not as consolidation)",
    )


class DefaultStatus(_Data):
    status: OptionStatus
    reason: str
    citations: list[Id] = Field(min_length=1)
    uncertain: bool = False
    uncertain_note: str | None = None


class OptionCaution(_Data):
    id: Id
    when: CriteriaField = Field(default_factory=always, description="absent: always shown")
    text: str
    citations: list[Id] = Field(min_length=1)
    uncertain: bool = False


class Therapy(_Data):
    id: Id
    name: str
    phase: Phase
    description: str = Field(description="what it is, with doses only where a source gives them")
    requires: CriteriaField = Field(default_factory=always, description="must hold, else not_eligible")
    requires_citations: list[Id] = Field(default_factory=list)
    rules: list[StatusRule] = Field(default_factory=list)
    default: DefaultStatus
    cautions: list[OptionCaution] = Field(default_factory=list)
    contains_anthracycline: bool = False


Region = Literal["US", "EU"]


class Label(_Data):
    """One regulatory label of one therapy in one region, with its date and source."""

    id: Id
    therapy: Id
    region: Region
    date: date_
    indication: str
    covers: CriteriaField = Field(description="the relapses the labelled indication covers")
    citations: list[Id] = Field(min_length=1)


class LabelFile(_Data):
    format_version: Literal[1]
    regions: dict[Region, str]
    labels: list[Label]


class TherapyFile(_Data):
    format_version: Literal[1]
    therapies: list[Therapy]


Factor = Decimal | tuple[Decimal, Decimal] | None  # one factor, a published range, or not estimable


class ConversionTable(_Data):
    id: Id
    name: str
    factors: dict[Anthracycline, Factor]
    citations: list[Id] = Field(min_length=1)
    uncertain: bool = False
    note: str | None = None


class AnthracyclineThreshold(_Data):
    id: Id
    at_least_mg_per_m2: Decimal
    text: str
    citations: list[Id] = Field(min_length=1)
    uncertain: bool = False


class AnthracyclineNote(_Data):
    text: str
    citations: list[Id] = Field(min_length=1)


class AnthracyclineFile(_Data):
    format_version: Literal[1]
    default_table: Id
    tables: list[ConversionTable] = Field(min_length=1)
    not_recorded: AnthracyclineNote
    not_convertible: AnthracyclineNote = Field(description="{table} and {agents} are filled in")
    thresholds: list[AnthracyclineThreshold]


class Finding(_Data):
    """What a test not yet recorded could find, written into the latest relapse so that the
    assessment can say what that finding would change (a lumbar puncture showing CNS3)."""

    label: str = Field(description="the finding in clinical words, e.g. 'CNS disease at relapse (CNS3)'")
    set: dict[str, str] = Field(default_factory=dict, description="relapse fields given this value")
    add: dict[str, list[str]] = Field(default_factory=dict,
                                      description="relapse list fields gaining these values")
    citations: list[Id] = Field(min_length=1)


class WorkupItem(_Data):
    id: Id
    name: str
    fields: list[str] = Field(min_length=1, description="case fields it fills; any absent -> listed")
    when: CriteriaField = Field(default_factory=always)
    why: str
    citations: list[Id] = Field(min_length=1)
    until_recorded: list[Id] = Field(
        default_factory=list,
        description="facts an earlier test of the same marker settles while this one is not recorded "
        "(BCR::ABL1 from the genetics at diagnosis): their value is shown beside the test",
    )
    if_found: Finding | None = Field(
        default=None,
        description="while the test is not recorded, the assessment says what this finding would change",
    )


class WorkupFile(_Data):
    format_version: Literal[1]
    workup: list[WorkupItem]
