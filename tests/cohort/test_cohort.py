"""Cohort mode: column checks, bad rows among good ones, the same results in parallel,
Cohen's kappa on hand-checked tables, and the summary report's sections."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from typer.testing import CliRunner

from rrall.assessment import input_sha256
from rrall.case.load import load_case, parse_case
from rrall.cli import app
from rrall.cohort import run
from rrall.cohort.columns import row_to_case
from rrall.cohort.summary import agreement, cohen_kappa
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import ROOT, TODAY

runner = CliRunner()
GOOD = {"id": "c1", "sex": "male", "date_of_birth": "2012-03-04", "assessment_date": "2022-01-10",
        "diagnosis_date": "2015-01-14", "immunophenotype": "B", "frontline_end_date": "2017-04-30",
        "diagnosis_genetics": "none", "relapse_date": "2021-11-20", "relapse_sites": "bone_marrow",
        "marrow_blasts_percent": "60", "cd19": "positive", "mrd_end_of_reinduction_percent": "0.05",
        "prior_allogeneic_hsct_date": "", "prior_agents": ""}


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_unknown_and_missing_columns_are_reported_before_any_row(tmp_path: Path) -> None:
    rows = [{k: v for k, v in GOOD.items() if k != "sex"} | {"colour": "red"}]
    source = write_csv(tmp_path / "in.csv", rows)
    result = runner.invoke(app, ["cohort", str(source), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "'colour'" in result.output and "'sex'" in result.output and "required" in result.output
    assert not (tmp_path / "out").exists()


def test_the_prior_therapy_columns_must_be_there_for_empty_to_mean_none(tmp_path: Path) -> None:
    rows = [{k: v for k, v in GOOD.items() if not k.startswith("prior_")}]
    source = write_csv(tmp_path / "in.csv", rows)
    result = runner.invoke(app, ["cohort", str(source), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    for column in ("prior_allogeneic_hsct_date", "prior_agents"):
        assert f"column '{column}': is required but missing" in result.output
    assert "cannot tell 'none' from 'not recorded'" in result.output
    assert not (tmp_path / "out").exists()


def test_bad_rows_are_reported_and_the_others_assessed(tmp_path: Path) -> None:
    rows = [GOOD, GOOD | {"id": "c2", "relapse_date": "2014-01-01"},
            GOOD | {"id": "c3", "sex": "female", "relapse_sites": "testis", "marrow_blasts_percent": "0"},
            GOOD | {"id": "c4", "immunophenotype": "T"}]
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", str(write_csv(tmp_path / "in.csv", rows)), "--out", str(out),
                                 "--workers", "1"])
    assert result.exit_code == 2
    frame = pl.read_parquet(out / "results.parquet")
    assert frame.height == 4
    assert frame.filter(pl.col("error").is_null())["case_id"].to_list() == ["c1", "c4"]
    errors = [orjson.loads(line) for line in (out / "errors.jsonl").read_bytes().splitlines()]
    assert [(e["case_id"], e["row"]) for e in errors] == [("c2", 3), ("c3", 4)]
    assert "testis" in orjson.dumps(errors[1]).decode()
    good = frame.filter(pl.col("case_id") == "c4").row(0, named=True)
    assert good["cog_group"] == "high" and good["option_nelarabine"] == "consider"


@pytest.mark.parametrize("mode", ["--vectorised", "--per-case"])
def test_relapse_columns_without_a_relapse_date_are_refused_by_name(tmp_path: Path, mode: str) -> None:
    """A primary refractory row's CD19 goes to the disease after induction; a relapse-only
    column (BCR::ABL1 at relapse, response to reinduction) has no place there: refused by its
    column, never dropped in silence. Both paths say the same."""
    primary = GOOD | {"relapse_date": "", "relapse_sites": "", "induction_outcome": "induction_failure",
                      "frontline_end_date": "", "mrd_end_of_reinduction_percent": ""}
    rows = [primary | {"id": "p1"}, primary | {"id": "p2", "bcr_abl1": "true", "reinduction_outcome": "CR"}]
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", str(write_csv(tmp_path / "in.csv", rows)), "--out", str(out),
                                 "--workers", "1", mode])
    assert result.exit_code == 2
    frame = pl.read_parquet(out / "results.parquet")
    assert frame.filter(pl.col("error").is_null())["case_id"].to_list() == ["p1"]
    [error] = [orjson.loads(line) for line in (out / "errors.jsonl").read_bytes().splitlines()]
    assert error["case_id"] == "p2" and error["row"] == 3
    assert [e["path"] for e in error["errors"]] == ["column 'bcr_abl1'", "column 'reinduction_outcome'"]
    assert "relapse_date is empty" in error["errors"][0]["message"]


def test_a_flat_row_is_the_same_case_as_its_file(kb: KnowledgeBase) -> None:
    row = GOOD | {"diagnosis_genetics": "ETV6::RUNX1", "bcr_abl1": "false"}
    from_row = parse_case(row_to_case(row), kb, TODAY)
    case = {"id": "c1", "sex": "male", "date_of_birth": "2012-03-04", "assessment_date": "2022-01-10",
            "diagnosis": {"date": "2015-01-14", "immunophenotype": "B", "frontline_end_date": "2017-04-30",
                          "genetics": ["ETV6::RUNX1"]},
            "relapses": [{"date": "2021-11-20", "sites": ["bone_marrow"], "marrow_blasts_percent": 60,
                          "cd19": "positive", "bcr_abl1": False}],
            "mrd": [{"timepoint": "end_of_reinduction", "value": 0.05, "unit": "percent"}]}
    from_file = parse_case(case, kb, TODAY)
    assert input_sha256(from_row) == input_sha256(from_file)


def test_parallel_run_equals_sequential(tmp_path: Path, kb: KnowledgeBase,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [orjson.dumps(load_case(p, kb).model_dump(mode="json"))
             for p in sorted((ROOT / "examples" / "cases").glob("*.yaml"))] + [b"{broken"]
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    monkeypatch.setattr(run, "CHUNK", 5)
    sequential = list(run.assess_rows(run.read_rows(path), kb, TODAY, workers=1))
    parallel = list(run.assess_rows(run.read_rows(path), kb, TODAY, workers=2))
    assert parallel == sequential
    rows = [r for results, _ in sequential for r in results]
    assert len(rows) == 25 and sum(r["error"] is not None for r in rows) == 1


@pytest.mark.parametrize(("pairs", "kappa"), [
    ([("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")], 0.5),  # po 0.75, pe (2*1 + 2*3)/16 = 0.5
    ([("a", "a"), ("b", "b"), ("c", "c")], 1.0),
    ([("a", "b"), ("b", "a")], -1.0),  # po 0, pe 0.5
    ([("a", "a"), ("a", "a")], None),  # one category only: chance agreement is 1
    ([], None),
])
def test_cohen_kappa_on_hand_checked_tables(pairs: list[tuple[str, str]], kappa: float | None) -> None:
    assert cohen_kappa(pairs) == (None if kappa is None else pytest.approx(kappa))


def test_agreement_on_a_hand_checked_cohort(kb: KnowledgeBase) -> None:
    groups = [("S1", "standard", "standard"), ("S2", "standard", "intermediate"),
              ("S2", "high", "intermediate"),
              ("S3", "high", "high"), ("S4", "high", "high"), ("S2", "standard", "high")]
    frame = pl.DataFrame({"bfm_group": [g[0] for g in groups], "intreall_group": [g[1] for g in groups],
                          "cog_group": pl.Series([None] * 6, dtype=pl.String),
                          "uk_group": [g[2] for g in groups]})
    found = {(a.left, a.right): a for a in agreement(frame, kb.frameworks)}
    # BFM vs IntReALL on two tiers (S1, S2 standard; S3, S4 high): agreement 5/6, chance
    # (4*3 + 2*3)/36 = 1/2, kappa (5/6 - 1/2)/(1/2) = 2/3.
    pair = found[("bfm", "intreall")]
    assert pair.scale == ("standard", "high") and pair.n == 6
    assert pair.observed == pytest.approx(5 / 6) and pair.kappa == pytest.approx(2 / 3)
    assert pair.rows == ["S1", "S2", "S3", "S4"] and pair.columns == ["standard", "high"]
    assert pair.table == [[1, 0], [2, 1], [0, 1], [0, 1]]  # the frameworks' own groups, S3 apart from S4
    # BFM vs UK on three tiers: agreement 5/6, chance (1*1 + 3*2 + 2*3)/36 = 13/36, kappa 17/23.
    pair = found[("bfm", "uk")]
    assert pair.scale == ("standard", "intermediate", "high")
    assert pair.kappa == pytest.approx(17 / 23) and pair.table[1] == [0, 2, 1]
    # IntReALL vs UK on two tiers (UK intermediate is not high): agreement 4/6, chance 1/2.
    assert found[("intreall", "uk")].kappa == pytest.approx(1 / 3)
    # COG assigned nobody: nothing to compare.
    cog = found[("bfm", "cog")]
    assert cog.n == 0 and cog.kappa is None and cog.table == [] and not cog.single_tier
    one_sided = agreement(frame.with_columns(cog_group=pl.lit("high")), kb.frameworks)
    pair = next(a for a in one_sided if (a.left, a.right) == ("bfm", "cog"))
    assert pair.single_tier and pair.kappa == 0 and pair.observed == pytest.approx(2 / 6)
    assert not found[("bfm", "uk")].single_tier


def test_summary_report_has_every_section(tmp_path: Path) -> None:
    rows = [GOOD | {"id": f"c{i}", "marrow_blasts_percent": str(10 + i)} for i in range(5)]
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", str(write_csv(tmp_path / "in.csv", rows)), "--out", str(out),
                                 "--workers", "1"])
    assert result.exit_code == 0, result.output
    html = (out / "summary.html").read_text()
    for section in ('id="groups"', 'id="agreement"', 'id="distributions"', 'id="missing"'):
        assert section in html
    assert "does not prescribe" in html and "kappa" in html and "5 case(s) assessed" in html
    assert "BFM and IntReALL: kappa" in html and "observed agreement" in html
    assert "BFM (rows), IntReALL (columns)" in html and "ALL-REZ BFM strategic groups" in html
    assert "SYNTHETIC" not in html  # a cohort of real-looking ids is not labelled synthetic
    assert "standard (BFM S1, IntReALL standard, COG low, UK standard)" in html
    assert "Uncertain: IntReALL:" in html and "Risk stratification schemes for first relapse" in html


def test_the_documented_layout_is_the_code_layout() -> None:
    from rrall.cohort.columns import COLUMNS

    doc = (ROOT / "docs" / "cohort.md").read_text()
    for name in COLUMNS:
        assert f"| `{name}` |" in doc, name


def test_parquet_input_gives_the_same_results_as_csv(tmp_path: Path) -> None:
    rows = [GOOD | {"id": f"c{i}", "marrow_blasts_percent": str(20 + i)} for i in range(4)]
    csv_out, parquet_out = tmp_path / "csv", tmp_path / "parquet"
    runner.invoke(app, ["cohort", str(write_csv(tmp_path / "in.csv", rows)), "--out", str(csv_out),
                        "--workers", "1"])
    typed = pl.DataFrame(rows).with_columns(pl.col("marrow_blasts_percent").cast(pl.Float64),
                                            pl.col("date_of_birth").str.to_date())
    typed.write_parquet(tmp_path / "in.parquet")
    result = runner.invoke(app, ["cohort", str(tmp_path / "in.parquet"), "--out", str(parquet_out),
                                 "--workers", "1"])
    assert result.exit_code == 0, result.output
    from_parquet = pl.read_parquet(parquet_out / "results.parquet")
    # The same results; only where each row came from differs (a CSV row is its line number).
    from_csv = pl.read_parquet(csv_out / "results.parquet")
    assert from_parquet.drop("source", "row").equals(from_csv.drop("source", "row"))
    assert from_parquet["row"].to_list() == [r - 1 for r in from_csv["row"].to_list()]
    bad = pl.DataFrame({"id": ["x"], "colour": ["red"]})
    bad.write_parquet(tmp_path / "bad.parquet")
    refused = runner.invoke(app, ["cohort", str(tmp_path / "bad.parquet"), "--out", str(tmp_path / "o")])
    assert refused.exit_code == 2 and "'colour'" in refused.output


def test_long_table_adds_later_relapses_and_mrd(tmp_path: Path) -> None:
    flat = [GOOD | {"id": "c1", "relapse_date": "2019-01-10"}, GOOD | {"id": "c2"}]
    flat[0].pop("mrd_end_of_reinduction_percent")
    long = [{"id": "c1", "record": "relapse", "date": "2021-11-20", "sites": "bone_marrow;cns",
             "marrow_blasts_percent": "70", "timepoint": "", "value": "", "unit": "", "relapse": ""},
            {"id": "c1", "record": "mrd", "date": "", "sites": "", "marrow_blasts_percent": "",
             "timepoint": "end_of_reinduction", "value": "0.2", "unit": "percent", "relapse": "2"}]
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", str(write_csv(tmp_path / "in.csv", flat)), "--out", str(out),
                                 "--long", str(write_csv(tmp_path / "long.csv", long)), "--workers", "1"])
    assert result.exit_code == 0, result.output
    rows = {r["case_id"]: r for r in pl.read_parquet(out / "results.parquet").iter_rows(named=True)}
    assert rows["c1"]["disease_state"] == "second_relapse" and rows["c1"]["site"] == "combined"
    assert rows["c1"]["bfm_status"] == "not_applicable"  # the frameworks apply to a first relapse only
    assert rows["c2"]["disease_state"] == "first_relapse"


def test_long_table_problems_are_reported_up_front(tmp_path: Path) -> None:
    long = [{"id": "c1", "record": "relapse", "date": "2021-11-20"},
            {"id": "c1", "record": "biopsy", "date": ""}]
    flat, table = write_csv(tmp_path / "in.csv", [GOOD]), write_csv(tmp_path / "long.csv", long)
    result = runner.invoke(app, ["cohort", str(flat), "--out", str(tmp_path / "out"), "--long", str(table)])
    assert result.exit_code == 2 and "row 3: record" in result.output and "'biopsy'" in result.output
    assert not (tmp_path / "out").exists()


def test_the_documented_long_table_is_the_code_layout() -> None:
    from rrall.cohort.columns import LONG_COLUMNS

    doc = (ROOT / "docs" / "cohort.md").read_text()
    for name in LONG_COLUMNS:
        assert f"| `{name}` |" in doc, name


@pytest.mark.parametrize("mode", ["--vectorised", "--per-case"])
def test_a_repeated_case_id_is_an_error_for_every_row_of_it(tmp_path: Path, mode: str) -> None:
    rows = [GOOD, GOOD | {"id": "c2"}, GOOD | {"id": "c1", "sex": "female"}, GOOD | {"id": " c1"}]
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", str(write_csv(tmp_path / "in.csv", rows)), "--out", str(out),
                                 "--workers", "1", mode])
    assert result.exit_code == 2 and '"assessed":1,"errors":3' in result.output
    frame = pl.read_parquet(out / "results.parquet")
    assert frame["row"].to_list() == [2, 3, 4, 5]
    assert frame["source"].to_list() == [str(tmp_path / "in.csv")] * 4
    assert frame.filter(pl.col("error").is_null())["case_id"].to_list() == ["c2"]
    refused = frame.filter(pl.col("case_id").str.strip_chars() == "c1")
    assert refused["bfm_group"].is_null().all() and refused["error"].str.contains("appears 3 times").all()
    errors = [orjson.loads(line) for line in (out / "errors.jsonl").read_bytes().splitlines()]
    repeated = [e for e in errors if e["errors"][0]["path"] == "id"]
    assert [e["row"] for e in repeated] == [2, 4, 5]  # " c1" is c1: ids are compared without spaces
    assert "in.csv row 2; " in repeated[0]["errors"][0]["message"]
    assert "in.csv row 5)" in repeated[0]["errors"][0]["message"]


def test_long_table_rows_are_named_in_errors_and_unmatched_ids_go_to_a_file(tmp_path: Path) -> None:
    mrd = {"record": "mrd", "timepoint": "end_of_reinduction", "unit": "percent"}
    long = [mrd | {"id": "c1", "value": "-3"}, mrd | {"id": "nobody", "value": "1"}]
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", str(write_csv(tmp_path / "in.csv", [GOOD])), "--out", str(out),
                                 "--long", str(write_csv(tmp_path / "long.csv", long)), "--workers", "1"])
    assert result.exit_code == 2
    errors = [orjson.loads(line) for line in (out / "errors.jsonl").read_bytes().splitlines()]
    assert errors[0]["case_id"] == "c1" and errors[0]["long_table_rows"] == [2]
    assert "nobody" not in result.output  # ids never on the terminal
    assert "long.csv row 3: id 'nobody'" in (out / "long_table_unmatched.txt").read_text()


def test_the_constitutional_columns_fill_the_case_format_v1_1_block() -> None:
    from rrall.case.load import parse_case
    from rrall.cohort.columns import row_to_case

    row = GOOD | {"id": "ds", "down_syndrome": "yes",
                  "germline_predisposition": "TP53; ataxia_telangiectasia"}
    case = parse_case(row_to_case(row))
    assert case.constitutional is not None and case.constitutional.down_syndrome is True
    assert case.constitutional.germline_predisposition == ["TP53", "ataxia_telangiectasia"]
    assert "constitutional" not in row_to_case(GOOD)  # empty cells: not recorded
    none_known = row_to_case(GOOD | {"germline_predisposition": "none"})
    assert none_known["constitutional"] == {"germline_predisposition": []}


def test_a_row_without_a_relapse_gives_its_markers_to_the_refractory_disease() -> None:
    """Case format 1.2: a primary refractory row's marker columns are not lost (before, with
    no relapse to hold them, CD19, CD22, blasts and mutations were dropped)."""
    from rrall.case.load import parse_case
    from rrall.cohort.columns import row_to_case

    row = GOOD | {"relapse_date": "", "relapse_sites": "", "induction_outcome": "induction_failure",
                  "frontline_end_date": "", "mrd_end_of_reinduction_percent": "", "cd22": "dim"}
    case = parse_case(row_to_case(row))
    assert case.relapses == []
    refractory = case.diagnosis.refractory_disease
    assert refractory is not None
    assert (refractory.cd19, refractory.cd22, refractory.marrow_blasts_percent) == ("positive", "dim", 60)
    # with a relapse, they are the relapse's
    assert "refractory_disease" not in row_to_case(GOOD)["diagnosis"]


def test_every_region_s_label_status_is_a_results_column(tmp_path: Path) -> None:
    rows = [GOOD | {"id": "after-hsct", "cd19": "positive", "cd22": "positive",
                    "prior_allogeneic_hsct_date": "2019-01-01"}]
    result = runner.invoke(app, ["cohort", str(write_csv(tmp_path / "in.csv", rows)), "--out",
                                 str(tmp_path / "out"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    table = pl.read_parquet(tmp_path / "out" / "results.parquet").row(0, named=True)
    assert table["label_us_tisagenlecleucel"] == "off_label"
    assert table["label_eu_tisagenlecleucel"] == "on_label"
    assert table["label_eu_inotuzumab_ozogamicin"] == "off_label"
