"""Properties: valid input never raises; deterministic; round-trips; a new fact never flips an
answer (a risk group, an HSCT rule or an option's status)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rrall import assess
from rrall.assessment import Assessment, summarize
from rrall.case.load import parse_case
from rrall.engine import Engine
from rrall.knowledge.load import default_knowledge
from rrall.report.detail import summary_record
from tests.conftest import TODAY
from tests.strategies import cases

KB = default_knowledge()
SETTLED_HSCT = {"indicated", "not_indicated", "depends_on_backbone"}
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(case: dict[str, Any]) -> Assessment:
    return assess(parse_case(case, KB, TODAY), KB)


@FAST
@given(cases())
def test_valid_input_never_raises_and_is_deterministic(case: dict[str, Any]) -> None:
    first, second = run(case), run(copy.deepcopy(case))
    assert first == second
    assert Assessment.model_validate_json(first.model_dump_json()) == first
    for result in first.risk.values():
        assert (result.group is not None) == (result.status == "assigned")
        assert set(result.citations) <= set(first.references)


FRESH = Engine(KB, cache=False)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_shared_results_equal_fresh_ones(case: dict[str, Any]) -> None:
    """Results are shared between cases with the same deciding facts (rrall/engine.py); a
    result taken from the engine's memo must equal one computed from scratch."""
    parsed = parse_case(case, KB, TODAY)
    assert run(case) == FRESH.assess(parsed)


@FAST
@given(cases())
def test_the_summary_path_writes_the_projection_of_the_whole_assessment(case: dict[str, Any]) -> None:
    """A batch's `--detail summary` asks the engine for the summary without the reasons'
    words and trial matches (Engine.summary); it must equal the summary projected from the
    whole assessment, shared and fresh."""
    parsed = parse_case(case, KB, TODAY)
    projected = summary_record(run(case))
    assert summarize(parsed, KB) == projected
    assert FRESH.summary(parsed) == projected


@pytest.mark.nightly
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_shared_results_equal_fresh_ones_on_10000_cases(case: dict[str, Any]) -> None:
    """The same property on 10,000 varied cases (about four minutes; `-m nightly`)."""
    parsed = parse_case(case, KB, TODAY)
    assert run(case) == FRESH.assess(parsed)


@st.composite
def completed(draw: st.DrawFn, case: dict[str, Any]) -> dict[str, Any]:
    """The same case with some of its missing facts supplied (valid values only)."""
    full = copy.deepcopy(case)
    relapses = full["relapses"]
    if relapses and "frontline_end_date" not in full["diagnosis"] and draw(st.booleans()):
        full["diagnosis"]["frontline_end_date"] = draw(st.sampled_from(
            ["not_completed", full["diagnosis"]["date"], relapses[0]["date"]]))
    if relapses and "mrd" not in full and draw(st.booleans()):
        full["mrd"] = [{"timepoint": "end_of_reinduction", "unit": "fraction",
                        "value": draw(st.sampled_from([0, 0.00005, 0.0001, 0.0005, 0.001, 0.01]))}]
    if relapses and "marrow_blasts_percent" not in relapses[-1] and draw(st.booleans()):
        high = 100 if "bone_marrow" in relapses[-1]["sites"] else 4.9
        relapses[-1]["marrow_blasts_percent"] = draw(st.floats(0, high, allow_nan=False))
    if "genetics" not in full["diagnosis"] and draw(st.booleans()):
        # Kinase mutations after induction already say BCR::ABL1 (the case refuses [] with them).
        after_induction = full["diagnosis"].get("refractory_disease") or {}
        found = [["BCR::ABL1"]] if after_induction.get("abl1_kinase_mutations") else [[], ["BCR::ABL1"]]
        full["diagnosis"]["genetics"] = draw(st.sampled_from(found))
    if relapses:
        for marker in ("cd19", "cd22"):
            if relapses[-1].get(marker, "unknown") == "unknown" and draw(st.booleans()):
                relapses[-1][marker] = draw(st.sampled_from(["positive", "dim", "negative"]))
        untested = "abl1_kinase_mutations" not in relapses[-1]
        if relapses[-1].get("bcr_abl1") and untested and draw(st.booleans()):
            relapses[-1]["abl1_kinase_mutations"] = draw(st.sampled_from([[], ["T315I"], ["Y253H"]]))
    therapy = full.setdefault("prior_therapy", {})
    if "anthracyclines" not in therapy and draw(st.booleans()):
        therapy["anthracyclines"] = [{"agent": "doxorubicin", "cumulative_mg_per_m2": draw(st.sampled_from(
            [0, 120, 260, 320]))}]
    return full


@FAST
@given(st.data())
def test_adding_a_missing_fact_never_flips_a_settled_answer(data: st.DataObject) -> None:
    case = data.draw(cases())
    before = run(case)
    after = run(data.draw(completed(case)))
    for name, old in before.risk.items():
        new = after.risk[name]
        if old.status != "insufficient_data":
            assert (new.status, new.group) == (old.status, old.group), name
        if old.hsct_in_cr2 in SETTLED_HSCT:
            assert new.hsct_in_cr2 == old.hsct_in_cr2, name
        if old.hsct_in_cr2 == "depends_on_mrd":
            assert new.hsct_in_cr2 in {*SETTLED_HSCT, "depends_on_mrd", None}, name
    new_options = {o.id: o.status for o in after.options}
    for option in before.options:
        if option.status != "insufficient_data":
            assert new_options[option.id] == option.status, option.id
