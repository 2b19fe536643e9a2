"""Facts trial criteria read beyond the risk frameworks (case format 1.1): CD7 (and the
share of blasts without it), marrow
blasts, CNS status at relapse, days from an allogeneic transplant to the relapse, fitness
for transplant, the latest marrow MRD, relapse after CD19 CAR T-cell therapy, and the
performance score on one scale.

Performance is kept in Lansky/Karnofsky points. An ECOG grade is converted with the
NCI/Children's Oncology Group performance-status table (sources in docs/case-format.md):
ECOG 0 = 90-100, 1 = 70-80, 2 = 50-60, 3 = 30-40, 4 = 10-20 (Lansky or Karnofsky); the
score is then known only to lie in that range, so a threshold inside the range stays open.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rrall.case.model import Case, MrdMeasurement, RefractoryDisease, Relapse
from rrall.classify.mrd import mrd_at
from rrall.classify.questions import Questions
from rrall.logic.values import NA, Open, Question, Value

CAR_T_CD19 = ("tisagenlecleucel", "other_cd19_car_t")
# ECOG grade -> the Lansky/Karnofsky range it stands for (COG performance-status conversion).
ECOG_TO_POINTS: dict[int, tuple[int, int]] = {
    0: (90, 100),
    1: (70, 80),
    2: (50, 60),
    3: (30, 40),
    4: (10, 20),
}


def performance(case: Case, q: Questions) -> Value:
    given = case.performance
    if given is None:
        return Open(q.performance)
    if given.scale != "ecog":
        return given.score
    low, high = ECOG_TO_POINTS[given.score]
    return Open(q.performance, Decimal(low), Decimal(high))


def trial_facts(case: Case, relapse: Relapse | None, q: Questions) -> dict[str, Value]:
    # The latest relapse's markers, or for primary refractory disease those after induction.
    disease = relapse or case.diagnosis.refractory_disease or RefractoryDisease()
    asked = q.at_relapse if relapse else q.after_induction
    cd7: Value = Open(asked.antigen["cd7"]) if disease.cd7 in (None, "unknown") else disease.cd7
    share = disease.cd7_blasts_percent
    cd7_negative = Open(asked.cd7_negative_blasts) if share is None else (100 - Decimal(str(share))) / 100
    marrow = _percent(disease.marrow_blasts_percent, asked.marrow_blasts)
    cns: Value = NA
    if relapse is not None:
        cns = Open(q.cns_status) if relapse.cns_status is None else relapse.cns_status
    return {
        "cd7": cd7,
        "cd7_negative_blasts": cd7_negative,
        "marrow_blasts": marrow,
        "cns_status": cns,
        "days_from_hsct": _days_from_hsct(case, relapse),
        "hsct_eligible": Open(q.hsct_eligible) if case.hsct_eligible is None else case.hsct_eligible,
        "mrd_latest": _mrd_latest(case, q),
        "mrd_at_relapse": _mrd_at_relapse(case, relapse, q),
        "relapse_after_car_t": _relapse_after_car_t(case, relapse, q),
        "performance": performance(case, q),
        "reinduction_failed": _reinduction_failed(relapse, q),
    }


def _percent(value: float | None, question: Question) -> Value:
    if value is None:
        return Open(question)
    return Decimal(str(value)) / 100


def _days_from_hsct(case: Case, relapse: Relapse | None) -> Value:
    """Days from the latest allogeneic transplant before the relapse to the relapse."""
    if relapse is None:
        return NA
    before = [h.date for h in case.prior_therapy.hsct if h.type == "allogeneic" and h.date < relapse.date]
    return (relapse.date - max(before)).days if before else NA


def _mrd_latest(case: Case, q: Questions) -> Value:
    """The most recent marrow MRD after the assessed relapse (the last given when undated)."""
    latest = len(case.relapses)
    # The marrow MRD taken at the relapse itself is not an MRD after it.
    found: list[MrdMeasurement] = [m for m in case.mrd if (m.relapse or latest) == latest
                                   and m.timepoint != "at_relapse"]
    if not found:
        return Open(q.mrd_latest)
    if all(m.date is not None for m in found):
        return max(found, key=lambda m: m.date or date.min).fraction
    return found[-1].fraction


def _mrd_at_relapse(case: Case, relapse: Relapse | None, q: Questions) -> Value:
    """The marrow MRD taken at the assessed relapse itself (the largest, where several)."""
    if relapse is None:
        return NA
    found = mrd_at(case, "at_relapse")
    return max(m.fraction for m in found) if found else Open(q.mrd_at_relapse)


def _relapse_after_car_t(case: Case, relapse: Relapse | None, q: Questions) -> Value:
    """Whether the assessed relapse came after CD19 CAR T-cell therapy (NA without one)."""
    given = [a for a in case.prior_therapy.agents if a.agent in CAR_T_CD19]
    if not given:
        return NA
    if relapse is None:
        return False
    starts = [a.start_date for a in given]
    if any(s is None for s in starts):
        return Open(q.relapse_after_car_t)
    return any(s is not None and s < relapse.date for s in starts)


def _reinduction_failed(relapse: Relapse | None, q: Questions) -> Value:
    """Refractory disease as recorded: primary induction failure, or a relapse whose
    reinduction failed; open while the reinduction outcome is not recorded."""
    if relapse is None:
        return True
    if relapse.reinduction_outcome is None:
        return Open(q.reinduction_failed)
    return relapse.reinduction_outcome == "treatment_failure"
