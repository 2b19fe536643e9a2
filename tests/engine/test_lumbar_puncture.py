"""A lumbar puncture not yet recorded: the assessment says what CNS disease would change
(tests/engine/lumbar_puncture.yaml, answers from the framework and HSCT tables), and what it
says agrees with assessing the relapse with CNS disease recorded."""

from __future__ import annotations

import copy
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from rrall.assessment import assess
from rrall.case.load import parse_case
from rrall.engine import Engine, engine_for
from rrall.errors import CaseInputError, KnowledgeError
from rrall.knowledge.load import KnowledgeBase, load_knowledge
from rrall.lint import lint
from rrall.options.workup import with_finding
from rrall.results import Assessment
from tests.conftest import ROOT, make_case

TODAY = date(2022, 1, 10)
CNS = "relapses[-1].cns_status"
CASES = yaml.safe_load((Path(__file__).parent / "lumbar_puncture.yaml").read_text())["cases"]


def assessed(kb: KnowledgeBase, raw: dict[str, Any]) -> Assessment:
    return assess(parse_case(raw, kb, TODAY), kb)


@pytest.mark.parametrize("row", CASES, ids=[c["name"] for c in CASES])
def test_what_cns_disease_would_change(kb: KnowledgeBase, row: dict[str, Any]) -> None:
    raw = make_case(**row["changes"])
    now = assessed(kb, raw)
    entry = next((m for m in now.missing_data if m.field == CNS), None)
    if row.get("listed") is False:
        assert entry is None
        return
    assert entry is not None and entry.test == "Lumbar puncture"
    found = copy.deepcopy(raw)
    relapse = found["relapses"][-1]
    relapse["sites"] = [*dict.fromkeys([*relapse["sites"], "cns"])]
    relapse["cns_status"] = "CNS3"
    then = assessed(kb, found)
    assert then.classification.site in ("combined", "isolated_extramedullary", None)  # None: open
    for fid, (group, hsct, group_then, hsct_then) in row["frameworks"].items():
        assert (now.risk[fid].group, now.risk[fid].hsct_in_cr2) == (group, hsct), fid
        assert then.risk[fid].group == group_then, fid
        if hsct_then is not None:
            assert then.risk[fid].hsct_in_cr2 == hsct_then, fid
        short = kb.frameworks[fid].short_name
        line = next(d for d in entry.decides if d.startswith(f"{short}: now "))
        said_now, said_then = line.removeprefix(f"{short}: now ").split("; if ")
        assert said_now.split(" (")[0] == group
        assert said_then.split(": ", 1)[1].split(" (")[0] == (group_then or "needs more data")
    for needed in row.get("would_also_need", []):
        assert any(f"would also need: {needed}" in d for d in entry.decides), needed
    changed = [f for f in now.risk if now.risk[f].group != then.risk[f].group
               or now.risk[f].hsct_in_cr2 != then.risk[f].hsct_in_cr2]
    assert sorted(changed) == sorted(row["frameworks"])
    statuses = {o.id: o.status for o in then.options}
    options = [f"option:{o.id}" for o in now.options if o.status != statuses[o.id]]
    assert entry.affects == (*[f for f in now.risk if f in changed], *options) or (
        not changed and not options and entry.affects == ("work-up",))


def test_cns2_alone_is_said_to_be_unsettled(kb: KnowledgeBase) -> None:
    """Whether CNS2 alone at relapse is a CNS relapse is not established: the listed sites
    decide the category (isolated marrow here) and a warning says so, with what counting it
    as CNS disease would change (early B isolated marrow vs combined: BFM S3 or S2, UK high
    or intermediate, IntReALL high or standard, as in the framework table)."""
    early = {"relapses.0.cns_status": "CNS2", "diagnosis.frontline_end_date": "2021-08-01"}
    result = assessed(kb, make_case(**early))
    assert result.classification.site == "isolated_marrow"
    warning = next(w for w in result.warnings if w.code == "cns_status_not_established")
    assert "not established" in warning.message and warning.citations
    for short, now, then in (("BFM", "S3", "S2"), ("UK", "high", "intermediate"),
                             ("IntReALL", "high", "standard")):
        assert f"{short}: now {now} (" in warning.message, short
        assert f"if counted as CNS disease: {then} (" in warning.message, short
    assert not any(m.field == CNS for m in result.missing_data)  # the lumbar puncture is recorded
    late = assessed(kb, make_case(**{"relapses.0.cns_status": "CNS2"}))  # late: the frameworks agree
    said = next(w for w in late.warnings if w.code == "cns_status_not_established").message
    assert "BFM: now" not in said and "UK: now" not in said


@pytest.mark.parametrize(("sites", "status", "says"), [
    (["bone_marrow"], "CNS3", "sites do not include cns"),
    (["bone_marrow", "cns"], "CNS1", "sites include cns"),
])
def test_lumbar_puncture_and_sites_must_agree(kb: KnowledgeBase, sites: list[str], status: str,
                                              says: str) -> None:
    raw = make_case(**{"relapses.0.sites": sites, "relapses.0.cns_status": status})
    with pytest.raises(CaseInputError) as error:
        parse_case(raw, kb, TODAY)
    assert any(e.path == "relapses[0].cns_status" and says in e.message for e in error.value.errors)


@pytest.mark.parametrize("name", sorted(p.stem for p in Path("examples/cases").glob("*.yaml")))
def test_the_other_readings_row_is_the_one_its_facts_give(kb: KnowledgeBase, name: str) -> None:
    """The what-if places again only the facts the finding changes: its band row must equal
    the row worked out afresh from all of its facts."""
    engine = engine_for(kb)
    case = parse_case(yaml.safe_load(Path(f"examples/cases/{name}.yaml").read_text()), kb, TODAY)
    item = next(i for i in kb.workup if i.if_found is not None)
    assert item.if_found is not None
    found = with_finding(case, item.if_found)
    if found is None:
        pytest.skip("no relapse")
    classified, doses = engine.ev.classify(case)
    one = engine.case_of(classified.facts, doses)
    facts = engine.ev.classifier.classify(found, doses).facts
    assert engine.ev.classify(found)[1] == doses  # the doses the what-if keeps are the found case's
    afresh = engine.rows.of(engine.memo, facts)[0]
    assert engine.rows.changed(engine.memo, one.bands, one.facts, facts) == afresh


def test_a_finding_the_case_model_refuses_stops_the_engine(tmp_path: Path) -> None:
    """A finding is written into cases without validating them again, so a misspelt field or
    value in it is refused by the lint and before any engine uses it, never silently ignored."""
    root = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", root)
    workup = root / "workup.yaml"
    text = workup.read_text()
    assert "set: {cns_status: CNS3}" in text
    workup.write_text(text.replace("set: {cns_status: CNS3}", "set: {cns_statuss: CNS9}"))
    with pytest.raises(KnowledgeError) as error:
        Engine(load_knowledge(root))
    assert any("cns_statuss: not a relapse field" in p for p in error.value.problems)
    assert any("cns_statuss" in p for p in lint(root))
