"""Survival analysis on a synthetic cohort whose true curves are known: estimates fall in
their confidence bands; the report shows the section and writes the figures."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from rrall.cli import app
from rrall.cohort.survival import DAYS_PER_MONTH, by_group, follow_up
from tests.cohort.test_cohort import GOOD, write_csv

runner = CliRunner()
RELAPSE = date(2015, 1, 1)


def cohort(n: int, five_year_os: dict[str, float], seed: int = 7) -> pl.DataFrame:
    """Exponential survival per group (true 5-year OS given), uniform censoring over 10
    years; no second relapses."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        group = rng.choice(sorted(five_year_os))
        rate = -math.log(five_year_os[group]) / 60  # per month
        death = rng.expovariate(rate)
        censor = rng.uniform(0, 120)
        months = min(death, censor)
        last = RELAPSE + timedelta(days=round(months * DAYS_PER_MONTH))
        died = death <= censor
        rows.append({"case_id": f"s{i}", "error": None, "relapse_date": RELAPSE,
                     "last_follow_up_date": last.isoformat(), "vital_status": "dead" if died else "alive",
                     "event_date": last.isoformat() if died else None,
                     "event_type": "death" if died else "none",
                     "bfm_group": group, "intreall_group": None, "cog_group": None, "uk_group": None})
    return pl.from_dicts(rows)


def test_kaplan_meier_recovers_known_curves(tmp_path: Path) -> None:
    truth = {"S1": 0.8, "S3": 0.3}
    data, problems = follow_up(cohort(3000, truth))
    assert not problems and data.height == 3000
    result = by_group(data, "bfm", tmp_path / "figures")
    for curve in result.groups:
        five = next(e for e in curve.os if e.years == 5)
        assert five.low is not None and five.high is not None
        assert five.low <= truth[curve.group] <= five.high, (curve.group, five)
        one = next(e for e in curve.os if e.years == 1)
        expected = truth[curve.group] ** (12 / 60)
        assert one.low is not None and one.high is not None and one.low <= expected <= one.high
        cir = next(e for e in curve.cir if e.years == 5)
        assert cir.value == 0.0  # no second relapse in this cohort: death competes, never counts
        assert curve.at_risk[0] == curve.n
    assert {"os_by_bfm.svg", "os_by_bfm.png", "cir_by_bfm.svg", "cir_by_bfm.png"} <= set(result.figures)
    assert (tmp_path / "figures" / "os_by_bfm.png").stat().st_size > 1000


def test_contradictory_dates_are_left_out_and_counted() -> None:
    frame = cohort(20, {"S1": 0.8})
    frame = frame.with_columns(
        pl.when(pl.col("case_id") == "s0").then(pl.lit("2014-01-01")).otherwise(pl.col("last_follow_up_date"))
        .alias("last_follow_up_date"))
    data, problems = follow_up(frame)
    assert data.height == 19 and problems == ["s0: last follow-up before the relapse"]


def test_report_has_survival_with_follow_up_columns(tmp_path: Path) -> None:
    rows = []
    for i in range(12):
        dead = i % 3 == 0
        last = f"202{3 + i % 3}-0{1 + i % 9}-15"
        kind = "second_relapse" if i % 4 == 1 else ("death" if dead else "none")
        when = "2022-06-01" if kind == "second_relapse" else (last if dead else "")
        status = "dead" if dead else "alive"
        rows.append(GOOD | {"id": f"c{i}", "last_follow_up_date": last, "vital_status": status,
                            "event_type": kind, "event_date": when})
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", str(write_csv(tmp_path / "in.csv", rows)), "--out", str(out),
                                 "--workers", "1"])
    assert result.exit_code == 0, result.output
    html = (out / "summary.html").read_text()
    assert 'id="survival"' in html and "OS 5 y" in html and "CIR" in html and "figures/os_by_cog.svg" in html
    assert (out / "figures" / "cir_by_uk.png").exists()


def test_bad_follow_up_values_are_reported_not_guessed() -> None:
    frame = cohort(6, {"S1": 0.8}).with_columns(
        pl.when(pl.col("case_id") == "s0").then(pl.lit("deceased")).otherwise(pl.col("vital_status"))
        .alias("vital_status"),
        pl.when(pl.col("case_id") == "s1").then(pl.lit("2019-13-01")).otherwise(pl.col("last_follow_up_date"))
        .alias("last_follow_up_date"))
    data, problems = follow_up(frame)
    assert data.height == 4
    assert any("s0" in p and "deceased" in p for p in problems)
    assert any("s1" in p and "not a date" in p for p in problems)


def test_report_survives_a_framework_without_groups(tmp_path: Path) -> None:
    from rrall.cohort.summary import summarise, write_html

    frame = cohort(30, {"S1": 0.8}).with_columns(pl.lit(None, dtype=pl.String).alias("disease_state"),
                                                pl.lit("").alias("missing_fields"))
    for column in ("immunophenotype", "site", "timing_bfm", "timing_cog"):
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    for fw in ("bfm", "intreall", "cog", "uk"):
        frame = frame.with_columns(pl.lit("assigned").alias(f"{fw}_status"))
    write_html(summarise(frame, 0, "k", "e", tmp_path / "figures"), tmp_path / "summary.html")
    html = (tmp_path / "summary.html").read_text()
    assert "No child with follow-up was assigned a intreall group" in html
