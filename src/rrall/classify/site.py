"""The site category of the relapse assessed (knowledge/classification.yaml, site): isolated
marrow, isolated extramedullary or combined by the marrow blast count, and what the
Ponte-di-Legno consensus needs to call a marrow relapse its blasts alone do not."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from rrall.case.model import Case, Relapse
from rrall.classify.mrd import mrd_at
from rrall.knowledge.load import KnowledgeBase
from rrall.results import Warning
from rrall.vocabulary import SiteCategory

LATEST = "relapses[-1]"


def site_of(relapse: Relapse, kb: KnowledgeBase, warnings: list[Warning]) -> SiteCategory | Literal["open"]:
    """Isolated marrow, isolated extramedullary or combined by the marrow blast count; "open"
    where an extramedullary relapse has no count (isolated needs one below the threshold)."""
    extramedullary = [s for s in relapse.sites if s != "bone_marrow"]
    if not extramedullary:
        return "isolated_marrow"
    blasts = relapse.marrow_blasts_percent
    if blasts is None:  # isolated extramedullary needs a marrow count below the threshold
        return "open"
    if "bone_marrow" not in relapse.sites:  # a count at or above it lists the marrow (checked)
        return "isolated_extramedullary"
    rule = kb.classification.site
    threshold = rule.combined_marrow_blasts_percent
    if Decimal(str(blasts)) >= threshold:
        return "combined"
    warnings.append(
        Warning(
            code="marrow_below_combined_threshold",
            path=f"{LATEST}.marrow_blasts_percent",
            message=rule.below_threshold_warning.strip().format(blasts=blasts, threshold=threshold),
            citations=tuple(rule.warning_citations),
        )
    )
    return "isolated_extramedullary"


def confirmation(case: Case, relapse: Relapse, kb: KnowledgeBase) -> list[Warning]:
    """What the consensus needs to call the marrow relapse, where its blasts alone do not
    and the marrow MRD recorded at the relapse does not already give it."""
    rule = kb.classification.site.marrow_confirmation
    blasts = relapse.marrow_blasts_percent
    if blasts is None:
        return []
    value = Decimal(str(blasts))
    done = sum(m.fraction >= rule.test_at_least for m in mrd_at(case, "at_relapse"))
    return [
        Warning(code="marrow_relapse_confirmation", path=f"{LATEST}.marrow_blasts_percent",
                message=band.warning.strip().format(blasts=f"{value.normalize():f}"),
                citations=tuple(rule.citations))
        for band in rule.bands
        if (band.at_least is None or value >= band.at_least) and value < band.below
        and (band.tests is None or done < band.tests)
    ][:1]
