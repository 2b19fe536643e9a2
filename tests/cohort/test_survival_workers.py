"""The survival workers give the same fits and figures as fitting in the parent, whether
they come from the fork server (which imports the survival stack once) or, where no fork
server can start, from spawned processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from rrall.cohort import survival_workers
from rrall.cohort.survival import by_group, follow_up
from rrall.cohort.survival_workers import SurvivalWorkers
from tests.cohort.test_survival import cohort

TRUTH = {"S1": 0.8, "S2": 0.55, "S3": 0.3}


def fitted_here_and_there(tmp_path: Path) -> None:
    data, problems = follow_up(cohort(600, TRUTH, seed=11))
    assert not problems
    here = by_group(data, "bfm", tmp_path / "here", "BFM")
    workers = SurvivalWorkers(size=2)
    try:
        there, empty = workers.by_group(data, [("bfm", "BFM"), ("cog", "COG")], tmp_path / "there")
    finally:
        workers.close()
    assert there == here
    assert empty.groups == []  # no COG group in this table: no estimate, not an error
    assert sorted(there.figures) == sorted(here.figures)
    for name in there.figures:
        assert (tmp_path / "there" / name).stat().st_size > 1000
        if name.endswith(".png"):  # the SVGs carry a date and random ids
            assert (tmp_path / "there" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def test_workers_from_the_fork_server_fit_as_the_parent_does(tmp_path: Path) -> None:
    assert survival_workers._context().get_start_method() == "forkserver"
    fitted_here_and_there(tmp_path)


def test_without_a_fork_server_spawned_workers_fit_the_same(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise OSError("no socket for a fork server here")

    monkeypatch.setattr(survival_workers.forkserver, "ensure_running", refuse)
    assert survival_workers._context().get_start_method() == "spawn"
    fitted_here_and_there(tmp_path)
