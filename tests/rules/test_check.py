"""Every criterion type on met, not met and unknown (shared by options, prognosis and trials)."""

from __future__ import annotations

from typing import Any

import pytest

from rrall.assessment import assess
from rrall.case.load import parse_case
from rrall.classify.relapse import classify
from rrall.knowledge.load import KnowledgeBase
from rrall.options.anthracycline import cumulative, equivalent_range
from rrall.risk.evaluate import evaluate
from rrall.rules.check import check, overall
from rrall.rules.criteria import Criteria
from rrall.rules.profile import Profile, build_profile
from tests.conftest import TODAY, make_case


def profile_of(case: dict[str, Any], kb: KnowledgeBase, table: str | None = None) -> Profile:
    parsed = parse_case(case, kb, TODAY)
    classified = classify(parsed, kb)
    risk = {name: evaluate(fw, classified, kb) for name, fw in kb.frameworks.items()}
    doses = cumulative(parsed, kb.anthracyclines, table)
    return build_profile(parsed, classified, risk, equivalent_range(doses))


T315I = {"relapses.0.bcr_abl1": True, "relapses.0.abl1_kinase_mutations": ["T315I"]}
EARLY = {"relapses.0.date": "2016-01-20", "diagnosis.frontline_end_date": "not_completed"}
INFANT = {"date_of_birth": "2014-06-01"}
ALLO = {"prior_therapy": {"hsct": [{"date": "2016-01-01", "type": "allogeneic"}]}}
TWO_RELAPSES = {"relapses": [{"date": "2019-01-01", "sites": ["bone_marrow"], "marrow_blasts_percent": 50},
                             {"date": "2021-11-20", "sites": ["bone_marrow"], "marrow_blasts_percent": 60}]}
MITOXANTRONE_30 = {"prior_therapy": {"anthracyclines": [{"agent": "mitoxantrone",
                                                         "cumulative_mg_per_m2": 30}]}}
DOXORUBICIN_100 = {"prior_therapy": {"anthracyclines": [{"agent": "doxorubicin",
                                                         "cumulative_mg_per_m2": 100}]}}
PH_UNMUTATED = {"relapses.0.bcr_abl1": True, "relapses.0.abl1_kinase_mutations": []}
MRD_ZERO = {"mrd": [{"timepoint": "end_of_reinduction", "value": 0, "unit": "fraction"}]}
LATE_MRD_LOW = {"mrd": [{"timepoint": "end_of_reinduction", "value": 0.01, "unit": "percent"}]}

# (criteria, case changes, expected result); the base case is a B-lineage late isolated
# marrow first relapse, boy aged 9 at assessment, genetics tested negative at diagnosis.
CASES: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({"sex": "male"}, {}, "met"),
    ({"sex": "female"}, {}, "not_met"),
    ({"immunophenotype": ["B"]}, {}, "met"),
    ({"immunophenotype": ["B"]}, {"diagnosis.immunophenotype": "T"}, "not_met"),
    ({"disease_states": ["first_relapse"]}, {}, "met"),
    ({"disease_states": ["second_relapse"]}, {}, "not_met"),
    ({"disease_any": ["second_or_later_relapse", "refractory"]}, {}, "not_met"),
    ({"disease_any": ["second_or_later_relapse", "refractory"]}, TWO_RELAPSES, "met"),
    ({"disease_any": ["post_hsct_relapse"]}, ALLO, "met"),
    ({"disease_any": ["mrd_positive"]}, {}, "unknown"),
    ({"disease_any": ["mrd_positive", "second_or_later_relapse"]}, LATE_MRD_LOW, "met"),  # 10^-4 is positive
    ({"min_relapse_number": 2}, {}, "not_met"),
    ({"min_relapse_number": 2}, TWO_RELAPSES, "met"),
    ({"max_relapse_number": 1}, TWO_RELAPSES, "not_met"),
    ({"post_hsct": False}, ALLO, "not_met"),
    ({"min_months_from_diagnosis": 36}, EARLY, "not_met"),
    ({"months_from_diagnosis_below": 18}, EARLY, "met"),
    ({"timing_cog": ["late"]}, EARLY, "not_met"),
    ({"hsct_consensus": ["indicated"]}, LATE_MRD_LOW, "not_met"),
    ({"age_at_diagnosis_below_years": 1}, INFANT, "met"),
    ({"min_age_at_diagnosis_years": 1}, INFANT, "not_met"),
    ({"cd22_required": ["positive", "dim"]}, {"relapses.0.cd22": "negative"}, "not_met"),
    ({"abl1_kinase_mutation_found": True}, {}, "not_met"),
    ({"kinase_mutations_any": ["T315I"]}, PH_UNMUTATED, "not_met"),
    ({"genetics_none": ["TCF3::HLF"]}, {"diagnosis.genetics": ["TCF3::HLF"]}, "not_met"),
    ({"prior_allogeneic_hsct": True}, {}, "not_met"),
    ({"max_doxorubicin_equivalent_mg_per_m2": 250}, MITOXANTRONE_30, "not_met"),
    ({"mrd_end_of_reinduction_at_least": 0.001}, LATE_MRD_LOW, "not_met"),
    ({"mrd_end_of_reinduction_below": 0.0001}, LATE_MRD_LOW, "not_met"),
    ({"active_cns": True}, {}, "not_met"),
    ({"max_relapse_number": 1}, {}, "met"),
    ({"refractory": True}, {"relapses.0.reinduction_outcome": "treatment_failure"}, "met"),
    ({"refractory": True}, {}, "not_met"),
    ({"post_hsct": False}, {}, "met"),
    ({"sites": ["isolated_marrow"]}, {}, "met"),
    ({"sites": ["combined"]}, {}, "not_met"),
    ({"sites": ["combined"]},
     {"relapses.0.sites": ["bone_marrow", "cns"], "relapses.0.marrow_blasts_percent": ...}, "unknown"),
    ({"involves_any": ["cns"]}, {"relapses.0.sites": ["cns"], "relapses.0.marrow_blasts_percent": 0}, "met"),
    ({"involves_any": ["cns"]}, {}, "not_met"),
    ({"timing_bfm": ["late"]}, {}, "met"),
    ({"timing_bfm": ["late"]}, {"diagnosis.frontline_end_date": ...}, "unknown"),
    ({"timing_bfm": ["early"]}, {}, "not_met"),
    ({"timing_cog": ["late"]}, {}, "met"),
    ({"min_months_from_diagnosis": 36}, {}, "met"),
    ({"months_from_diagnosis_below": 18}, {}, "not_met"),
    ({"risk_groups": {"cog": ["low"]}}, LATE_MRD_LOW, "met"),
    ({"risk_groups": {"cog": ["low"]}}, {}, "unknown"),
    ({"risk_groups": {"cog": ["high"]}}, LATE_MRD_LOW, "not_met"),
    ({"risk_groups": {"bfm": ["S2"], "cog": ["low"]}}, {}, "met"),
    ({"hsct_consensus": ["not_indicated"]}, MRD_ZERO, "met"),
    ({"hsct_consensus": ["disagree"]}, LATE_MRD_LOW, "met"),  # UK intermediate: >= 10^-4 -> HSCT
    ({"hsct_consensus": ["not_indicated"]}, {}, "unknown"),
    ({"hsct_consensus": ["indicated"]}, {"diagnosis.immunophenotype": "T"}, "met"),
    ({"max_age_months": 200}, {}, "met"),
    ({"max_age_months": 24}, {}, "not_met"),
    ({"min_age_years": 1}, {}, "met"),
    ({"min_age_years": 10}, {}, "not_met"),
    ({"max_age_years": 9}, {}, "met"),  # 9 years 10 months: "9 Years" admits until the 10th birthday
    ({"max_age_years": 8}, {}, "not_met"),
    ({"age_at_diagnosis_below_years": 1}, {}, "not_met"),
    ({"min_age_at_diagnosis_years": 1}, {}, "met"),
    ({"cd19_required": ["positive"]}, {"relapses.0.cd19": "positive"}, "met"),
    ({"cd19_required": ["positive"]}, {"relapses.0.cd19": "negative"}, "not_met"),
    ({"cd19_required": ["positive"]}, {"relapses.0.cd19": "unknown"}, "unknown"),
    ({"cd19_required": ["positive"]}, {}, "unknown"),
    ({"cd19_required": ["positive"]}, {"diagnosis.immunophenotype": "T"}, "not_met"),
    ({"cd22_required": ["positive", "dim"]}, {"relapses.0.cd22": "dim"}, "met"),
    ({"bcr_abl1": True}, {"relapses.0.bcr_abl1": True}, "met"),
    ({"bcr_abl1": True}, {}, "not_met"),  # genetics tested at diagnosis without BCR::ABL1
    ({"bcr_abl1": True}, {"diagnosis.genetics": ...}, "unknown"),
    ({"abl1_kinase_mutation_found": True}, T315I, "met"),
    ({"abl1_kinase_mutation_found": True}, {"relapses.0.bcr_abl1": True}, "unknown"),
    ({"abl1_kinase_mutation_found": False}, {}, "met"),  # Ph-negative: no kinase mutation
    ({"kinase_mutations_any": ["T315I"]}, T315I, "met"),
    ({"kinase_mutations_none": ["T315I"]}, T315I, "not_met"),
    ({"kinase_mutations_none": ["T315I"]}, {"relapses.0.bcr_abl1": True}, "unknown"),
    ({"kinase_mutations_none": ["T315I"]}, {"relapses.0.bcr_abl1": True,
                                             "relapses.0.abl1_kinase_mutations": []}, "met"),
    ({"genetics_any": ["KMT2A"]}, {"diagnosis.genetics": ["KMT2A"]}, "met"),
    ({"genetics_any": ["KMT2A"]}, {}, "not_met"),  # tested at diagnosis; a fusion persists
    ({"genetics_any": ["TP53"]}, {}, "unknown"),  # often acquired at relapse: diagnosis is not enough
    ({"genetics_any": ["TP53"]}, {"relapses.0.genetics": []}, "not_met"),
    ({"genetics_any": ["KMT2A"]}, {"diagnosis.genetics": ...}, "unknown"),
    ({"genetics_none": ["TCF3::HLF"]}, {}, "met"),
    ({"prior_any": ["blinatumomab"]}, {"prior_therapy": {"agents": [{"agent": "blinatumomab"}]}}, "met"),
    ({"prior_any": ["blinatumomab"]}, {}, "not_met"),
    ({"excludes_prior": ["tisagenlecleucel"]}, {}, "met"),
    ({"excludes_prior": ["blinatumomab"]}, {"prior_therapy": {"agents": [{"agent": "blinatumomab"}]}},
     "not_met"),
    ({"prior_response": {"agent": "blinatumomab", "responses": ["no_response"]}},
     {"prior_therapy": {"agents": [{"agent": "blinatumomab", "response": "no_response"}]}}, "met"),
    ({"prior_response": {"agent": "blinatumomab", "responses": ["no_response"]}},
     {"prior_therapy": {"agents": [{"agent": "blinatumomab"}]}}, "unknown"),
    ({"prior_response": {"agent": "blinatumomab", "responses": ["no_response"]}}, {}, "not_met"),
    ({"prior_allogeneic_hsct": True}, ALLO, "met"),
    ({"prior_allogeneic_hsct": False}, {}, "met"),
    ({"prior_cranial_radiation": True}, {"prior_therapy": {"cranial_radiation_gy": 12}}, "met"),
    ({"prior_cranial_radiation": True}, {"prior_therapy": {"cranial_radiation_gy": 0}}, "not_met"),
    ({"prior_cranial_radiation": True}, {}, "unknown"),
    ({"min_doxorubicin_equivalent_mg_per_m2": 250},
     {"prior_therapy": {"anthracyclines": [{"agent": "mitoxantrone", "cumulative_mg_per_m2": 30}]}}, "met"),
    ({"min_doxorubicin_equivalent_mg_per_m2": 250},
     DOXORUBICIN_100, "not_met"),
    ({"min_doxorubicin_equivalent_mg_per_m2": 250}, {}, "unknown"),
    ({"max_doxorubicin_equivalent_mg_per_m2": 250},
     DOXORUBICIN_100, "met"),
    ({"mrd_end_of_reinduction_below": 0.001}, LATE_MRD_LOW, "met"),
    ({"mrd_end_of_reinduction_at_least": 0.0001}, LATE_MRD_LOW, "met"),  # 0.01 % is exactly 10^-4
    ({"mrd_end_of_reinduction_below": 0.001}, {}, "unknown"),
    ({"active_cns": True}, {"relapses.0.sites": ["cns"], "relapses.0.marrow_blasts_percent": 0}, "met"),
    ({"active_cns": True}, {"relapses.0.cns_status": "CNS2"}, "met"),
    ({"active_cns": False}, {}, "met"),
    ({"min_performance": 70}, {"performance": {"scale": "lansky", "score": 80}}, "met"),
    ({"min_performance": 70}, {"performance": {"scale": "lansky", "score": 50}}, "not_met"),
    ({"min_performance": 70}, {}, "unknown"),
]


@pytest.mark.parametrize(("criteria", "changes", "expected"), CASES)
def test_criterion(criteria: dict[str, Any], changes: dict[str, Any], expected: str,
                   kb: KnowledgeBase) -> None:
    results = check(Criteria.model_validate(criteria), profile_of(make_case(**changes), kb))
    assert len(results) == 1
    assert results[0].result == expected, results[0].detail
    if expected == "unknown":
        assert results[0].field, "an unknown result must name the field that would decide it"


def test_every_criterion_is_covered() -> None:
    covered = {name for criteria, _, _ in CASES for name in criteria}
    assert covered == set(Criteria.model_fields)
    for name in Criteria.model_fields:
        verdicts = {e for c, _, e in CASES if name in c}
        assert {"met", "not_met"} <= verdicts, name


def test_age_upper_bound_is_inclusive_in_the_unit_written(kb: KnowledgeBase) -> None:
    """'21 Years' admits a child until the 22nd birthday; '0.5' (6 months) until 7 months."""
    base = {"relapses.0.date": "2021-11-20"}
    for birth, bound, expected in [("2000-01-11", "21", "met"), ("2000-01-10", "21", "not_met"),
                                   ("2011-03-11", "10", "met")]:
        case = make_case(**base, date_of_birth=birth)
        result = check(Criteria.model_validate({"max_age_years": bound}), profile_of(case, kb))[0]
        assert result.result == expected, (birth, result.detail)
    infant = {"date_of_birth": "2021-07-10", "diagnosis.date": "2021-07-20", "diagnosis.genetics": [],
              "diagnosis.frontline_end_date": "not_completed", "relapses.0.date": "2021-12-20"}
    for birth, expected in [("2021-07-10", "met"), ("2021-06-10", "not_met")]:  # 6 vs 7 months old
        case = make_case(**{**infant, "date_of_birth": birth})
        result = check(Criteria.model_validate({"max_age_years": "0.5"}), profile_of(case, kb))[0]
        assert result.result == expected, (birth, result.detail)


def test_every_criterion_has_a_check_and_declares_what_it_reads() -> None:
    from rrall.rules.check import _CHECKS, DEPS

    assert set(_CHECKS) == set(DEPS) == set(Criteria.model_fields)


def test_kleene_conjunction() -> None:
    from rrall.rules.check import CriterionResult as R

    def r(v: str) -> R:
        return R(criterion="x", result=v, detail="")  # type: ignore[arg-type]

    assert overall([r("met"), r("met")]) == "met"
    assert overall([r("met"), r("unknown")]) == "unknown"
    assert overall([r("unknown"), r("not_met")]) == "not_met"
    assert overall([]) == "met"


def test_assessment_runs_on_base_case(kb: KnowledgeBase) -> None:
    assert assess(parse_case(make_case(), kb, TODAY), kb).options
