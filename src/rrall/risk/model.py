"""A framework's verdict on one case, with everything a reader needs to check it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["assigned", "insufficient_data", "not_applicable"]
HsctInCr2 = Literal["indicated", "not_indicated", "depends_on_mrd", "depends_on_backbone"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Missing(_Out):
    field: str
    decides: str


class Caution(_Out):
    text: str
    uncertain: bool
    rule: str
    citations: list[str]


class FrameworkResult(_Out):
    framework: str
    name: str
    scheme: str
    status: Status
    group: str | None
    hsct_in_cr2: HsctInCr2 | None
    reasons: list[str]
    rules: list[str]
    inputs: dict[str, str]
    missing: list[Missing]
    cautions: list[Caution]
    citations: list[str]
