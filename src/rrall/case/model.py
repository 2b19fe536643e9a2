"""The Case: one child's relapsed or refractory ALL history, as entered (format v1.3).

Field names here are the public contract documented in docs/case-format.md. The model
checks each field on its own; checks that relate fields to each other (dates in order,
testis in a female, ...) live in case/checks.py so that all errors come back at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.config import JsonDict

from rrall.vocabulary import (
    AgentResponse,
    Anthracycline,
    AntigenExpression,
    CnsStatus,
    DonorType,
    GeneticLesion,
    GermlinePredisposition,
    HsctType,
    Immunophenotype,
    InductionOutcome,
    MrdMethod,
    MrdTimepoint,
    MrdUnit,
    PerformanceScale,
    PriorAgent,
    ReinductionOutcome,
    RelapseSite,
    Sex,
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KINASE_MUTATION_PATTERN = r"^[A-Z][0-9]{2,4}[A-Z]$"


def _iso_date(value: Any) -> Any:
    """Accept YYYY-MM-DD text (or a date YAML already parsed); refuse timestamps and numbers."""
    if isinstance(value, datetime):
        raise ValueError("must be a date (YYYY-MM-DD) without a time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a real calendar date") from None
    raise ValueError("must be an ISO date written YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
CASE_ID_MAX = 200
# Control characters (C0, DEL, C1), lone surrogates, line and paragraph separators, and the
# bidirectional overrides and isolates that reorder how text is shown ("Trojan Source").
_NOT_IN_AN_ID = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def case_id_problem(value: str) -> str | None:
    """Why text cannot be a case id, if it cannot: ids are shown on pages, in reports and
    file names, so no control, line-separator or text-direction characters."""
    found = _NOT_IN_AN_ID.search(value)
    return f"contains the control character U+{ord(found.group()):04X}" if found else None


def _case_id(value: Any) -> Any:
    if not isinstance(value, str):  # pydantic would read bytes (YAML !!binary) as text
        raise ValueError("must be text")
    problem = case_id_problem(value) if len(value) <= CASE_ID_MAX else None  # too long: said once
    if problem:
        raise ValueError(f"{problem}; an id is printable text")
    return value


CaseId = Annotated[str, Field(min_length=1, max_length=CASE_ID_MAX), BeforeValidator(_case_id)]


Percent = Annotated[float, Field(ge=0, le=100)]  # a share of cells, 0-100
KinaseMutation = Annotated[str, Field(pattern=KINASE_MUTATION_PATTERN)]  # e.g. T315I


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RefractoryDisease(_Strict):
    """The leukemia persisting after front-line induction (primary refractory disease):
    what a relapse record holds for a relapse. Read only while the case has no relapse;
    at a relapse, antigens and mutations are those of the relapse (format v1.2)."""

    date: IsoDate | None = Field(default=None, description="Date of the marrow or tests that showed it.")
    marrow_blasts_percent: Percent | None = Field(
        default=None, description="Leukemic blasts in the marrow after induction, percent (0-100)."
    )
    cd19: AntigenExpression | None = None
    cd22: AntigenExpression | None = None
    cd7: AntigenExpression | None = Field(default=None, description="CD7 on the blasts.")
    cd7_blasts_percent: Percent | None = Field(
        default=None, description="Share of blasts expressing CD7, percent (0-100)."
    )
    abl1_kinase_mutations: list[KinaseMutation] | None = (
        Field(default=None, description="ABL1 kinase-domain mutations, e.g. T315I; [] = none found.")
    )


def _nothing_given_is_none(block: RefractoryDisease | None) -> RefractoryDisease | None:
    """An empty block says nothing: the same case (and input hash) as no block."""
    if block is None or any(getattr(block, name) is not None for name in RefractoryDisease.model_fields):
        return block
    return None


class Diagnosis(_Strict):
    date: IsoDate = Field(description="Date of the initial ALL diagnosis.")
    immunophenotype: Immunophenotype = Field(description="Lineage at diagnosis: B or T.")
    frontline_end_date: IsoDate | Literal["not_completed"] | None = Field(
        default=None,
        description=(
            "End of front-line therapy; 'not_completed' when the first relapse came during"
            " front-line therapy; absent when unknown."
        ),
    )
    induction_outcome: InductionOutcome = Field(
        default="CR", description="Response to front-line induction."
    )
    cns_status: CnsStatus | None = Field(default=None, description="CNS status at diagnosis.")
    genetics: list[GeneticLesion] | None = Field(
        default=None,
        description="Lesions found at diagnosis; [] means tested and none found, absent means unknown.",
    )
    wbc_per_uL: Annotated[float, Field(ge=0, le=2_000_000)] | None = Field(
        default=None, description="White blood cell count at diagnosis, cells per microlitre."
    )
    refractory_disease: Annotated[RefractoryDisease | None, AfterValidator(_nothing_given_is_none)] = Field(
        default=None,
        description=(
            "Markers of the disease persisting after a failed induction, for primary refractory"
            " disease only (v1.2)."
        ),
    )


class Relapse(_Strict):
    date: IsoDate = Field(description="Date the relapse was diagnosed.")
    sites: Annotated[list[RelapseSite], Field(min_length=1)] = Field(
        description="Sites involved; bone_marrow when the marrow is involved."
    )
    marrow_blasts_percent: Percent | None = Field(
        default=None, description="Leukemic blasts in the marrow aspirate, percent (0-100)."
    )
    immunophenotype: Immunophenotype | None = Field(
        default=None, description="Lineage at this relapse when it differs or was re-tested."
    )
    cd19: AntigenExpression | None = None
    cd22: AntigenExpression | None = None
    cd7: AntigenExpression | None = Field(default=None, description="CD7 on the blasts (v1.1).")
    cd7_blasts_percent: Percent | None = Field(
        default=None, description="Share of blasts expressing CD7, percent (0-100) (v1.1)."
    )
    bcr_abl1: bool | None = Field(default=None, description="BCR::ABL1 detected at this relapse.")
    abl1_kinase_mutations: list[KinaseMutation] | None = (
        Field(default=None, description="ABL1 kinase-domain mutations, e.g. T315I; [] = none found.")
    )
    genetics: list[GeneticLesion] | None = None
    cns_status: CnsStatus | None = Field(
        default=None,
        description="CNS status at this relapse (cerebrospinal fluid and clinical signs); "
        "CNS3 needs cns in sites, CNS1 excludes it.",
    )
    reinduction_outcome: ReinductionOutcome | None = None


class MrdMeasurement(_Strict):
    timepoint: MrdTimepoint
    value: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
    unit: MrdUnit = Field(description="'percent' (0.1 = 0.1 %) or 'fraction' (0.001 = 10^-3).")
    method: MrdMethod | None = None
    date: IsoDate | None = None
    relapse: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="1-based relapse this measurement follows; default the latest."
    )

    @property
    def fraction(self) -> Decimal:
        """The value as a fraction of nucleated cells, exactly."""
        return self.value / 100 if self.unit == "percent" else self.value


class Hsct(_Strict):
    date: IsoDate
    type: HsctType


class AgentExposure(_Strict):
    agent: PriorAgent
    start_date: IsoDate | None = None
    response: AgentResponse | None = None


class AnthracyclineDose(_Strict):
    agent: Anthracycline
    cumulative_mg_per_m2: Annotated[float, Field(ge=0, le=2000)]


class PriorTherapy(_Strict):
    hsct: list[Hsct] = Field(default_factory=list)
    agents: list[AgentExposure] = Field(default_factory=list)
    anthracyclines: list[AnthracyclineDose] = Field(default_factory=list)
    cranial_radiation_gy: Annotated[float, Field(ge=0, le=60)] | None = None
    testicular_radiation_gy: Annotated[float, Field(ge=0, le=60)] | None = None


class Constitutional(_Strict):
    """What the child was born with that changes relapse treatment (format v1.1)."""

    down_syndrome: bool | None = Field(
        default=None,
        description="Constitutional trisomy 21 (Down syndrome); absent: not recorded (read as no, said so).",
    )
    germline_predisposition: list[GermlinePredisposition] | None = Field(
        default=None,
        description="Germline cancer-predisposition conditions found (TP53 = Li-Fraumeni syndrome); "
        "[] or absent: none known.",
    )


class Donor(_Strict):
    type: DonorType
    hla_match: Annotated[str, Field(pattern=r"^\d{1,2}/\d{1,2}$")] | None = None


class Performance(_Strict):
    scale: PerformanceScale = Field(description="lansky, karnofsky or ecog (ecog: v1.1).")
    score: Annotated[int, Field(ge=0, le=100)] = Field(
        description="Lansky or Karnofsky 0-100 in steps of 10; ECOG 0-4 (checked against the scale)."
    )
    date: IsoDate | None = None


# A case without a relapse is primary refractory disease, the only disease state rrall
# assesses without one (case/checks.py refuses the rest): the schema says so too.
_PRIMARY_REFRACTORY: JsonDict = {"required": ["induction_outcome"],
                                  "properties": {"induction_outcome": {"const": "induction_failure"}}}
RELAPSE_OR_PRIMARY_REFRACTORY: JsonDict = {"anyOf": [
    {"required": ["relapses"], "properties": {"relapses": {"minItems": 1}}},
    {"required": ["diagnosis"], "properties": {"diagnosis": _PRIMARY_REFRACTORY}},
]}


class Case(_Strict):
    model_config = ConfigDict(json_schema_extra=RELAPSE_OR_PRIMARY_REFRACTORY)

    id: CaseId
    sex: Sex
    date_of_birth: IsoDate
    assessment_date: IsoDate | None = Field(
        default=None, description="Date the case is assessed; default today."
    )
    diagnosis: Diagnosis
    relapses: list[Relapse] = Field(default_factory=list)
    mrd: list[MrdMeasurement] = Field(default_factory=list)
    prior_therapy: PriorTherapy = Field(default_factory=PriorTherapy)
    constitutional: Constitutional | None = Field(
        default=None, description="Down syndrome and germline predisposition (format v1.1)."
    )
    donor: Donor | None = None
    performance: Performance | None = None
    hsct_eligible: bool | None = Field(
        default=None,
        description=(
            "Whether the team judges the child able to undergo allogeneic HSCT (v1.1); absent: not yet said."
        ),
    )

    @property
    def as_of(self) -> date:
        """The assessment date; load_case fills it in, so it is only None for hand-built cases."""
        return self.assessment_date or date.today()
