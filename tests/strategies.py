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
            relapse["abl1_kinase_mutations"] = draw(st.lists(st.sampled_from(
                ["T315I", "E255K", "F317L", "T315A", "V299L", "Y253H", "F359C"]), max_size=2, unique=True))
    if draw(st.booleans()):
        relapse["immunophenotype"] = draw(st.sampled_from(["B", "T"]))
    if draw(st.booleans()):
        lesions = ["Ph_like_ABL_class", "CRLF2", "TCF3::HLF", "hypodiploid", "TP53", "KMT2A"]
        relapse["genetics"] = draw(st.lists(st.sampled_from(lesions), max_size=2, unique=True))
    if draw(st.booleans()):
        # The lumbar puncture agrees with the sites: CNS3 is CNS disease, CNS1 is none.
        allowed = ["CNS2", "CNS3"] if "cns" in sites else ["CNS1", "CNS2"]
        relapse["cns_status"] = draw(st.sampled_from(allowed))
    if draw(st.booleans()):
        relapse["reinduction_outcome"] = draw(st.sampled_from(["CR", "treatment_failure"]))
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
    if refractory and draw(st.booleans()):  # case format 1.2: the disease after a failed induction
        block: dict[str, Any] = {}
        for marker in ("cd19", "cd22", "cd7"):
            if draw(st.booleans()):
                block[marker] = draw(st.sampled_from(["positive", "dim", "negative", "unknown"]))
        if draw(st.booleans()):
            block["marrow_blasts_percent"] = draw(st.sampled_from([0, 3, 5, 31.5, 90]))
        if draw(st.booleans()):
            block["cd7_blasts_percent"] = draw(st.sampled_from([50, 98, 99.5]))
        if "BCR::ABL1" in dx.get("genetics", ["BCR::ABL1"]) and draw(st.booleans()):
            block["abl1_kinase_mutations"] = draw(st.lists(st.sampled_from(["T315I", "E255K", "F317L"]),
                                                          max_size=2, unique=True))
        dx["refractory_disease"] = block
    case: dict[str, Any] = {
        "id": "prop", "sex": sex, "date_of_birth": birth.isoformat(),
        "assessment_date": assessment.isoformat(), "diagnosis": dx,
        "relapses": [draw(relapse_dicts(d, sex)) for d in dates],
    }
    if dates and draw(st.booleans()):
        case["mrd"] = [{"timepoint": "end_of_reinduction", "unit": "percent",
                        # Equal values spelled differently (0, 0.0, "0.00") must read alike.
                        "value": draw(st.sampled_from([0, 0.0, "0.00", 0.005, "0.0050", 0.01, 0.05,
                                                       0.1, 0.5, 5, 5.0]))}]
    therapy: dict[str, Any] = {}
    if assessment > diagnosis and draw(st.booleans()):
        hsct = diagnosis + timedelta(days=draw(st.integers(1, (assessment - diagnosis).days)))
        kind = draw(st.sampled_from(["allogeneic", "autologous"]))
        therapy["hsct"] = [{"date": hsct.isoformat(), "type": kind}]
    if draw(st.booleans()):
        agents = ["blinatumomab", "inotuzumab_ozogamicin", "tisagenlecleucel", "nelarabine", "imatinib",
                  "dasatinib"]
        responses = ["mrd_negative_remission", "complete_remission", "no_response", "not_evaluable"]
        exposure = st.fixed_dictionaries({"agent": st.sampled_from(agents)},
                                         optional={"response": st.sampled_from(responses)})
        therapy["agents"] = draw(st.lists(exposure, max_size=2))
    if draw(st.booleans()):
        drugs = ["doxorubicin", "daunorubicin", "epirubicin", "idarubicin", "mitoxantrone"]
        therapy["anthracyclines"] = draw(st.lists(st.fixed_dictionaries(
            {"agent": st.sampled_from(drugs), "cumulative_mg_per_m2": st.integers(0, 400)}), max_size=3))
    if draw(st.booleans()):
        therapy["cranial_radiation_gy"] = draw(st.sampled_from([0, 12, 18, 24]))
    if therapy:
        case["prior_therapy"] = therapy
    if draw(st.booleans()):
        case["performance"] = {"scale": draw(st.sampled_from(["lansky", "karnofsky"])),
                               "score": draw(st.sampled_from([30, 50, 70, 100]))}
    return case
