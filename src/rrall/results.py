"""Every result type an assessment is made of, in one module, deeply immutable.

Lists are tuples and mappings are `FrozenMap`s, so an assessment (and any part shared
between assessments by the engine's caches) cannot be changed after it is made. Field
names are the public JSON contract (README, docs/options.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Generic, Literal, NoReturn, TypeVar

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import core_schema

from rrall.knowledge.clinical import Endpoint, OptionStatus, Phase
from rrall.knowledge.model import Source
from rrall.vocabulary import DiseaseState, SiteCategory

K = TypeVar("K")
V = TypeVar("V")


# How every item the sources leave unverified reads, followed by why.
UNVERIFIED = "Unverified: check against the protocol — "


_EPONYMS = frozenset({"Down", "Bloom", "Fanconi", "Nijmegen"})


def unverified(why: str) -> str:
    """An uncertain item in words: "Unverified: check against the protocol — <why>" (a plain
    first word of `why` is lower-cased; names such as Ph-positive or CD19 keep their case)."""
    why = why.strip()
    first = why.split(" ", 1)[0]
    if first in _EPONYMS:  # "Down syndrome" stays a name
        return UNVERIFIED + why
    if len(first) > 1 and first[0].isupper() and first[1:].isalpha() and first[1:].islower():
        why = why[0].lower() + why[1:]
    return UNVERIFIED + why

class FrozenMap(Mapping[K, V], Generic[K, V]):
    """A read-only mapping (serialised as a JSON object)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(data or {})

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __eq__(self, other: object) -> bool:
        return dict(self._data) == (dict(other) if isinstance(other, Mapping) else other)

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __setattr__(self, name: str, value: object) -> None:
        if name != "_data" or hasattr(self, "_data"):
            _refuse()
        object.__setattr__(self, name, value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        args = getattr(source, "__args__", (Any, Any))
        as_dict = handler.generate_schema(dict[args[0], args[1]])  # type: ignore[valid-type]
        # A FrozenMap is taken as it is (it cannot have changed); a mapping is validated.
        return core_schema.json_or_python_schema(
            json_schema=core_schema.no_info_after_validator_function(cls, as_dict),
            python_schema=core_schema.union_schema(
                [
                    core_schema.is_instance_schema(cls),
                    core_schema.no_info_after_validator_function(cls, as_dict),
                ]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda m: dict(m._data), when_used="always"
            ),
        )


def _refuse() -> NoReturn:
    raise TypeError("assessment results are immutable")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


Verdict = Literal["met", "not_met", "unknown"]
Status = Literal["assigned", "insufficient_data", "not_applicable"]
HsctInCr2 = Literal["indicated", "not_indicated", "depends_on_mrd", "depends_on_backbone"]
Fit = Literal["potentially_eligible", "needs_review", "needs_data", "ineligible"]
StatusGroup = Literal["open", "status_unknown", "closed"]


class Caution(_Out):
    text: str
    uncertain: bool
    rule: str
    citations: tuple[str, ...]


class Missing(_Out):
    """A case field that would settle a conclusion, and what each value of it gives."""

    field: str
    decides: str


class Condition(_Out):
    """One answer to an open question: the field, its value, and the value in words."""

    field: str
    value: str
    label: str


class Branch(_Out):
    """A conditional answer: when the open fields take these values, this is the outcome."""

    when: tuple[Condition, ...]
    status: str
    group: str | None = None
    hsct_in_cr2: str | None = None


class FrameworkResult(_Out):
    framework: str
    name: str
    scheme: str
    status: Status
    group: str | None
    hsct_in_cr2: HsctInCr2 | None
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    inputs: FrozenMap[str, str]
    missing: tuple[Missing, ...]
    cautions: tuple[Caution, ...]
    citations: tuple[str, ...]
    branches: tuple[Branch, ...] = ()


class EvidenceRef(_Out):
    id: str
    level: str
    claim: str
    citation: str
    uncertain: bool


class LabelStatus(_Out):
    """Whether the case falls within a therapy's label in one region."""

    region: str
    region_name: str
    status: Literal["on_label", "off_label", "insufficient_data"]
    indication: str
    date: date
    missing: tuple[str, ...]  # the case fields that would tell, when undecided
    citations: tuple[str, ...]


class OptionResult(_Out):
    id: str
    name: str
    phase: Phase
    status: OptionStatus
    rule: str
    reasons: tuple[str, ...]
    cautions: tuple[Caution, ...]
    evidence: tuple[EvidenceRef, ...]
    citations: tuple[str, ...]
    missing: tuple[Missing, ...]
    branches: tuple[Branch, ...] = ()
    labels: tuple[LabelStatus, ...] = ()  # the label status in each region, where labels are recorded


class AgentDose(_Out):
    agent: str
    cumulative_mg_per_m2: Decimal
    factor: str | None
    doxorubicin_equivalent_mg_per_m2: str | None


class CumulativeAnthracycline(_Out):
    status: Literal["calculated", "range", "not_recorded", "not_convertible"]
    doxorubicin_equivalent_mg_per_m2: Decimal | None
    range_mg_per_m2: tuple[Decimal, Decimal] | None
    table: str
    table_name: str
    by_agent: tuple[AgentDose, ...]
    cautions: tuple[Caution, ...]
    citations: tuple[str, ...]


class PrognosisResult(_Out):
    id: str
    match: Literal["applies", "may_apply"]
    endpoint: Endpoint
    timepoint: str | None
    value_percent: Decimal
    range_percent: tuple[Decimal, Decimal] | None = None  # a published range; value_percent is its low end
    upper_bound: bool = False  # published as a bound: the figure is below value_percent
    ci_percent: tuple[Decimal, Decimal] | None
    plus_minus: Decimal | None
    figure: str
    population: str
    cohort: str
    era: str | None
    n: int | None
    why: tuple[str, ...]
    missing: tuple[str, ...]
    unchecked: str | None  # a condition of the source population rrall cannot check
    citation: str
    uncertain: bool
    note: str | None


class CriterionResult(_Out):
    criterion: str
    result: Verdict
    detail: str
    field: str | None = None  # the case field that would settle an unknown result


class TrialMatch(_Out):
    id: str
    nct_id: str | None
    title: str
    phase: str | None
    trial_status: str
    status_as_of: date | None
    open: bool
    status_group: StatusGroup  # open to enrolment, of unknown status (shown, marked), or closed
    status_warning: str | None = None  # the status is undated or older than the knowledge base allows
    curated: bool
    status: Fit
    criteria: tuple[CriterionResult, ...]
    missing: tuple[str, ...]  # fields that would decide it; none once a criterion excludes it
    review: tuple[str, ...]
    sources: tuple[str, ...]


class MissingData(_Out):
    field: str
    affects: tuple[str, ...]
    decides: tuple[str, ...]
    test: str | None = None  # the work-up step that would supply it
    # What the assessment reads until the test is recorded, where an earlier test of the same
    # marker settles it (workup.yaml until_recorded: BCR::ABL1 negative at diagnosis), in words.
    uses: tuple[str, ...] = ()


class Timing(_Out):
    bfm: Literal["very_early", "early", "late", "unknown"] | None
    cog: Literal["early", "late", "unknown"] | None
    rules: tuple[str, ...]


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
    citations: tuple[str, ...] = ()


class Classification(_Out):
    disease_state: DiseaseState
    relapse_number: int
    refractory: bool
    reinduction_outcome: Literal["CR", "treatment_failure"] | None
    post_hsct: bool
    immunophenotype: Literal["B", "T"]
    site: SiteCategory | None
    extramedullary_sites: tuple[str, ...]
    marrow_blasts_percent: float | None
    relapse_date: date | None
    months_from_diagnosis: int | None
    frontline_end: date | Literal["not_completed"] | None
    frontline_end_source: str | None
    months_from_frontline_end: int | None
    timing: Timing | None
    bcr_abl1: bool | None
    abl1_kinase_mutations: tuple[str, ...] | None
    cd19: str | None
    cd22: str | None
    mrd: tuple[MrdValue, ...]
    age_at_diagnosis_years: float
    age_at_assessment_years: float


class _Heading(_Out):
    """What every shape of an assessment starts with: whose, by which versions, of what."""

    case_id: str
    engine_version: str
    knowledge_version: str
    assessment_date: date
    input_sha256: str
    notice: str
    classification: Classification


class Assessment(_Heading):
    risk: FrozenMap[str, FrameworkResult]
    options: tuple[OptionResult, ...]
    cumulative_anthracycline: CumulativeAnthracycline
    prognosis: tuple[PrognosisResult, ...]
    trials: tuple[TrialMatch, ...]
    missing_data: tuple[MissingData, ...]
    warnings: tuple[Warning, ...]
    references: FrozenMap[str, Source]


class FrameworkSummary(_Out):
    """A framework's answer in the summary output: the group, the HSCT rule and the rule
    rows used; reasons, inputs and cautions are in the full output."""

    status: Status
    group: str | None
    hsct_in_cr2: HsctInCr2 | None
    rules: tuple[str, ...]
    branches: tuple[Branch, ...] = ()


class OptionSummary(_Out):
    id: str
    phase: Phase
    status: OptionStatus
    rule: str
    branches: tuple[Branch, ...] = ()


class AssessmentSummary(_Heading):
    """`rrall assess --detail summary`: ids, the classification, each framework's group
    and HSCT rule, each option's status, the missing fields and the references cited by
    id. Every value is the full assessment's; the full output adds the words, evidence,
    prognosis and trials."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    detail: Literal["summary"]
    risk: dict[str, FrameworkSummary]
    options: tuple[OptionSummary, ...]
    missing_fields: tuple[str, ...]
    citations: tuple[str, ...]
