"""The registry index: trials written the same way share one decision per case, yet each
trial's match is exactly what matching it alone gives; imported records come from a
snapshot that is rebuilt when a record is written; long listings print as plain text."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from rrall.assessment import match_trials_for
from rrall.case.load import parse_case
from rrall.criteria.evaluator import Evaluator
from rrall.engine import Engine
from rrall.knowledge.load import default_knowledge
from rrall.trials.match import match_trial, parts, rank
from rrall.trials.model import Trial
from rrall.trials.registry import Registry, imported_trials, load_curated
from rrall.trials_cli import _plain
from tests.conftest import TODAY, make_case
from tests.strategies import cases

KB = default_knowledge()
CURATED = load_curated(KB.root / "trials", KB.grammar)


def imported(trial_id: str, eligibility: dict[str, Any], status: str = "recruiting",
             free_text: tuple[str, ...] = ("Inclusion: adequate organ function",)) -> Trial:
    return Trial.model_validate({"id": trial_id, "title": f"synthetic {trial_id}", "status": status,
                                 "eligibility": eligibility, "free_text": list(free_text), "curated": False},
                                context={"grammar": KB.grammar})


# Many records with the same few criteria, as a ClinicalTrials.gov import gives.
AGES = [{"age": {"at_least": "1 year", "at_most": "21 years"}}, {"age": {"at_most": "17 years"}},
        {"immunophenotype": "B"}]
REPEATED = Registry((*CURATED, *(imported(f"NCT9{i:07d}", AGES[i % 3], "recruiting" if i % 4 else "completed",
                                          free_text=(f"Inclusion: criterion {i}",)) for i in range(60))))


def test_trials_written_the_same_way_share_one_decision() -> None:
    engine = Engine(KB, REPEATED)
    distinct = {t.eligibility.test for t in REPEATED.trials}
    assert engine.trials.distinct == len(distinct) < len(REPEATED.trials)
    every_part = [p for t in REPEATED.trials for p in parts(t)]
    assert engine.trials.distinct_parts == len(set(every_part)) < len(every_part)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_each_match_is_what_matching_the_trial_alone_gives(case: dict[str, Any]) -> None:
    child = parse_case(case, KB, TODAY)
    found = {m.id: m for m in match_trials_for(child, KB, trials=REPEATED, include_closed=True)}
    assert set(found) == {t.id for t in REPEATED.trials}
    ev = Evaluator(KB, [t.eligibility for t in REPEATED.trials])
    world = ev.world(ev.classify(child)[0].facts)
    for trial in REPEATED.trials:
        alone = match_trial(ev, trial, world)
        mine = found[trial.id]
        assert mine.criteria == alone.criteria and mine.status == alone.status, trial.id
        assert mine.missing == alone.missing and mine.review == alone.review


def test_the_same_answers_with_and_without_the_engine_memo() -> None:
    child = parse_case(make_case(), KB, TODAY)
    shared = match_trials_for(child, KB, trials=REPEATED, include_closed=True)
    fresh = Engine(KB, REPEATED, cache=False).match_trials(child, include_closed=True)
    assert [m.model_dump() for m in shared] == [m.model_dump() for m in fresh]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_the_listing_is_in_the_order_each_match_ranks(case: dict[str, Any]) -> None:
    """The index ranks a trial from its group's counts (structured results shared by trials
    written the same way) plus its own criteria in the source's words: the order must be the
    one each whole match gives, with and without the memo."""
    child = parse_case(case, KB, TODAY)
    for listed in (match_trials_for(child, KB, trials=REPEATED, include_closed=True),
                   Engine(KB, REPEATED, cache=False).match_trials(child, include_closed=True)):
        assert list(listed) == sorted(listed, key=rank)


def _record(folder: Path, trial: Trial) -> None:
    (folder / f"{trial.id}.json").write_text(trial.model_dump_json())


def test_imported_records_come_from_a_snapshot_rebuilt_when_one_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RRALL_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "trials"
    folder.mkdir()
    for trial in REPEATED.trials[len(CURATED):]:
        _record(folder, trial)
    first, problems = imported_trials(folder, KB)
    assert len(first) == 60 and not problems
    assert len({id(t.eligibility) for t in first}) == 3, "equal criteria are kept once"
    assert len(list((tmp_path / "cache").glob("trials-*.pickle"))) == 1
    again, _ = imported_trials(folder, KB)
    assert [t.model_dump() for t in again] == [t.model_dump() for t in first]
    # A record written again with another status: the snapshot is not used.
    changed = json.loads((folder / "NCT90000001.json").read_text())
    changed["status"] = "suspended"
    (folder / "NCT90000001.json").write_text(json.dumps(changed))
    os.utime(folder / "NCT90000001.json", ns=(1, 1))
    after, _ = imported_trials(folder, KB)
    assert {t.id: t.status for t in after}["NCT90000001"] == "suspended"
    (folder / "NCT90000002.json").unlink()
    assert len(imported_trials(folder, KB)[0]) == 59


def test_a_long_listing_is_plain_text() -> None:
    assert _plain(r"[bold]needs review[/bold] · [green]✓[/green] age \[years] [dim]x[/dim]") == \
        "needs review · ✓ age [years] x"


def test_the_snapshot_stamps_exactly_the_files_the_loader_reads(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose name starts with a dot (an editor's lock file, say) is read like any
    other record, with or without the snapshot, and a change to it is seen."""
    from rrall.trials.registry import load_imported

    monkeypatch.setenv("RRALL_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "trials"
    folder.mkdir()
    _record(folder, REPEATED.trials[len(CURATED)])
    (folder / ".#NCT01.json").write_text("{not a record")
    direct = load_imported(folder, KB.grammar)
    assert len(direct[0]) == 1 and len(direct[1]) == 1 and ".#NCT01.json" in direct[1][0]
    snapshotted = imported_trials(folder, KB)
    assert [t.id for t in snapshotted[0]] == [t.id for t in direct[0]] and snapshotted[1] == direct[1]
    (folder / ".#NCT01.json").unlink()
    assert imported_trials(folder, KB)[1] == []
