"""Whole-input problems are found before anything is written, and typed Parquet columns
read as the same values written as CSV text would: a 32-bit float on a bound stays on it,
a date-time at midnight is its date; column types the layout cannot read are refused at
once; an output folder keeps the user's own files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import polars as pl
import pytest
from typer.testing import CliRunner

from rrall.cli import app
from tests.cohort.test_cohort import GOOD, write_csv

runner = CliRunner()
# MRD exactly on the 10^-4 bound the UK HSCT rule reads, and an order of magnitude above.
ON_BOUND = [GOOD | {"id": "m1", "mrd_end_of_reinduction_percent": "0.01"},
            GOOD | {"id": "m2", "mrd_end_of_reinduction_percent": "0.1"}]


def cohort(tmp_path: Path, source: Path, name: str, *more: str) -> tuple[int, str, Path]:
    out = tmp_path / name
    result = runner.invoke(app, ["cohort", str(source), "--out", str(out), "--workers", "1", *more])
    return result.exit_code, result.output, out


def results(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "results.parquet")


@pytest.mark.parametrize("path_flag", ["--vectorised", "--per-case"])
def test_a_32_bit_float_on_a_bound_reads_as_written(tmp_path: Path, path_flag: str) -> None:
    text = write_csv(tmp_path / "mrd.csv", ON_BOUND)
    typed = tmp_path / "mrd32.parquet"
    pl.read_csv(text, infer_schema=False).with_columns(
        pl.col("mrd_end_of_reinduction_percent").cast(pl.Float32)).write_parquet(typed)
    assert pl.read_parquet(typed)["mrd_end_of_reinduction_percent"].cast(pl.Float64)[0] != 0.01
    code, output, csv_out = cohort(tmp_path, text, "csv", path_flag)
    assert code == 0, output
    code, output, parquet_out = cohort(tmp_path, typed, "parquet", path_flag)
    assert code == 0, output
    assert results(parquet_out).drop("source", "row").equals(results(csv_out).drop("source", "row"))
    m1 = results(parquet_out).row(0, named=True)
    assert m1["uk_hsct_in_cr2"] == "indicated"  # >= 10^-4: on the bound is at the bound


def test_date_times_at_midnight_are_dates_and_others_a_row_error(tmp_path: Path) -> None:
    text = write_csv(tmp_path / "in.csv", [GOOD, GOOD | {"id": "c2"}])
    frame = pl.read_csv(text, infer_schema=False)
    stamps = pl.Series([datetime(2015, 1, 14), datetime(2015, 1, 14, 9, 30)])
    typed = tmp_path / "dt.parquet"
    frame.with_columns(diagnosis_date=stamps).write_parquet(typed)
    code, _output, out = cohort(tmp_path, typed, "dt")
    assert code == 2
    table = results(out)
    _, _, plain = cohort(tmp_path, text, "plain")
    assert table.drop("source", "row").row(0) == results(plain).drop("source", "row").row(0)
    errors = [orjson.loads(line) for line in (out / "errors.jsonl").read_bytes().splitlines()]
    assert [(e["case_id"], e["row"]) for e in errors] == [("c2", 2)]
    first = errors[0]["errors"][0]
    assert first["path"] == "diagnosis.date" and "YYYY-MM-DD" in first["message"]


def test_column_types_the_layout_cannot_read_are_refused_at_once(tmp_path: Path) -> None:
    frame = pl.read_csv(write_csv(tmp_path / "in.csv", [GOOD]), infer_schema=False)
    typed = tmp_path / "typed.parquet"
    frame.with_columns(
        diagnosis_date=pl.lit(20150114, dtype=pl.Int32),
        relapse_sites=pl.lit(["bone_marrow"], dtype=pl.List(pl.String)),
        sex=pl.lit(b"male", dtype=pl.Binary),
        vital_status=pl.lit(True),
    ).write_parquet(typed)
    code, output, out = cohort(tmp_path, typed, "out")
    assert code == 2 and not out.exists()
    for column in ("diagnosis_date", "relapse_sites", "sex", "vital_status"):
        assert f"column '{column}': has the Parquet type" in output, column
    assert "a date, a date-time at midnight, or text YYYY-MM-DD" in output


def test_a_long_table_32_bit_value_reads_as_written(tmp_path: Path) -> None:
    flat = write_csv(tmp_path / "in.csv", [{k: v for k, v in GOOD.items()
                                             if k != "mrd_end_of_reinduction_percent"}])
    measurement = {"id": "c1", "record": "mrd", "timepoint": "end_of_reinduction", "value": "0.01",
                   "unit": "percent"}
    long_csv = write_csv(tmp_path / "long.csv", [measurement])
    long_parquet = tmp_path / "long.parquet"
    pl.read_csv(long_csv, infer_schema=False).with_columns(pl.col("value").cast(pl.Float32)).write_parquet(
        long_parquet)
    _, output, a = cohort(tmp_path, flat, "a", "--long", str(long_csv))
    _, output, b = cohort(tmp_path, flat, "b", "--long", str(long_parquet))
    assert results(a).equals(results(b)), output


def test_a_bad_byte_late_in_a_csv_stops_before_anything_is_written(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [GOOD | {"id": f"c{i}"} for i in range(300)])
    lines = source.read_bytes().splitlines(keepends=True)
    lines[250] = lines[250].replace(b"male", b"m\xe9le")
    source.write_bytes(b"".join(lines))
    for flag in ("--vectorised", "--per-case"):
        code, output, out = cohort(tmp_path, source, f"out{flag}", flag)
        assert code == 2 and not out.exists(), output
        assert "line 251: not UTF-8 text" in output and "internal error" not in output


def test_an_unclosed_quote_is_a_clear_error(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [GOOD | {"id": f"c{i}"} for i in range(3)])
    source.write_text(source.read_text() + 'c9,"male,' + "x" * 140_000 + "\n")
    code, output, out = cohort(tmp_path, source, "out")
    assert code == 2 and not out.exists()
    assert "not readable as CSV" in output and "unclosed or stray quote" in output


@pytest.mark.parametrize("mode", ["--vectorised", "--per-case"])
def test_an_unclosed_quote_in_a_small_file_loses_no_row(tmp_path: Path, mode: str) -> None:
    source = write_csv(tmp_path / "in.csv", [GOOD | {"id": f"c{i}"} for i in range(20)])
    lines = source.read_text().splitlines(keepends=True)
    lines[4] = lines[4].replace(",none,", ',"none,', 1)  # the quote is never closed
    source.write_text("".join(lines))
    code, output, out = cohort(tmp_path, source, "out", mode)
    assert code == 2 and not out.exists(), output
    assert "not readable as CSV" in output


def test_a_bulk_export_line_that_is_not_json_is_named(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "Patient.ndjson").write_text('{"resourceType": "Patient", "id": "p1"}\nnot json\n[1]\n')
    code, output, out = cohort(tmp_path, export, "out")
    assert code == 2 and not out.exists()
    assert "Patient.ndjson line 2: not JSON" in output and "Patient.ndjson line 3" in output
    assert "allowed: None" not in output


@pytest.mark.parametrize("address", ["notaurl", "tcp://127.0.0.1:9"])
def test_an_unreachable_dask_scheduler_is_a_clear_error(tmp_path: Path, address: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr("rrall.cohort.cli.CONNECT_TIMEOUT_S", 2)  # the closed port's wait, not behaviour
    source = write_csv(tmp_path / "in.csv", [GOOD])
    code, output, out = cohort(tmp_path, source, "out", "--engine", "dask", "--scheduler", address)
    assert code == 2 and not out.exists()
    assert f"--scheduler {address}: cannot connect to a Dask scheduler" in output


def test_the_output_folder_keeps_the_users_files(tmp_path: Path) -> None:
    out = tmp_path / "project"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "thesis-figure-1.pdf").write_text("mine")
    (out / "figures" / "os_by_bfm.svg").write_text("an earlier run's")
    (out / "notes.txt").write_text("mine too")
    code, output, _ = cohort(tmp_path, write_csv(tmp_path / "in.csv", [GOOD]), "project")
    assert code == 0, output
    assert (out / "figures" / "thesis-figure-1.pdf").read_text() == "mine"
    assert (out / "notes.txt").read_text() == "mine too"
    assert not (out / "figures" / "os_by_bfm.svg").exists()  # no follow-up now: no stale figure


def test_float_ids_meet_the_long_table_as_integers(tmp_path: Path) -> None:
    base = {k: v for k, v in GOOD.items() if k != "mrd_end_of_reinduction_percent"}
    flat = pl.read_csv(write_csv(tmp_path / "in.csv", [base | {"id": "1"}, base | {"id": "2"}]),
                       infer_schema=False).with_columns(id=pl.Series([1.0, 2.0], dtype=pl.Float32))
    flat.write_parquet(tmp_path / "flat.parquet")
    pl.DataFrame({"id": [1.0], "record": ["mrd"], "timepoint": ["end_of_reinduction"], "value": [0.2],
                  "unit": ["percent"]}).write_parquet(tmp_path / "long.parquet")
    long = str(tmp_path / "long.parquet")
    code, output, out = cohort(tmp_path, tmp_path / "flat.parquet", "out", "--long", long)
    assert code == 0 and '"long_table_ids_unmatched":0' in output, output
    table = results(out)
    assert table["case_id"].to_list() == ["1", "2"]
    assert "mrd" not in (table["missing_fields"][0] or "") and "mrd" in table["missing_fields"][1]


def test_a_folder_named_like_an_ndjson_file_is_not_read(tmp_path: Path) -> None:
    export = tmp_path / "export"
    (export / "odd.ndjson").mkdir(parents=True)
    code, output, _ = cohort(tmp_path, export, "out")
    assert code == 2 and "a folder without .ndjson files" in output and "internal error" not in output


def test_hostile_rows_are_their_own_errors(tmp_path: Path) -> None:
    """A JSON Lines case nested 1,000 deep, a case whose line is not UTF-8, and ids with
    control characters or past 200 characters: each row an error, the others assessed."""
    from tests.case.test_untrusted import nested
    from tests.conftest import BASE_CASE

    good = orjson.dumps(BASE_CASE)
    deep = orjson.dumps(BASE_CASE | {"id": "deep", "extra": "X"}).replace(b'"X"', nested(1000).encode())
    lines = [good, deep, b'{"id": "caf\xe9"}', orjson.dumps(BASE_CASE | {"id": "c\u0000d"}),
             good.replace(b'"base"', b'"two"')]
    (tmp_path / "cases.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    code, _output, out = cohort(tmp_path, tmp_path / "cases.jsonl", "jsonl")
    assert code == 2
    errors = [orjson.loads(line) for line in (out / "errors.jsonl").read_bytes().splitlines()]
    assert [(e["row"], e["errors"][0]["message"]) for e in errors] == [
        (2, "nested more than 32 levels deep"), (3, "not UTF-8 text (byte 0xe9 at byte 12)"),
        (4, "contains the control character U+0000; an id is printable text")]
    assert results(out).filter(pl.col("error").is_null())["case_id"].to_list() == ["base", "two"]
    rows = [GOOD | {"id": "MRN\u202e321"}, GOOD | {"id": "x" * 300}, GOOD | {"id": "c2"}]
    code, _output, out = cohort(tmp_path, write_csv(tmp_path / "ids.csv", rows), "csv")
    assert code == 2
    errors = [orjson.loads(line) for line in (out / "errors.jsonl").read_bytes().splitlines()]
    assert [e["errors"][0]["message"] for e in errors] == [
        "contains the control character U+202E; an id is printable text",
        "'xxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxx': String should have at most 200 characters"]
    assert errors[1]["case_id"] == "x" * 40 + "... (300 characters)"
