"""MRD measurements of the assessed relapse, by time point, and as the classification shows them."""

from __future__ import annotations

from rrall.case.model import Case, MrdMeasurement
from rrall.logic.values import NA, Value
from rrall.results import MrdValue


def mrd_at(case: Case, timepoint: str) -> list[MrdMeasurement]:
    """The MRD measurements at a time point that belong to the latest relapse (a measurement
    without `relapse` belongs to the latest)."""
    latest = len(case.relapses)
    return [m for m in case.mrd if m.timepoint == timepoint and (m.relapse or latest) == latest]


def mrd_shown(m: MrdMeasurement) -> MrdValue:
    return MrdValue(
        timepoint=m.timepoint,
        fraction=f"{m.fraction.normalize():f}",
        percent=f"{(m.fraction * 100).normalize():f}",
        method=m.method,
        relapse=m.relapse,
    )


def mrd_method(measured: list[MrdMeasurement]) -> Value:
    """How the MRD values the rules read were measured: one method, `several`, or
    `not_recorded` where any of them has none; not applicable (NA) without a value."""
    if not measured:
        return NA
    methods = {m.method for m in measured}
    if None in methods:
        return "not_recorded"
    return str(methods.pop()) if len(methods) == 1 else "several"
