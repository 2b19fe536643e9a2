"""The shape of each knowledge file kind (format version 1).

The pydantic models are the schema: unknown keys are refused, ids are stable strings,
and every rule row names its citations. Criteria (`when`) are written in the criterion
language (docs/knowledge-authoring.md) and parsed against knowledge/facts.yaml.
rrall/lint/ adds the checks that span files.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from rrall.knowledge.clinical import Finding
from rrall.knowledge.facts import CriteriaField, Id, always
from rrall.vocabulary import CnsStatus

FORMAT_VERSION = 1
HsctValue = Literal["indicated", "not_indicated", "depends_on_backbone"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Reviewer(_Data):
    """Someone who reviewed and approved a release: a person's name and role, as data."""

    name: Annotated[str, Field(min_length=2, max_length=200)]
    role: Annotated[str, Field(min_length=2, max_length=200)]
    institution: str | None = None
    approved: date
    scope: str | None = None  # what the review covered, when not the whole release


class Manifest(_Data):
    format_version: Literal[1]
    knowledge_version: Annotated[str, Field(pattern=r"^\d{4}\.\d{1,2}\.\d+$")]
    released: date
    title: str
    frameworks: list[Id] = Field(min_length=1, description="Framework ids, in display order.")
    trial_status_max_age_months: Annotated[int, Field(ge=1, le=60)] = Field(
        default=6, description="A trial status older than this is shown with a warning to re-check it."
    )
    reviewers: list[Reviewer] = Field(default_factory=list, description="Who approved this release.")
    review_note: str | None = None  # the state of review in words, e.g. that none has taken place


class Reference(_Data):
    id: Id
    citation: str
    short: Annotated[str, Field(min_length=3, max_length=40)] | None = Field(
        default=None,
        description="the source as a one-line summary names it: first author and year, or the body and "
        "year (required of the shipped knowledge base by its lint; optional for older folders)",
    )
    pmid: Annotated[str, Field(pattern=r"^\d{6,9}$")] | None = None
    pmcid: Annotated[str, Field(pattern=r"^PMC\d+$")] | None = None
    doi: Annotated[str, Field(pattern=r"^10\.\d{4,9}/\S+$")] | None = None
    nct: Annotated[str, Field(pattern=r"^NCT\d{8}$")] | None = None
    other_id: str | None = None
    url: str
    url_reason: str | None = Field(
        default=None, description="why the link is not a canonical one (DOI, PubMed, PMC, registry, agency)"
    )
    read_at: str | None = Field(default=None, description="a secondary copy that was read, when it differs")
    supports: str
    note: str | None = None

    @cached_property
    def source(self) -> Source:
        return Source(**self.model_dump(exclude={"supports", "url_reason", "read_at"}))


class Source(_Data):
    """A reference as an assessment quotes it: identifiers and caveat, without `supports`
    (what rrall uses it for, shown by `rrall knowledge references`)."""

    id: str
    citation: str
    short: str | None = None  # None in assessments stored before knowledge 2026.12.27
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    nct: str | None = None
    other_id: str | None = None
    url: str
    note: str | None = None


class References(_Data):
    format_version: Literal[1]
    references: list[Reference]


class Rule(_Data):
    """A row of a decision table: a criterion over facts, with its sources."""

    id: Id
    when: CriteriaField
    citations: list[Id] = Field(min_length=1)
    uncertain: bool = False
    note: str | None = None


class TimingRule(Rule):
    category: str


class TimingScheme(_Data):
    id: Id
    name: str
    fact: Literal["timing_bfm", "timing_cog"]
    used_by: list[Id]
    scope: CriteriaField = Field(default_factory=always, description="where the timing exists at all")
    rules: list[TimingRule] = Field(min_length=1)


class CnsAgreement(_Data):
    """How the CNS status at relapse (the lumbar puncture) and the listed sites must agree."""

    site_required: list[CnsStatus] = Field(description="statuses that are CNS disease: cns must be listed")
    site_excluded: list[CnsStatus] = Field(description="statuses with no CNS disease: cns must not be listed")
    site_excluded_note: str = Field(description="said when such a status is given with cns listed")
    not_established: list[CnsStatus] = Field(
        description="statuses whose meaning at relapse is not established: the listed sites decide, said")
    not_established_warning: str = Field(description="{status} is filled in")
    listed_warning: str = Field(
        description="said when such a status is the only CNS finding and cns is listed; "
        "{status} is filled in")
    counted: Finding = Field(
        description="what counting such a status as CNS disease writes into the relapse; its warning "
        "says what that would change")
    citations: list[Id] = Field(min_length=1)


class MarrowMrdAlert(_Data):
    """Marrow MRD measured at an apparently isolated extramedullary relapse."""

    at_least: Decimal = Field(gt=0, lt=1, description="as a fraction: the alert from this value up")
    warning: str
    citations: list[Id] = Field(min_length=1)


class ConfirmationBand(_Data):
    """Marrow blasts in the first sample from `at_least` up to below `below` (percent), and
    what the consensus needs to call a marrow relapse there ({blasts} is filled in)."""

    at_least: Decimal | None = Field(default=None, ge=0)
    below: Decimal = Field(gt=0, le=100)
    tests: int | None = Field(default=None, ge=1, le=3,
                              description="further tests needed; None: the table has no criterion here")
    warning: str


class MarrowConfirmation(_Data):
    """Said where a relapse counts the marrow as involved with fewer blasts than the
    consensus calls a relapse on by themselves."""

    bands: list[ConfirmationBand] = Field(min_length=1)
    test_at_least: Decimal = Field(gt=0, lt=1, description="a marrow MRD at the relapse from this "
                                   "fraction up counts as one further test")
    citations: list[Id] = Field(min_length=1)


class SiteRule(_Data):
    combined_marrow_blasts_percent: Decimal = Field(gt=0, le=100)
    citations: list[Id] = Field(min_length=1)
    uncertain: bool = False
    note: str
    below_threshold_warning: str = Field(
        description="shown when bone_marrow is listed but blasts are below the threshold; "
        "{blasts} and {threshold} are filled in")
    warning_citations: list[Id] = Field(min_length=1)
    cns: CnsAgreement
    iem_marrow_mrd: MarrowMrdAlert
    marrow_confirmation: MarrowConfirmation


class AfterHsct(_Data):
    """Said of a relapse after allogeneic HSCT: the first-relapse figures do not describe it."""

    warning: str
    citations: list[Id] = Field(min_length=1)


class Notice(_Data):
    """Said where the case's own records disagree: no clinical claim, so sources are optional."""

    warning: str
    citations: list[Id] = Field(default_factory=list)


class ClassificationRules(_Data):
    format_version: Literal[1]
    site: SiteRule
    after_hsct: AfterHsct
    bcr_abl1_not_at_relapse: Notice
    timing_schemes: list[TimingScheme]


class GroupRow(Rule):
    group: str


class HsctRow(Rule):
    hsct_in_cr2: HsctValue


class Exclusion(Rule):
    reason: str


class Caution(Rule):
    text: str


class Crosswalk(_Data):
    """Where a framework's groups stand on the tiers shared by the first-relapse schemes,
    so that frameworks can be compared (cohort agreement)."""

    tiers: dict[str, Literal["standard", "intermediate", "high"]]
    citations: list[Id] = Field(min_length=1)
    uncertain: bool = False
    note: str | None = None


class Framework(_Data):
    """A first-relapse risk framework: exclusions, a unique-hit table of groups, a
    unique-hit table of HSCT rules (where `group` is this framework's own group), cautions."""

    format_version: Literal[1]
    id: Id
    name: str
    short_name: str
    scheme: str
    groups: list[str] = Field(min_length=1)
    timing_fact: Literal["timing_bfm", "timing_cog"]
    citations: list[Id] = Field(min_length=1)
    not_applicable: list[Exclusion]
    rows: list[GroupRow] = Field(min_length=1)
    hsct_rules: list[HsctRow] = Field(min_length=1)
    cautions: list[Caution] = Field(default_factory=list)
    crosswalk: Crosswalk

    def rules(self) -> list[Rule]:
        return [*self.not_applicable, *self.rows, *self.hsct_rules, *self.cautions]

