"""Trial matching: every must-hold rule, as named examples and as properties."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from rrall.assessment import match_trials_for
from rrall.case.load import parse_case
from rrall.knowledge.load import default_knowledge
from rrall.trials.match import TrialMatch
from rrall.trials.model import Trial
from rrall.trials.registry import Registry, curated_trials
from tests.conftest import TODAY, make_case
from tests.strategies import cases

KB = default_knowledge()


def trial(trial_id: str, **eligibility: Any) -> Trial:
    return Trial(id=trial_id, title=f"synthetic {trial_id}", status="recruiting", eligibility=eligibility,
                 curated=False)


SYNTHETIC = Registry((
    trial("B-ONLY", immunophenotype=["B"]),
    trial("CD19", immunophenotype=["B"], cd19_required=["positive", "dim"]),
    trial("AGE-1-21", min_age_years=1, max_age_years=21),
    trial("NO-CART-BLINA-HSCT", excludes_prior=["tisagenlecleucel", "other_cd19_car_t", "blinatumomab"],
          prior_allogeneic_hsct=False),
    trial("SECOND-OR-REFRACTORY", disease_any=["second_or_later_relapse", "refractory"]),
    trial("CLOSED", immunophenotype=["B"]).model_copy(update={"status": "completed"}),
))


def match(changes: dict[str, Any], registry: Registry = SYNTHETIC,
          closed: bool = False) -> dict[str, TrialMatch]:
    case = parse_case(make_case(**changes), KB, TODAY)
    return {m.id: m for m in match_trials_for(case, KB, trials=registry, include_closed=closed)}


def test_t_lineage_never_potentially_eligible_for_a_b_only_trial() -> None:
    found = match({"diagnosis.immunophenotype": "T"})
    assert found["B-ONLY"].status == "ineligible"
    assert "requires one of B" in next(c.detail for c in found["B-ONLY"].criteria if c.result == "not_met")


def test_cd19_negative_never_for_a_cd19_trial_and_unknown_needs_data() -> None:
    assert match({"relapses.0.cd19": "negative"})["CD19"].status == "ineligible"
    unknown = match({})["CD19"]
    assert unknown.status == "needs_data" and unknown.missing == ["relapses[-1].cd19"]
    assert match({"relapses.0.cd19": "positive"})["CD19"].status == "potentially_eligible"


def test_age_outside_the_range_is_ineligible_with_the_reason() -> None:
    old = match({"date_of_birth": "1999-01-01"})["AGE-1-21"]
    assert old.status == "ineligible" and any("21 years" in c.detail for c in old.criteria)
    # 21 Years admits a 21-year-old until the 22nd birthday
    assert match({"date_of_birth": "2000-02-01"})["AGE-1-21"].status == "potentially_eligible"


def test_excluded_prior_therapy_is_ineligible() -> None:
    for prior in ({"agents": [{"agent": "tisagenlecleucel"}]}, {"agents": [{"agent": "blinatumomab"}]},
                  {"hsct": [{"date": "2019-01-01", "type": "allogeneic"}]}):
        assert match({"prior_therapy": prior})["NO-CART-BLINA-HSCT"].status == "ineligible", prior
    assert match({})["NO-CART-BLINA-HSCT"].status == "potentially_eligible"


def test_wrong_disease_state_is_ineligible() -> None:
    assert match({})["SECOND-OR-REFRACTORY"].status == "ineligible"
    assert match({"relapses.0.reinduction_outcome": "treatment_failure"})["SECOND-OR-REFRACTORY"].status \
        == "potentially_eligible"


def test_closed_trials_only_on_request() -> None:
    assert "CLOSED" not in match({})
    assert match({}, closed=True)["CLOSED"].status == "potentially_eligible"


def test_best_fit_first() -> None:
    order = [m.status for m in match({}).values()]
    ranks = {"potentially_eligible": 0, "needs_data": 1, "ineligible": 2}
    assert order == sorted(order, key=ranks.__getitem__)


def test_every_criterion_carries_the_case_value_and_the_requirement() -> None:
    for m in match({}).values():
        for c in m.criteria:
            assert "case " in c.detail and "requires " in c.detail


CURATED = Registry(curated_trials(KB.root / "trials"))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_must_hold_rules_over_generated_cases(case: dict[str, Any]) -> None:
    parsed = parse_case(case, KB, TODAY)
    for m in match_trials_for(parsed, KB, trials=CURATED, include_closed=True):
        results = {c.result for c in m.criteria}
        expected = "ineligible" if "not_met" in results else "needs_data" if "unknown" in results \
            else "potentially_eligible"
        assert m.status == expected
        if m.status == "needs_data":
            assert m.missing, "an unknown names the field that would decide it"
        by_name = {c.criterion: c for c in m.criteria}
        relapse = parsed.relapses[-1] if parsed.relapses else None
        lineage = (relapse.immunophenotype if relapse else None) or parsed.diagnosis.immunophenotype
        lineage_rule = by_name.get("immunophenotype")
        if lineage == "T" and lineage_rule and "T" not in lineage_rule.detail.split("requires")[1]:
            assert m.status == "ineligible"
        if "cd19_required" in by_name and parsed.relapses and parsed.relapses[-1].cd19 == "negative":
            assert m.status == "ineligible"
