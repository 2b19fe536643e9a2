"""Classification of the assessed relapse, and how unknowns are carried, not guessed."""

from __future__ import annotations

from typing import Any

import pytest

from rrall import assess
from rrall.assessment import Assessment
from rrall.case.load import parse_case
from rrall.engine import engine_for
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import TODAY, make_case


def run(kb: KnowledgeBase, **changes: Any) -> Assessment:
    return assess(parse_case(make_case(**changes), kb, TODAY), kb)


def test_unknown_end_of_therapy_b_marrow_is_insufficient(kb: KnowledgeBase) -> None:
    a = run(kb, **{"diagnosis.frontline_end_date": ..., "relapses.0.date": "2017-06-01"})
    assert a.classification.timing and a.classification.timing.bfm == "unknown"
    bfm = a.risk["bfm"]
    assert bfm.status == "insufficient_data" and bfm.group is None
    # the end date decides the group (S3 early, S2 late); MRD then decides HSCT within S2
    assert [m.field for m in bfm.missing] == ["diagnosis.frontline_end_date",
                                              "mrd[timepoint=end_of_reinduction]"]
    assert "S3" in bfm.missing[0].decides and "S2" in bfm.missing[0].decides
    assert bfm.hsct_in_cr2 is None
    assert a.risk["cog"].group == "high"  # COG reads months from diagnosis only


def test_unknown_end_of_therapy_names_only_the_frameworks_cut(kb: KnowledgeBase) -> None:
    """DECISIONS: late is 6 months or more after the end. Bounds other conclusions read
    (24 months, for survival figures) do not split the answer's words."""
    a = run(kb, **{"diagnosis.frontline_end_date": ..., "relapses.0.date": "2017-06-01"})
    for name in ("bfm", "intreall", "uk"):
        r = a.risk[name]
        assert "24 months" not in r.missing[0].decides
        labels = [c.label for b in r.branches for c in b.when]
        assert "relapse 6 months or more after the end of front-line therapy" in labels


def test_unknown_end_of_therapy_t_marrow_is_s4_anyway(kb: KnowledgeBase) -> None:
    a = run(kb, **{"diagnosis.frontline_end_date": ..., "diagnosis.immunophenotype": "T",
                   "relapses.0.date": "2017-06-01"})
    assert {n: r.group for n, r in a.risk.items()} == {"bfm": "S4", "intreall": "high", "cog": "high",
                                                      "uk": "high"}
    assert all(not r.missing for r in a.risk.values())


def test_unknown_end_of_therapy_very_early_is_settled(kb: KnowledgeBase) -> None:
    a = run(kb, **{"diagnosis.frontline_end_date": ..., "relapses.0.date": "2016-01-10"})
    assert a.classification.timing and a.classification.timing.bfm == "very_early"
    assert a.risk["bfm"].group == "S4"


def test_marrow_listed_without_blast_count_leaves_site_open(kb: KnowledgeBase) -> None:
    a = run(kb, **{"relapses.0.sites": ["bone_marrow", "cns"], "relapses.0.marrow_blasts_percent": ...,
                   "relapses.0.date": "2016-01-10", "diagnosis.frontline_end_date": "not_completed"})
    assert a.classification.site is None
    # very early: BFM S2 if isolated extramedullary, S4 if combined
    assert a.risk["bfm"].status == "insufficient_data"
    assert a.risk["bfm"].missing[0].field == "relapses[-1].marrow_blasts_percent"
    # UK and IntReALL: high either way; COG: early either way -> high
    assert (a.risk["uk"].group, a.risk["intreall"].group, a.risk["cog"].group) == ("high", "high", "high")


def test_extramedullary_relapse_without_blast_count_leaves_site_open(kb: KnowledgeBase) -> None:
    """DECISIONS: isolated extramedullary means marrow blasts < 5 %; a CNS relapse with no
    marrow count recorded may be combined, whether or not the marrow is listed."""
    a = run(kb, **{"relapses.0.sites": ["cns"], "relapses.0.cns_status": "CNS3",
                   "relapses.0.marrow_blasts_percent": ..., "relapses.0.date": "2016-06-01",
                   "diagnosis.frontline_end_date": "not_completed"})
    assert a.classification.site is None
    # very early: BFM S2 if isolated extramedullary, S4 if combined
    bfm = a.risk["bfm"]
    assert bfm.status == "insufficient_data"
    assert bfm.missing[0].field == "relapses[-1].marrow_blasts_percent"
    assert "S2" in bfm.missing[0].decides and "S4" in bfm.missing[0].decides
    # UK, IntReALL and COG: high either way
    assert (a.risk["uk"].group, a.risk["intreall"].group, a.risk["cog"].group) == ("high", "high", "high")


def test_late_extramedullary_relapse_without_blast_count(kb: KnowledgeBase) -> None:
    """Late (51 months from diagnosis, 26 after the end), end-of-reinduction MRD 0.05 %: UK is
    standard if isolated extramedullary, intermediate if combined; BFM S1 or S2; IntReALL
    standard and COG low (late at both of its clocks, MRD below 0.1 %) either way."""
    a = run(kb, **{"relapses.0.sites": ["cns"], "relapses.0.cns_status": "CNS3",
                   "relapses.0.marrow_blasts_percent": ..., "relapses.0.date": "2019-05-01",
                   "diagnosis.frontline_end_date": "2017-03-01",
                   "mrd": [{"timepoint": "end_of_reinduction", "value": 0.05, "unit": "percent",
                            "method": "flow"}]})
    assert a.risk["uk"].status == a.risk["bfm"].status == "insufficient_data"
    assert a.risk["uk"].missing[0].field == "relapses[-1].marrow_blasts_percent"
    assert (a.risk["intreall"].group, a.risk["cog"].group) == ("standard", "low")


def test_extramedullary_relapse_with_low_blast_count_is_isolated(kb: KnowledgeBase) -> None:
    a = run(kb, **{"relapses.0.sites": ["cns"], "relapses.0.cns_status": "CNS3",
                   "relapses.0.marrow_blasts_percent": 1})
    assert a.classification.site == "isolated_extramedullary"
    assert "marrow_below_combined_threshold" not in [w.code for w in a.warnings]


def test_cns_listed_on_cns2_alone_is_said_to_be_unestablished(kb: KnowledgeBase) -> None:
    """The brief: whether CNS2 alone at relapse counts as a CNS relapse is not established
    (UNCERTAIN). Listed as the site on CNS2 alone, the relapse is classified as listed and
    the warning says so."""
    a = run(kb, **{"relapses.0.sites": ["cns"], "relapses.0.cns_status": "CNS2",
                   "relapses.0.marrow_blasts_percent": 0.5})
    assert a.classification.site == "isolated_extramedullary"
    assert "cns_listed_not_established" in [w.code for w in a.warnings]
    proven = run(kb, **{"relapses.0.sites": ["cns"], "relapses.0.cns_status": "CNS3",
                        "relapses.0.marrow_blasts_percent": 0.5})
    assert "cns_listed_not_established" not in [w.code for w in proven.warnings]


@pytest.mark.parametrize(("sites", "blasts", "says"), [
    (["bone_marrow"], 30, None),
    (["bone_marrow"], 25, None),
    (["bone_marrow"], 24.9, "one further test"),
    (["bone_marrow"], 5, "one further test"),
    (["bone_marrow"], 4.9, "two further tests"),
    (["bone_marrow"], 1, "two further tests"),
    (["bone_marrow"], 0.5, "below 1 %"),
    (["bone_marrow", "cns"], 10, "one further test"),
    (["bone_marrow"], 10.0, "Marrow blasts 10 %"),  # said as a clinician writes it
])
def test_marrow_relapse_below_25_percent_needs_confirming_tests(
        kb: KnowledgeBase, sites: list[str], blasts: float, says: str | None) -> None:
    """Ponte-di-Legno consensus (brief 1.1, CONFIRMED): 25 % or more is a relapse with no
    confirmatory test; 5 to under 25 % needs one further test showing 1 % or more; 1 to under
    5 % two; below 1 % the table calls no marrow relapse."""
    a = run(kb, **{"relapses.0.sites": sites, "relapses.0.marrow_blasts_percent": blasts,
                   "relapses.0.cns_status": "CNS3" if "cns" in sites else "CNS1"})
    found = [w.message for w in a.warnings if w.code == "marrow_relapse_confirmation"]
    if says is None:
        assert not found
    else:
        assert len(found) == 1 and says in found[0]


def test_a_marrow_mrd_at_relapse_of_1_percent_is_a_confirming_test(kb: KnowledgeBase) -> None:
    """Ponte-di-Legno: 5 to under 25 % needs one further test showing 1 % or more leukemic
    cells; a flow MRD of 9.5 % measured at the relapse is one."""
    mrd = {"timepoint": "at_relapse", "value": 9.5, "unit": "percent", "method": "flow"}
    done = run(kb, **{"relapses.0.marrow_blasts_percent": 10, "mrd": [mrd]})
    assert "marrow_relapse_confirmation" not in [w.code for w in done.warnings]
    two_needed = run(kb, **{"relapses.0.marrow_blasts_percent": 3, "mrd": [mrd]})
    assert "marrow_relapse_confirmation" in [w.code for w in two_needed.warnings]


def test_marrow_listed_below_threshold_is_isolated_extramedullary(kb: KnowledgeBase) -> None:
    a = run(kb, **{"relapses.0.sites": ["bone_marrow", "testis"], "relapses.0.marrow_blasts_percent": 3})
    assert a.classification.site == "isolated_extramedullary"
    assert [w.code for w in a.warnings] == ["marrow_below_combined_threshold"]


def test_lineage_switch_uses_relapse_lineage(kb: KnowledgeBase) -> None:
    a = run(kb, **{"relapses.0.immunophenotype": "T"})
    assert a.classification.immunophenotype == "T"
    assert a.risk["cog"].group == "high"
    assert "lineage_switch" in [w.code for w in a.warnings]


def test_hsct_in_first_remission_ends_front_line_and_excludes(kb: KnowledgeBase) -> None:
    a = run(kb, **{"diagnosis.frontline_end_date": ...},
            prior_therapy={"hsct": [{"date": "2016-02-01", "type": "allogeneic"}]})
    assert str(a.classification.frontline_end) == "2016-02-01"
    assert a.classification.frontline_end_source and "hsct[0]" in a.classification.frontline_end_source
    assert a.classification.post_hsct
    assert all(r.status == "not_applicable" and r.hsct_in_cr2 is None for r in a.risk.values())


def test_autologous_transplant_is_not_post_allo(kb: KnowledgeBase) -> None:
    a = run(kb, prior_therapy={"hsct": [{"date": "2016-02-01", "type": "autologous"}]})
    assert not a.classification.post_hsct
    assert a.risk["bfm"].status == "assigned"


def test_ph_positive(kb: KnowledgeBase) -> None:
    a = run(kb, **{"relapses.0.bcr_abl1": True, "relapses.0.abl1_kinase_mutations": ["T315I"],
                   "relapses.0.date": "2016-01-10", "diagnosis.frontline_end_date": "not_completed"})
    assert a.risk["intreall"].status == "not_applicable"
    for name in ("bfm", "cog", "uk"):
        assert a.risk[name].status == "assigned"
        assert any("Ph+" in c.text for c in a.risk[name].cautions)


def test_ph_unknown_leaves_intreall_open(kb: KnowledgeBase) -> None:
    a = run(kb, **{"diagnosis.genetics": ...})
    assert a.classification.bcr_abl1 is None
    assert a.risk["intreall"].status == "insufficient_data"
    assert a.risk["intreall"].missing[0].field == "relapses[-1].bcr_abl1"
    assert a.risk["bfm"].status == "assigned"
    assert any(c.text.startswith("Depending on the missing data") for c in a.risk["bfm"].cautions)


@pytest.mark.parametrize("at_relapse", [["ETV6::RUNX1"], []])
def test_genetics_list_at_relapse_without_bcr_abl1_is_negative(
        kb: KnowledgeBase, at_relapse: list[str]) -> None:
    """DECISIONS: 'A genetics list without BCR::ABL1 counts as negative', the relapse's own
    list included, when nothing was recorded at diagnosis."""
    a = run(kb, **{"diagnosis.genetics": ..., "relapses.0.genetics": at_relapse})
    assert a.classification.bcr_abl1 is False
    assert a.risk["intreall"].status == "assigned"
    assert not any(c.text.startswith("Depending on the missing data") for c in a.risk["bfm"].cautions)


def test_ph_at_diagnosis_but_not_in_the_relapse_list_is_read_as_tested_and_said(kb: KnowledgeBase) -> None:
    """The relapse as tested decides (a list without BCR::ABL1 is negative), so that a later
    diagnosis record never flips a settled answer; the disagreement is never silent."""
    a = run(kb, **{"diagnosis.genetics": ["BCR::ABL1"], "relapses.0.genetics": ["ETV6::RUNX1"]})
    assert a.classification.bcr_abl1 is False
    assert "bcr_abl1_not_at_relapse" in [w.code for w in a.warnings]
    # One answer: the lesions criteria read do not hold BCR::ABL1 while it is read negative
    # (a Ph+ trial's "BCR::ABL1" criterion had been met beside "BCR::ABL1 negative").
    engine = engine_for(kb)
    case = parse_case(make_case(**{"diagnosis.genetics": ["BCR::ABL1"],
                                   "relapses.0.genetics": ["ETV6::RUNX1"]}), kb, TODAY)
    classified, _ = engine.ev.classify(case, None, timing=engine.timing)
    assert classified.facts["genetics"].holds("BCR::ABL1") is False
    recorded = run(kb, **{"diagnosis.genetics": ["BCR::ABL1"], "relapses.0.bcr_abl1": False})
    assert "bcr_abl1_not_at_relapse" not in [w.code for w in recorded.warnings]  # a result, not a list
    kept = run(kb, **{"diagnosis.genetics": ["BCR::ABL1"], "relapses.0.genetics": ["BCR::ABL1"]})
    assert kept.classification.bcr_abl1 is True
    assert "bcr_abl1_not_at_relapse" not in [w.code for w in kept.warnings]


def test_ph_from_diagnosis_genetics(kb: KnowledgeBase) -> None:
    a = run(kb, **{"diagnosis.genetics": ["BCR::ABL1"]})
    assert a.classification.bcr_abl1 is True


def test_later_relapses_and_primary_refractory(kb: KnowledgeBase) -> None:
    second = run(kb, relapses=[{"date": "2018-01-10", "sites": ["cns"]},
                               {"date": "2021-11-20", "sites": ["bone_marrow"]}])
    state = (second.classification.disease_state, second.classification.relapse_number)
    assert state == ("second_relapse", 2)
    assert second.classification.timing is None
    third = run(kb, relapses=[{"date": "2018-01-10", "sites": ["cns"]},
                              {"date": "2019-01-10", "sites": ["cns"]},
                              {"date": "2021-11-20", "sites": ["bone_marrow"]}])
    assert third.classification.disease_state == "third_or_later_relapse"
    refractory = run(kb, relapses=[], **{"diagnosis.induction_outcome": "induction_failure"})
    c = refractory.classification
    assert (c.disease_state, c.relapse_number, c.refractory, c.site) == ("primary_refractory", 0, True, None)
    for result in (second, third, refractory):
        assert all(r.status == "not_applicable" and r.group is None for r in result.risk.values())


def test_reinduction_failure_is_refractory_with_caution(kb: KnowledgeBase) -> None:
    a = run(kb, **{"relapses.0.reinduction_outcome": "treatment_failure"})
    assert a.classification.refractory
    assert all(any("reinduction" in c.text for c in r.cautions) for r in a.risk.values())


def test_conflicting_mrd_values_are_not_resolved_by_guessing(kb: KnowledgeBase) -> None:
    a = run(kb, mrd=[{"timepoint": "end_of_reinduction", "value": 0.05, "unit": "percent", "method": "flow"},
                     {"timepoint": "end_of_reinduction", "value": 0.2, "unit": "percent", "method": "pcr"}])
    assert "conflicting_mrd" in [w.code for w in a.warnings]
    assert a.risk["cog"].status == "insufficient_data"
    assert a.risk["uk"].hsct_in_cr2 == "indicated"  # >= 10^-4 either way


def test_every_citation_resolves(kb: KnowledgeBase) -> None:
    a = run(kb, **{"diagnosis.genetics": ...})
    cited = {c for r in a.risk.values() for c in r.citations}
    cited |= {c for r in a.risk.values() for k in r.cautions for c in k.citations}
    assert cited and cited <= set(a.references)


def test_marrow_below_threshold_warning_comes_from_the_knowledge_and_cites_it() -> None:
    from rrall import assess
    from rrall.case.load import parse_case
    from rrall.knowledge.load import default_knowledge
    from tests.conftest import TODAY, make_case

    kb = default_knowledge()
    case = parse_case(make_case(**{"relapses.0.sites": ["bone_marrow", "cns"],
                                   "relapses.0.marrow_blasts_percent": 2}), kb, TODAY)
    result = assess(case, kb)
    warning = next(w for w in result.warnings if w.code == "marrow_below_combined_threshold")
    assert "2" in warning.message and "5" in warning.message and warning.citations == ("Hagedorn2007",)
    assert "Hagedorn2007" in result.references


def test_a_relapse_after_allogeneic_hsct_says_its_outcomes_are_poor(kb: KnowledgeBase) -> None:
    """Brief 1.2 and 4.12: relapse after allogeneic HSCT is its own category with poor outcomes
    (second HSCT: 2-year OS 29.4 %, Kato 2012); figures for relapse in general do not describe it.
    An HSCT dated after the relapse (in second remission) is not one the relapse came after."""
    after = run(kb, **{"prior_therapy": {"hsct": [{"date": "2019-01-01", "type": "allogeneic"}]}})
    warning = next(w for w in after.warnings if w.code == "relapse_after_hsct")
    assert "29.4 %" in warning.message and "Kato2012" in warning.citations
    later = run(kb, **{"prior_therapy": {"hsct": [{"date": "2021-12-20", "type": "allogeneic"}]}})
    autologous = run(kb, **{"prior_therapy": {"hsct": [{"date": "2019-01-01", "type": "autologous"}]}})
    assert "relapse_after_hsct" not in [w.code for w in (*later.warnings, *autologous.warnings)]


def test_bfm_s2_transplant_rule_says_its_time_point_is_unverified(kb: KnowledgeBase) -> None:
    """ALL-REZ BFM 2002's S2 rule: the 10^-3 threshold is confirmed, the time point of the
    MRD measurement is not (after induction, or after the F2 / first R block)."""
    a = run(kb, mrd=[{"timepoint": "end_of_reinduction", "value": 0.1, "unit": "percent"}])
    (caution,) = [c for c in a.risk["bfm"].cautions if c.rule == "bfm.hsct.s2_marrow_mrd_high"]
    assert caution.uncertain and "time point" in caution.text and "F2 / first R block" in caution.text
