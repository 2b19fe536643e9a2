"""The Dask engine gives the same results as the local run (a LocalCluster stands in for
a real cluster)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import orjson
import pytest

from rrall.case.load import load_case
from rrall.cohort import run
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import ROOT, TODAY

distributed = pytest.importorskip("distributed")


def test_dask_results_equal_local(tmp_path: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    from rrall.cohort.dask_engine import assess_rows_dask

    lines = [orjson.dumps(load_case(p, kb).model_dump(mode="json"))
             for p in sorted((ROOT / "examples" / "cases").glob("*.yaml"))] + [b"{broken"]
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    monkeypatch.setattr(run, "CHUNK", 4)
    local = list(run.assess_rows(run.read_rows(path), kb, TODAY, workers=1))
    with distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = list(assess_rows_dask(run.read_rows(path), client, kb.root, TODAY))
    assert remote == local


def test_cli_dask_engine_writes_the_same_results(tmp_path: Path) -> None:
    import polars as pl
    from typer.testing import CliRunner

    from rrall.cli import app
    from tests.cohort.test_cohort import GOOD, write_csv

    rows = [GOOD | {"id": f"c{i}", "marrow_blasts_percent": str(10 + i)} for i in range(6)]
    source = write_csv(tmp_path / "in.csv", rows)
    runner = CliRunner()
    local = runner.invoke(app, ["cohort", str(source), "--out", str(tmp_path / "local"), "--workers", "1"])
    assert local.exit_code == 0, local.output
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        remote = runner.invoke(app, ["cohort", str(source), "--out", str(tmp_path / "dask"),
                                     "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert remote.exit_code == 0, remote.output
    assert pl.read_parquet(tmp_path / "dask" / "results.parquet").equals(
        pl.read_parquet(tmp_path / "local" / "results.parquet"))
    refused = runner.invoke(app, ["cohort", str(source), "--out", str(tmp_path / "x"), "--engine", "dask"])
    assert refused.exit_code == 2 and "--scheduler" in refused.output


def test_dask_keeps_the_long_table_with_concurrent_tasks(tmp_path: Path) -> None:
    """Several chunks run at once in one worker's threads: each must use its own long table."""
    import polars as pl
    from typer.testing import CliRunner

    from rrall.cli import app
    from rrall.cohort import run as cohort_run
    from tests.cohort.test_cohort import GOOD, write_csv

    flat = [GOOD | {"id": f"c{i}", "relapse_date": "2019-01-10"} for i in range(40)]
    long = [{"id": f"c{i}", "record": "relapse", "date": "2021-11-20", "sites": "bone_marrow",
             "marrow_blasts_percent": "70"} for i in range(40)]
    source, table = write_csv(tmp_path / "in.csv", flat), write_csv(tmp_path / "long.csv", long)
    runner = CliRunner()
    old = cohort_run.CHUNK
    cohort_run.CHUNK = 3
    try:
        with distributed.LocalCluster(n_workers=1, threads_per_worker=4, processes=False,
                                      dashboard_address=None) as cluster:
            args = ["cohort", str(source), "--out", str(tmp_path / "dask"), "--long", str(table),
                    "--engine", "dask", "--scheduler", cluster.scheduler_address]
            result = runner.invoke(app, args)
    finally:
        cohort_run.CHUNK = old
    assert result.exit_code == 0, result.output
    frame = pl.read_parquet(tmp_path / "dask" / "results.parquet")
    assert frame["relapse_number"].to_list() == [2] * 40


def test_vectorised_dask_run_equals_the_per_case_local_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flat tables go to the cluster in batches through the vectorised path."""
    import polars as pl
    from typer.testing import CliRunner

    from rrall.cli import app
    from rrall.cohort import vector
    from tests.cohort.test_vector import assert_same, write_csv
    from tests.cohort.varied import rows

    source = write_csv(tmp_path / "varied.csv", rows(1_500, seed=13))
    monkeypatch.setattr(vector, "BATCH", 400)  # several tasks
    runner = CliRunner()
    local = runner.invoke(app, ["cohort", str(source), "--out", str(tmp_path / "local"), "--workers", "1",
                                "--per-case"])
    assert local.exit_code == 2, local.output  # the varied rows include bad ones
    with distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster:
        remote = runner.invoke(app, ["cohort", str(source), "--out", str(tmp_path / "dask"),
                                     "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert remote.exit_code == 2, remote.output
    frame = assert_same(tmp_path / "local", tmp_path / "dask")
    assert frame.height == 1_500 and isinstance(frame, pl.DataFrame)


def test_worker_processes_give_the_same_results(tmp_path: Path) -> None:
    """Workers in processes of their own, as on a real cluster: batches and the knowledge
    base travel by pickling, and each worker loads rrall itself."""
    from typer.testing import CliRunner

    from rrall.cli import app
    from tests.cohort.test_vector import assert_same, write_csv
    from tests.cohort.varied import rows

    source = write_csv(tmp_path / "varied.csv", rows(400, seed=21))
    runner = CliRunner()
    local = runner.invoke(app, ["cohort", str(source), "--out", str(tmp_path / "local"), "--workers", "1"])
    assert local.exit_code == 2, local.output  # the varied rows include bad ones
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = runner.invoke(app, ["cohort", str(source), "--out", str(tmp_path / "dask"),
                                     "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert remote.exit_code == 2, remote.output
    assert_same(tmp_path / "local", tmp_path / "dask")


def test_workers_with_another_knowledge_base_are_refused() -> None:
    from rrall.cohort import dask_engine

    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        kb = dask_engine._knowledge(None)
        assert dask_engine.worker_problems(client, None, kb) == []
        # The release here differs from the workers'.
        manifest = kb.manifest.model_copy(update={"knowledge_version": "1999.1.0"})
        other = dataclasses.replace(kb, manifest=manifest)
        found = dask_engine.worker_problems(client, None, other)
        assert len(found) == 1 and "knowledge 1999.1.0" in found[0] and "as here" in found[0]
        assert "registry" in found[0] and "trials (" in found[0]


def test_a_scheduler_without_workers_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rrall.cli import app
    from tests.cohort.test_cohort import GOOD, write_csv

    source = write_csv(tmp_path / "in.csv", [GOOD])
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        result = CliRunner().invoke(app, ["cohort", str(source), "--out", str(tmp_path / "out"),
                                          "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 2 and "has no workers" in result.output
    assert not (tmp_path / "out").exists()
