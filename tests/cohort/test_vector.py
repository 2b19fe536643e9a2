"""The vectorised path gives exactly the per-case path's results.

10,000 varied rows (tests/cohort/varied.py: values on and beside every bound, bad cells of
every kind) go through `rrall cohort` both ways; results.parquet and errors.jsonl must be
equal, row for row and byte for byte. Also: typed Parquet columns, the long table, the
calendar-month clock against classify/months.py, and the path turning itself off when the
knowledge base compares a quantity it cannot key.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from rrall.cli import app
from rrall.cohort import classes, vector
from rrall.cohort.columns import COLUMNS
from rrall.cohort.synth import write_cohort
from rrall.engine import engine_for
from rrall.knowledge.load import KnowledgeBase
from tests.cohort.varied import rows

runner = CliRunner()


def write_csv(path: Path, table: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(table)
    return path


def run_both(tmp_path: Path, source: Path, *extra: str) -> tuple[Path, Path]:
    outs = []
    for mode in ("--per-case", "--vectorised"):
        out = tmp_path / mode.strip("-")
        result = runner.invoke(
            app, ["cohort", str(source), "--out", str(out), "--workers", "2", mode, *extra]
        )
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        outs.append(out)
    return outs[0], outs[1]


def assert_same(per_case: Path, vectorised: Path) -> pl.DataFrame:
    one = pl.read_parquet(per_case / "results.parquet")
    two = pl.read_parquet(vectorised / "results.parquet")
    assert one.columns == two.columns
    for column in one.columns:
        assert one[column].equals(two[column]), column
    assert (per_case / "errors.jsonl").read_bytes() == (vectorised / "errors.jsonl").read_bytes()
    return one


def test_ten_thousand_varied_rows_give_identical_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(tmp_path / "varied.csv", rows(10_000))
    # Four batches, and a memo of classes that fills up and is cleared on the way.
    monkeypatch.setattr(vector, "BATCH", 2_500)
    monkeypatch.setattr(vector, "MEMO_LIMIT", 3_000)
    frame = assert_same(*run_both(tmp_path, source))
    assert frame.height == 10_000
    failed = frame.filter(pl.col("error").is_not_null()).height
    assert 500 < failed < 5_000  # both kinds are well represented
    assert frame["bfm_group"].n_unique() >= 4 and frame["timing_bfm"].n_unique() >= 3


def test_a_realistic_cohort_takes_the_class_path(kb: KnowledgeBase, tmp_path: Path) -> None:
    """The varied rows above are built to be unlike each other; a synthetic cohort shaped
    like the published ones falls into far fewer classes than rows."""
    source = tmp_path / "synth.parquet"
    write_cohort(source, 20_000, 1, {})
    limits = vector.limits(kb)
    assert limits is not None
    run = vector.VectorRun(kb, date(2026, 11, 23), {}, limits, workers=1)
    assert sum(frame.height for frame, _ in run.files([source])) == 20_000
    assert run.per_case_rows == 0
    assert run.assessed_classes < 20_000 * 0.15


def test_typed_parquet_columns_give_identical_results(tmp_path: Path) -> None:
    table = list(rows(3_000, seed=3))
    frame = pl.DataFrame(table, schema=dict.fromkeys(COLUMNS, pl.String), orient="row")
    good_date = pl.col("date_of_birth").str.to_date("%Y-%m-%d", strict=False)
    typed = frame.with_columns(
        date_of_birth=pl.when(good_date.is_not_null()).then(good_date),
        relapse_date=pl.col("relapse_date").str.to_date("%Y-%m-%d", strict=False),
        marrow_blasts_percent=pl.col("marrow_blasts_percent").cast(pl.Float64, strict=False),
        wbc_per_uL=pl.col("wbc_per_uL").cast(pl.Float64, strict=False),
        last_follow_up_date=pl.col("last_follow_up_date").str.to_date("%Y-%m-%d", strict=False),
    )
    source = tmp_path / "typed.parquet"
    typed.write_parquet(source)
    assert_same(*run_both(tmp_path, source))


def test_rows_the_long_table_extends_give_identical_results(tmp_path: Path) -> None:
    table = rows(600, seed=5)
    source = write_csv(tmp_path / "flat.csv", table)
    long = tmp_path / "long.csv"
    with long.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "record", "date", "sites", "timepoint", "value", "unit"])
        for r in table[:600:7]:
            writer.writerow([r["id"], "mrd", "", "", "end_of_reinduction", "0.2", "percent"])
        writer.writerow(["V00003", "relapse", "2030-01-01", "cns", "", "", ""])
    assert_same(*run_both(tmp_path, source, "--long", str(long)))


def test_a_number_the_class_key_cannot_tell_apart_turns_the_path_off(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert classes.bounds(engine_for(kb)) is not None
    known = {f: q for f, q in classes.QUANTITY_OF_FACT.items() if f != "performance"}
    monkeypatch.setattr(classes, "QUANTITY_OF_FACT", known)
    assert classes.bounds(engine_for(kb)) is None


def test_a_column_type_the_classes_cannot_read_sends_its_rows_per_case(tmp_path: Path) -> None:
    # Integer ids with a gap, as pandas writes them: a float column the classes do not key.
    frame = pl.DataFrame(rows(300, seed=9), schema=dict.fromkeys(COLUMNS, pl.String), orient="row")
    # Without follow-up both runs skip the survival figures, which this test does not read.
    numbered = frame.drop("last_follow_up_date", "vital_status", "event_date", "event_type").with_columns(
        id=pl.int_range(1, 301).cast(pl.Float64))
    numbered = numbered.with_columns(id=pl.when(pl.col("id") == 7).then(None).otherwise(pl.col("id")))
    source = tmp_path / "float-ids.parquet"
    numbered.write_parquet(source)
    per_case, vectorised = run_both(tmp_path, source)
    frame = assert_same(per_case, vectorised)
    assert frame["case_id"][0] == "1" and frame["case_id"][6] is None


def test_date_times_at_midnight_read_as_their_dates(tmp_path: Path) -> None:
    frame = pl.DataFrame(rows(300, seed=9), schema=dict.fromkeys(COLUMNS, pl.String), orient="row")
    # Without follow-up the four runs skip the survival figures, which this test does not read.
    frame = frame.drop("last_follow_up_date", "vital_status", "event_date", "event_type")
    as_text, stamped = tmp_path / "text.parquet", tmp_path / "timestamps.parquet"
    frame.write_parquet(as_text)
    frame.with_columns(
        assessment_date=pl.col("assessment_date").str.to_datetime("%Y-%m-%d", strict=False)
    ).write_parquet(stamped)
    text_per_case, text_vectorised = run_both(tmp_path / "text", as_text)
    per_case, vectorised = run_both(tmp_path / "stamped", stamped)
    stamped_results = assert_same(per_case, vectorised)
    text_results = assert_same(text_per_case, text_vectorised)
    cell = frame["assessment_date"]
    parsed = cell.str.to_date(strict=False).is_not_null()
    written = cell.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$") & parsed
    same = written.fill_null(False) | cell.is_null()  # other texts are not dates in either
    assert stamped_results.filter(same).drop("source").equals(text_results.filter(same).drop("source"))
