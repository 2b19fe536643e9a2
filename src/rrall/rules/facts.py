"""The facts decision tables may read: their names, kinds and allowed values.

A fact is derived from the case by classify/. Knowledge files refer to facts by these
names only; the knowledge lint rejects any other name or an out-of-domain value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FactKind = Literal["enum", "bool", "number"]


@dataclass(frozen=True)
class Fact:
    name: str
    kind: FactKind
    description: str
    values: tuple[str, ...] = ()


FACTS: dict[str, Fact] = {
    f.name: f
    for f in (
        Fact("disease_state", "enum", "first_relapse, second_relapse, ...",
             ("first_relapse", "second_relapse", "third_or_later_relapse", "primary_refractory")),
        Fact("immunophenotype", "enum", "lineage of the assessed relapse", ("B", "T")),
        Fact("site", "enum", "site category of the assessed relapse",
             ("isolated_marrow", "isolated_extramedullary", "combined")),
        Fact("marrow_involved", "bool", "isolated marrow or combined relapse"),
        Fact("months_from_diagnosis", "number", "whole months, diagnosis to relapse"),
        Fact("frontline_completed", "bool", "front-line therapy had ended before the relapse"),
        Fact("months_from_frontline_end", "number", "whole months, end of front-line to relapse"),
        Fact("timing_bfm", "enum", "BFM/IntReALL/UK timing", ("very_early", "early", "late")),
        Fact("timing_cog", "enum", "COG timing", ("early", "late")),
        Fact("mrd_end_of_reinduction", "number", "marrow MRD at end of reinduction, as a fraction"),
        Fact("bcr_abl1", "bool", "BCR::ABL1 (Ph+) at the assessed relapse"),
        Fact("post_hsct", "bool", "relapse after allogeneic HSCT"),
        Fact("refractory", "bool", "no remission after reinduction, or primary refractory"),
        Fact("group", "enum", "the framework's own risk group (HSCT rules only)"),
    )
}
