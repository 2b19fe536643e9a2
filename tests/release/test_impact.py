"""Impact of the fixture release on the example cases: exactly the cases the tables say, with
the rule ids and sources on both sides; the fast comparison agrees with full assessments."""

from __future__ import annotations

from pathlib import Path

from rrall.assessment import assess
from rrall.case.load import load_case
from rrall.engine import Engine
from rrall.knowledge.load import KnowledgeBase
from rrall.release.impact import Impact, curated_registry, suspects
from tests.conftest import ROOT
from tests.release.fixture import AFFECTED

EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))


def _impact(kb: KnowledgeBase, new_kb: KnowledgeBase) -> Impact:
    run = Impact(kb, new_kb)
    run.run(load_case(path, new_kb) for path in EXAMPLES)
    return run


def test_impact_finds_exactly_the_affected_examples(kb: KnowledgeBase, new_kb: KnowledgeBase) -> None:
    report = _impact(kb, new_kb).report
    assert report.cases == len(EXAMPLES) and not report.errors
    found = {c.case_id: {x.kind for x in c.changes} for c in report.changed}
    assert found == AFFECTED
    assert report.by_kind == {"hsct_rule": 1, "option_status": 1, "prognosis_figure": 1,
                              "caution_added": 1, "caution_removed": 1}


def test_each_change_names_rules_and_sources_on_both_sides(kb: KnowledgeBase, new_kb: KnowledgeBase) -> None:
    changes = {c.case_id: c.changes for c in _impact(kb, new_kb).report.changed}
    (hsct,) = [c for c in changes["b-marrow-late"] if c.kind == "hsct_rule"]
    assert (hsct.subject, hsct.before, hsct.after) == ("BFM", "not indicated", "indicated")
    assert (
        "bfm.hsct.s2_marrow_mrd_low" in hsct.rules_before
        and "bfm.hsct.s2_marrow_mrd_high" in hsct.rules_after
    )
    assert "Tallen2010" in hsct.citations_before and "Tallen2010" in hsct.citations_after
    assert hsct.headline() == "HSCT rule (BFM)"
    (blina,) = changes["ph-positive-t315i"]
    assert (blina.subject, blina.before, blina.after) == ("Blinatumomab", "Consider", "Standard")
    assert blina.rules_before == blina.rules_after == ("blinatumomab.ph-positive",)
    assert "NCCN-Patients-ALL" in blina.citations_after and blina.headline() == "Blinatumomab status"
    (figure,) = changes["post-allo-hsct-relapse"]
    assert "29.4%" in figure.before and "31.0%" in figure.after
    assert figure.citations_before == figure.citations_after == ("Kato2012",)


def test_only_the_changed_data_and_its_dependents_are_compared(
    kb: KnowledgeBase, new_kb: KnowledgeBase
) -> None:
    only, through = suspects(kb, new_kb, curated_registry(kb), curated_registry(new_kb))
    assert only is not None
    assert {
        ("framework", "bfm"),
        ("option", "blinatumomab"),
        ("prognosis", "kato2012-second-hsct-os"),
    } <= only
    assert through[("option", "allogeneic_hsct")] == {"bfm"}  # reads BFM's transplant rule
    assert ("option", "blinatumomab") not in through  # its own data changed: always compared
    # Only the trials that read a framework's transplant rule (a first relapse admitted when a
    # transplant is indicated but cannot be done) are compared, through BFM's.
    trials = {name for kind, name in only if kind == "trial"}
    assert trials == {"NCT02028455", "NCT03573700", "NCT06847269"}
    assert all(through[("trial", name)] == {"bfm"} for name in trials)


def test_the_fast_comparison_agrees_with_full_assessments(kb: KnowledgeBase, new_kb: KnowledgeBase) -> None:
    """Assess every example in full under both releases (fresh engines, no shared results) and
    compare what the impact run compares: it must find the same cases."""
    old_engine = Engine(kb, curated_registry(kb), cache=False)
    new_engine = Engine(new_kb, curated_registry(new_kb), cache=False)
    differ = set()
    for path in EXAMPLES:
        before = old_engine.assess(load_case(path, kb))
        after = new_engine.assess(load_case(path, new_kb))
        seen = [
            (
                {k: (r.status, r.group, r.hsct_in_cr2) for k, r in a.risk.items()},
                {o.id: (o.status, tuple(c.rule for c in o.cautions)) for o in a.options},
                {p.id: (p.figure, p.match) for p in a.prognosis},
                {t.id: t.status for t in a.trials},
            )
            for a in (before, after)
        ]
        if seen[0] != seen[1]:
            differ.add(before.case_id)
    assert differ == set(AFFECTED)


def test_the_same_release_changes_nothing(kb: KnowledgeBase) -> None:
    run = Impact(kb, kb)
    run.run(load_case(path, kb) for path in EXAMPLES[:5])
    assert run.report.changed == [] and run.sides.pairs == []


def test_old_assessments_are_reproduced_after_an_upgrade(
    kb: KnowledgeBase, new_kb: KnowledgeBase, new_release: Path
) -> None:
    """Both releases loaded side by side: each gives its own answer, byte for byte again."""
    from rrall.report.fastjson import assessment_json

    path = ROOT / "examples" / "cases" / "b-marrow-late.yaml"
    old_json = assessment_json(assess(load_case(path, kb), kb))
    new_json = assessment_json(assess(load_case(path, new_kb), new_kb))
    assert old_json != new_json
    assert assessment_json(assess(load_case(path, kb), kb)) == old_json
