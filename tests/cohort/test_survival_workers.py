"""The survival workers give the same fits and figures as fitting in the parent, whether
they come from the fork server (which imports the survival stack once) or, where no fork
server can start, from spawned processes."""

from __future__ import annotations

import os
import subprocess
import sys
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


def run_python(script: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180,
                          env={**os.environ, **env}, cwd=tmp_path, check=False)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")
def test_the_fork_server_does_not_hold_the_callers_output_open(tmp_path: Path) -> None:
    """Otherwise a reader of `rrall cohort ... | ...` waits for the server's clean-up."""
    done = run_python(
        "import os\n"
        "from multiprocessing import forkserver\n"
        "from rrall.cohort.survival_workers import SurvivalWorkers\n"
        "SurvivalWorkers(size=1)\n"
        "pid = forkserver._forkserver._forkserver_pid\n"
        "print(os.readlink(f'/proc/{pid}/fd/1'), os.readlink(f'/proc/{pid}/fd/2'))\n"
        "print(os.readlink('/proc/self/fd/1') != os.devnull)\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [os.devnull, os.devnull, "True"]


def test_a_broken_survival_stack_is_reported_by_the_job_not_as_a_dead_server(tmp_path: Path) -> None:
    """A package that fails on import (not only a missing one) must not kill the fork
    server: the job that needs it fails with that package's own error."""
    fake = tmp_path / "fake" / "lifelines"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise RuntimeError('lifelines is broken here')\n")
    done = run_python(
        "from pathlib import Path\n"
        "from rrall.cohort.survival import follow_up\n"
        "from rrall.cohort.survival_workers import SurvivalWorkers\n"
        "from tests.cohort.test_survival import cohort\n"
        "data, _ = follow_up(cohort(50, {'S1': 0.8}))\n"
        "workers = SurvivalWorkers(size=1)\n"
        "try:\n"
        "    workers.by_group(data, [('bfm', 'BFM')], None)\n"
        "except RuntimeError as exc:\n"
        "    print('reported:', exc)\n"
        "finally:\n"
        "    workers.close()\n", tmp_path,
        PYTHONPATH=os.pathsep.join([str(tmp_path / "fake"), str(Path(__file__).resolve().parents[2])]))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "reported: lifelines is broken here"


def test_follow_up_in_headers_reads_only_the_header(tmp_path: Path) -> None:
    """The early look that starts the fork server: CSV and Parquet headers; a file it cannot
    read (left to the run's own checks) or of another kind counts as without follow-up."""
    import polars as pl

    with_follow_up = tmp_path / "a.csv"
    with_follow_up.write_text("case_id,last_follow_up_date\nx,2020-01-01\n", encoding="utf-8")
    without = tmp_path / "b.csv"
    without.write_text("case_id,relapse_date\n", encoding="utf-8")
    parquet = tmp_path / "c.parquet"
    pl.DataFrame({"case_id": ["x"], "last_follow_up_date": ["2020-01-01"]}).write_parquet(parquet)
    broken = tmp_path / "d.parquet"
    broken.write_bytes(b"not parquet")
    not_utf8 = tmp_path / "e.csv"
    not_utf8.write_bytes(b"\xff\xfe\x00case")
    pipe = tmp_path / "g.csv"
    os.mkfifo(pipe)  # not a regular file: never opened here (a read would wait for a writer)
    headers = survival_workers.follow_up_in_headers
    assert headers([with_follow_up]) and headers([without, parquet])
    assert not headers([without, broken, not_utf8, pipe, tmp_path / "missing.csv", tmp_path / "f.jsonl"])
