"""What the assessment says about one treatment option."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from rrall.knowledge.clinical import OptionStatus, Phase
from rrall.risk.model import Caution, Missing


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class EvidenceRef(_Out):
    id: str
    level: str
    claim: str
    citation: str
    uncertain: bool


class OptionResult(_Out):
    id: str
    name: str
    phase: Phase
    status: OptionStatus
    rule: str
    reasons: list[str]
    cautions: list[Caution]
    evidence: list[EvidenceRef]
    citations: list[str]
    missing: list[Missing]


class AgentDose(_Out):
    agent: str
    cumulative_mg_per_m2: Decimal
    factor: str | None
    doxorubicin_equivalent_mg_per_m2: str | None


class CumulativeAnthracycline(_Out):
    status: str  # "calculated" | "range" | "not_recorded" | "not_convertible"
    doxorubicin_equivalent_mg_per_m2: Decimal | None
    range_mg_per_m2: tuple[Decimal, Decimal] | None
    table: str
    table_name: str
    by_agent: list[AgentDose]
    cautions: list[Caution]
    citations: list[str]
