"""Hypothesis strategies for valid cases, kept in one place (attrs-style)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

SITES = st.lists(st.sampled_from(["bone_marrow", "cns", "testis", "other"]), min_size=1, max_size=3,
                 unique=True)


@st.composite
def relapse_dicts(draw: st.DrawFn, when: date, sex: str) -> dict[str, Any]:
    sites = draw(SITES)
    if sex == "female" and "testis" in sites:
        sites = [s for s in sites if s != "testis"] or ["bone_marrow"]
    relapse: dict[str, Any] = {"date": when.isoformat(), "sites": sites}
    if draw(st.booleans()):
        high = 100 if "bone_marrow" in sites else 4.9
        relapse["marrow_blasts_percent"] = draw(st.floats(0, high, allow_nan=False))
    for marker in ("cd19", "cd22"):
        if draw(st.booleans()):
            relapse[marker] = draw(st.sampled_from(["positive", "dim", "negative", "unknown"]))
    if draw(st.booleans()):
        relapse["bcr_abl1"] = draw(st.booleans())
        if relapse["bcr_abl1"] and draw(st.booleans()):
            relapse["abl1_kinase_mutations"] = draw(st.lists(st.sampled_from(["T315I", "E255K", "F317L"]),
                                                             max_size=2, unique=True))
    if draw(st.booleans()):
        relapse["immunophenotype"] = draw(st.sampled_from(["B", "T"]))
    return relapse


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """A valid case; some decisive facts (end of therapy, MRD, blasts, genetics) may be absent."""
    sex = draw(st.sampled_from(["male", "female"]))
    birth = draw(st.dates(date(1995, 1, 1), date(2022, 1, 1)))
    diagnosis = birth + timedelta(days=draw(st.integers(30, 20 * 365)))
    gaps = draw(st.lists(st.integers(30, 9 * 365), min_size=0, max_size=3))
    dates, when = [], diagnosis
    for gap in gaps:
        when = when + timedelta(days=gap)
        dates.append(when)
    refractory = not dates
    assessment = (dates[-1] if dates else diagnosis) + timedelta(days=draw(st.integers(0, 120)))
    dx: dict[str, Any] = {"date": diagnosis.isoformat(), "immunophenotype": draw(st.sampled_from("BT"))}
    if refractory:
        dx["induction_outcome"] = "induction_failure"
    end_choice = draw(st.sampled_from(["absent", "not_completed", "date"]))
    if end_choice == "not_completed":
        dx["frontline_end_date"] = "not_completed"
    elif end_choice == "date" and dates:
        span = (dates[0] - diagnosis).days
        dx["frontline_end_date"] = (diagnosis + timedelta(days=draw(st.integers(0, span)))).isoformat()
    if draw(st.booleans()):
        dx["genetics"] = draw(st.lists(st.sampled_from(["ETV6::RUNX1", "BCR::ABL1", "KMT2A", "TP53"]),
                                       max_size=2, unique=True))
    case: dict[str, Any] = {
        "id": "prop", "sex": sex, "date_of_birth": birth.isoformat(),
        "assessment_date": assessment.isoformat(), "diagnosis": dx,
        "relapses": [draw(relapse_dicts(d, sex)) for d in dates],
    }
    if dates and draw(st.booleans()):
        case["mrd"] = [{"timepoint": "end_of_reinduction", "unit": "percent",
                        "value": draw(st.sampled_from([0, 0.005, 0.01, 0.05, 0.1, 0.5, 5]))}]
    if assessment > diagnosis and draw(st.booleans()):
        hsct = diagnosis + timedelta(days=draw(st.integers(1, (assessment - diagnosis).days)))
        case["prior_therapy"] = {"hsct": [{"date": hsct.isoformat(),
                                           "type": draw(st.sampled_from(["allogeneic", "autologous"]))}]}
    return case
