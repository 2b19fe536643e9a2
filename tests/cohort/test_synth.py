"""`rrall synth`: labelled synthetic, deterministic, proportions and survival as specified,
and every row valid cohort input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from lifelines import KaplanMeierFitter
from typer.testing import CliRunner

from rrall.cli import app
from rrall.cohort.synth import load_parameters, write_cohort

runner = CliRunner()


def test_every_parameter_is_sourced_or_an_assumption() -> None:
    from rrall.knowledge.load import default_knowledge

    references = default_knowledge().references
    for name, p in load_parameters().parameters.items():
        assert (p.source in references and p.quote) or (p.assumption and p.note), name


def test_deterministic_and_labelled(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_cohort(first, 300, 5, {})
    write_cohort(second, 300, 5, {})
    assert first.read_bytes() == second.read_bytes()
    frame = pl.read_csv(first)
    assert frame["id"].str.starts_with("SYNTHETIC-").all()
    sidecar = json.loads((tmp_path / "a.csv.synthetic.json").read_text())
    assert sidecar["synthetic"] is True and "not patient data" in sidecar["warning"]


def _months(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        ((pl.col("relapse_date").str.to_date() - pl.col("diagnosis_date").str.to_date()).dt.total_days()
         / 30.44).alias("months"),
        ((pl.col("last_follow_up_date").str.to_date() - pl.col("relapse_date").str.to_date()).dt.total_days()
         / 365.25).alias("years"),
        (pl.col("vital_status") == "dead").alias("died"))


def test_proportions_and_survival_follow_the_parameters(tmp_path: Path) -> None:
    path = tmp_path / "big.parquet"
    write_cohort(path, 30_000, 11, {})
    p = {k: v.value for k, v in load_parameters().parameters.items()}
    frame = _months(pl.read_parquet(path))
    b = frame.filter(pl.col("immunophenotype") == "B")
    t = frame.filter(pl.col("immunophenotype") == "T")
    assert abs(t.height / frame.height - p["t_share"]) < 0.01
    assert abs((b["months"] >= 36).mean() - p["b_late_share"]) < 0.015  # type: ignore[operator]
    assert abs((t["months"] < 18).mean() - p["t_early_share"]) < 0.03  # type: ignore[operator]
    assert abs(b["relapse_sites"].str.contains("bone_marrow").mean() - p["b_marrow_share"]) < 0.015  # type: ignore[operator]
    # Six groups are checked at once, so each band is a 1 - 0.05/6 one (Bonferroni).
    for lineage, part in (("b", b), ("t", t)):
        for timing, low, high in (("early", 0, 18), ("intermediate", 18, 36), ("late", 36, 999)):
            group = part.filter((pl.col("months") >= low) & (pl.col("months") < high))
            fit = KaplanMeierFitter(alpha=0.05 / 6).fit(group["years"].to_list(), group["died"].to_list())
            lower, upper = fit.confidence_interval_survival_function_.loc[:5].iloc[-1]
            target = p[f"os5_{lineage}_{timing}"]
            assert lower <= target <= upper, (lineage, timing, lower, target, upper)


def test_rows_are_valid_cohort_input(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    made = runner.invoke(app, ["synth", "--n", "400", "--seed", "2", "--out", str(path)])
    assert made.exit_code == 0, made.output
    assert "assumptions, not published figures" in made.output
    out = tmp_path / "out"
    ran = runner.invoke(app, ["cohort", str(path), "--out", str(out), "--workers", "1"])
    assert ran.exit_code == 0, ran.output
    results = pl.read_parquet(out / "results.parquet")
    assert results["error"].is_null().all() and results.height == 400
    assert "Kaplan" in (out / "summary.html").read_text()
    assert date.fromisoformat(results["relapse_date"].cast(pl.String)[0])


@pytest.mark.parametrize(("args", "said"), [
    (["--set", "nonsense=1"], "is not a parameter"),
    (["--set", "t_share=abc"], "allowed: a number"),
    (["--set", "b_late_share=7"], "a share, from 0 to 1"),
    (["--set", "os5_b_early=0"], "above 0 and at most 1"),
    (["--set", "cir5_second_relapse=1"], "below 1"),
    (["--set", "follow_up_years_max=0.5"], "from 1 to 50"),
    (["--out", "x.json"], "allowed: .csv, .parquet"),
    (["--out", "no-such-folder/x.csv"], "does not exist"),
])
def test_bad_options(tmp_path: Path, args: list[str], said: str) -> None:
    result = runner.invoke(app, ["synth", "--n", "5", "--out", str(tmp_path / "s.csv"), *args])
    assert result.exit_code == 2 and said in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("setting", ["os5_b_early=1", "cir5_second_relapse=0"])
def test_edge_values_mean_nobody_dies_or_relapses_again(tmp_path: Path, setting: str) -> None:
    path = tmp_path / "s.csv"
    result = runner.invoke(app, ["synth", "--n", "300", "--out", str(path), "--set", setting])
    assert result.exit_code == 0, result.output
    frame = _months(pl.read_csv(path, infer_schema=False))
    if setting.startswith("cir5"):
        assert (frame["event_type"] != "second_relapse").all()
    else:
        b_early = frame.filter((pl.col("immunophenotype") == "B") & (pl.col("months") < 18))
        assert b_early.height > 10 and not b_early["died"].any()
        assert frame["died"].any()
