"""Derive the facts of the assessed relapse: state, site, clocks, timing, markers.

Known facts become values; facts the case leaves open become `Unknown`s with every value
they could take, so that rules/worlds.py can evaluate decisions over all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Literal

from rrall.case.model import Case, MrdMeasurement, Relapse
from rrall.classify.model import Classification, DiseaseState, MrdValue, Site, Timing, Warning
from rrall.classify.months import age_in_years, months_between
from rrall.knowledge.load import KnowledgeBase
from rrall.rules.conditions import FactValue
from rrall.rules.worlds import Alternative, DerivedFact, Unknown, World, enumerate_worlds
from rrall.typed import build

LATEST = "relapses[-1]"


@dataclass(frozen=True)
class Classified:
    classification: Classification
    known: dict[str, FactValue]
    unknowns: tuple[Unknown, ...]
    worlds: list[World]
    warnings: list[Warning]


@cache
def timing_rules(kb: KnowledgeBase) -> tuple[DerivedFact, ...]:
    return tuple(
        DerivedFact(s.fact, [(r.holds, r.category, r.id) for r in s.rules])
        for s in kb.classification.timing_schemes
    )


def classify(case: Case, kb: KnowledgeBase) -> Classified:
    warnings: list[Warning] = []
    relapse = case.relapses[-1] if case.relapses else None
    number = len(case.relapses)
    lineage = (relapse.immunophenotype if relapse else None) or case.diagnosis.immunophenotype
    if lineage != case.diagnosis.immunophenotype:
        warnings.append(Warning(code="lineage_switch", path=f"{LATEST}.immunophenotype",
                                message=f"Lineage at relapse ({lineage}) differs from diagnosis "
                                f"({case.diagnosis.immunophenotype}); the relapse lineage is used."))
    if relapse and case.diagnosis.induction_outcome == "induction_failure":
        warnings.append(Warning(code="prior_induction_failure", path="diagnosis.induction_outcome",
                                message="Primary induction failure before the first relapse."))
    unknowns: list[Unknown] = []
    site = _site(relapse, kb, unknowns, warnings) if relapse else None
    end, end_source = _frontline_end(case)
    months_dx = months_between(case.diagnosis.date, relapse.date) if relapse else None
    months_end = months_between(end, relapse.date) if relapse and isinstance(end, date) else None
    if relapse and end is None:
        unknowns.append(_frontline_unknown(kb))
    bcr_abl1 = _bcr_abl1(case, relapse)
    if relapse and bcr_abl1 is None:
        unknowns.append(Unknown("bcr_abl1", f"{LATEST}.bcr_abl1", (
            Alternative("BCR::ABL1 positive", {"bcr_abl1": True}),
            Alternative("BCR::ABL1 negative", {"bcr_abl1": False}))))
    mrd = _end_of_reinduction_mrd(case)
    mrd_value = _mrd_fact(mrd, kb, unknowns, warnings) if relapse else None
    refractory = relapse is None or relapse.reinduction_outcome == "treatment_failure"
    post_hsct = bool(relapse) and any(
        h.type == "allogeneic" and relapse is not None and h.date < relapse.date
        for h in case.prior_therapy.hsct)
    known: dict[str, FactValue] = {
        "disease_state": _state(number),
        "immunophenotype": lineage,
        "months_from_diagnosis": months_dx,
        "bcr_abl1": bcr_abl1,
        "post_hsct": post_hsct,
        "refractory": refractory,
        "mrd_end_of_reinduction": mrd_value,
    }
    if site is not None:
        known.update(site=site, marrow_involved=site != "isolated_extramedullary")
    if end is not None:
        known.update(frontline_completed=end != "not_completed", months_from_frontline_end=months_end)
    worlds = enumerate_worlds(known, unknowns, timing_rules(kb))
    # Every value below is typed by this module; skip re-validating them case after case.
    classification = build(Classification,
        disease_state=_state(number),
        relapse_number=number,
        refractory=refractory,
        reinduction_outcome=relapse.reinduction_outcome if relapse else None,
        post_hsct=post_hsct,
        immunophenotype=lineage,
        site=site,
        extramedullary_sites=[s for s in relapse.sites if s != "bone_marrow"] if relapse else [],
        marrow_blasts_percent=relapse.marrow_blasts_percent if relapse else None,
        relapse_date=relapse.date if relapse else None,
        months_from_diagnosis=months_dx,
        frontline_end=end,
        frontline_end_source=end_source,
        months_from_frontline_end=months_end,
        timing=_timing(worlds) if number == 1 else None,
        bcr_abl1=bcr_abl1,
        abl1_kinase_mutations=relapse.abl1_kinase_mutations if relapse else None,
        cd19=relapse.cd19 if relapse else None,
        cd22=relapse.cd22 if relapse else None,
        mrd=[_mrd_out(m) for m in case.mrd],
        age_at_diagnosis_years=age_in_years(case.date_of_birth, case.diagnosis.date),
        age_at_assessment_years=age_in_years(case.date_of_birth, case.as_of),
    )
    return Classified(classification, known, tuple(unknowns), worlds, warnings)


def _state(number: int) -> DiseaseState:
    if number == 0:
        return "primary_refractory"
    return ("first_relapse", "second_relapse")[number - 1] if number <= 2 else "third_or_later_relapse"


def _site(relapse: Relapse, kb: KnowledgeBase, unknowns: list[Unknown],
          warnings: list[Warning]) -> Site | None:
    extramedullary = [s for s in relapse.sites if s != "bone_marrow"]
    if not extramedullary:
        return "isolated_marrow"
    if "bone_marrow" not in relapse.sites:
        return "isolated_extramedullary"
    threshold = kb.classification.site.combined_marrow_blasts_percent
    blasts = relapse.marrow_blasts_percent
    if blasts is None:
        unknowns.append(Unknown("site", f"{LATEST}.marrow_blasts_percent", (
            Alternative(f"marrow blasts < {threshold} % (isolated extramedullary)",
                        {"site": "isolated_extramedullary", "marrow_involved": False}),
            Alternative(f"marrow blasts >= {threshold} % (combined)",
                        {"site": "combined", "marrow_involved": True}))))
        return None
    if Decimal(str(blasts)) >= threshold:
        return "combined"
    rule = kb.classification.site
    warnings.append(Warning(
        code="marrow_below_combined_threshold", path=f"{LATEST}.marrow_blasts_percent",
        message=rule.below_threshold_warning.strip().format(blasts=blasts, threshold=threshold),
        citations=list(rule.warning_citations)))
    return "isolated_extramedullary"


def _frontline_end(case: Case) -> tuple[date | Literal["not_completed"] | None, str | None]:
    """The end of front-line therapy; an HSCT in first remission ends it on its date."""
    given = case.diagnosis.frontline_end_date
    first = case.relapses[0].date if case.relapses else None
    for i, hsct in enumerate(case.prior_therapy.hsct):
        in_cr1 = first is None or hsct.date < first
        if in_cr1 and (not isinstance(given, date) or hsct.date < given):
            return hsct.date, (f"prior_therapy.hsct[{i}].date (an HSCT in first remission ends"
                               " front-line therapy)")
    return given, "diagnosis.frontline_end_date" if given is not None else None


def _frontline_unknown(kb: KnowledgeBase) -> Unknown:
    bounds = [b for b in kb.thresholds.get("months_from_frontline_end", (Decimal(0),)) if b > 0]
    alternatives = [Alternative("relapse during front-line therapy",
                                {"frontline_completed": False, "months_from_frontline_end": None})]
    lower = Decimal(0)
    for bound in [*bounds, None]:
        label = (f"{lower} to < {bound} months after its end" if bound is not None
                 else f">= {lower} months after its end")
        alternatives.append(Alternative(label, {"frontline_completed": True,
                                                "months_from_frontline_end": int(lower)}))
        lower = bound if bound is not None else lower
    return Unknown("frontline_end", "diagnosis.frontline_end_date", tuple(alternatives))


def _bcr_abl1(case: Case, relapse: Relapse | None) -> bool | None:
    """BCR::ABL1 at the assessed relapse: as tested at relapse, else as at diagnosis."""
    at_diagnosis = None if case.diagnosis.genetics is None else "BCR::ABL1" in case.diagnosis.genetics
    if relapse is None:
        return at_diagnosis
    if relapse.bcr_abl1 is not None:
        return relapse.bcr_abl1
    if "BCR::ABL1" in (relapse.genetics or []) or relapse.abl1_kinase_mutations:
        return True
    return at_diagnosis


def _end_of_reinduction_mrd(case: Case) -> list[MrdMeasurement]:
    latest = len(case.relapses)
    return [m for m in case.mrd
            if m.timepoint == "end_of_reinduction" and (m.relapse or latest) == latest]


def _mrd_fact(mrd: list[MrdMeasurement], kb: KnowledgeBase, unknowns: list[Unknown],
              warnings: list[Warning]) -> Decimal | None:
    values = sorted({m.fraction for m in mrd})
    if len(values) == 1:
        return values[0]
    if values:
        warnings.append(Warning(
            code="conflicting_mrd", path="mrd",
            message="Several end-of-reinduction MRD values are given for this relapse ("
            + ", ".join(_percent(v) for v in values)
            + "); decisions that depend on which one applies are left open."))
        alternatives = tuple(Alternative(f"MRD {_percent(v)}", {"mrd_end_of_reinduction": v})
                             for v in values)
    else:
        reps = kb.thresholds.get("mrd_end_of_reinduction", (Decimal(0),))
        alternatives = tuple(
            Alternative(_band(reps, i), {"mrd_end_of_reinduction": rep}) for i, rep in enumerate(reps))
    unknowns.append(Unknown("mrd", "mrd[timepoint=end_of_reinduction]", alternatives))
    return None


def _band(reps: tuple[Decimal, ...], i: int) -> str:
    if i + 1 < len(reps):
        low = "MRD " if i == 0 else f"MRD {_percent(reps[i])} to "
        return f"{low}< {_percent(reps[i + 1])}"
    return f"MRD >= {_percent(reps[i])}"


def _percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).normalize():f} %"


def _mrd_out(m: MrdMeasurement) -> MrdValue:
    return MrdValue(timepoint=m.timepoint, fraction=f"{m.fraction.normalize():f}",
                    percent=f"{(m.fraction * 100).normalize():f}", method=m.method, relapse=m.relapse)


def _timing(worlds: list[World]) -> Timing:
    bfm = {w.facts.get("timing_bfm") for w in worlds}
    cog = {w.facts.get("timing_cog") for w in worlds}
    rules = sorted({rule for w in worlds for rule in w.used.values()})
    return Timing(bfm=bfm.pop() if len(bfm) == 1 else "unknown",
                  cog=cog.pop() if len(cog) == 1 else "unknown",
                  rules=rules)
