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
from rrall.knowledge.load import KnowledgeBase
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


def test_report_survives_a_framework_without_groups(tmp_path: Path, kb: KnowledgeBase) -> None:
    from rrall.cohort.summary import summarise, write_html

    frame = cohort(30, {"S1": 0.8}).with_columns(pl.lit(None, dtype=pl.String).alias("disease_state"),
                                                pl.lit("").alias("missing_fields"))
    for column in ("immunophenotype", "site", "timing_bfm", "timing_cog"):
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    for fw in ("bfm", "intreall", "cog", "uk"):
        frame = frame.with_columns(pl.lit("assigned").alias(f"{fw}_status"))
    write_html(summarise(frame, 0, kb, "e", tmp_path / "figures"), tmp_path / "summary.html")
    html = (tmp_path / "summary.html").read_text()
    assert "No child with follow-up was assigned a IntReALL group" in html


def competing(n: int, second_rate: float, death_rate: float, seed: int = 11) -> pl.DataFrame:
    """Second relapse and death as competing exponential hazards (per month), uniform
    censoring over 10 years; a child who relapses again is followed on to death or censoring."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        second, death, censor = rng.expovariate(second_rate), rng.expovariate(death_rate), rng.uniform(0, 120)
        def day(months: float) -> str:
            return (RELAPSE + timedelta(days=round(months * DAYS_PER_MONTH))).isoformat()
        if min(second, death) > censor:
            row = {"last_follow_up_date": day(censor), "vital_status": "alive", "event_date": None,
                   "event_type": "none"}
        elif death < second:
            row = {"last_follow_up_date": day(death), "vital_status": "dead", "event_date": day(death),
                   "event_type": "death"}
        else:
            later = rng.expovariate(death_rate * 3)  # death after a second relapse comes sooner
            died = second + later <= censor
            row = {"last_follow_up_date": day(second + later if died else censor),
                   "vital_status": "dead" if died else "alive", "event_date": day(second),
                   "event_type": "second_relapse"}
        rows.append({"case_id": f"k{i}", "error": None, "relapse_date": RELAPSE, **row, "bfm_group": "S2",
                     "intreall_group": None, "cog_group": None, "uk_group": None})
    return pl.from_dicts(rows)


def test_cumulative_incidence_and_efs_recover_known_competing_risks(tmp_path: Path) -> None:
    second_rate, death_rate = 0.006, 0.004  # per month
    data, problems = follow_up(competing(4000, second_rate, death_rate))
    assert not problems and data.height == 4000
    curve = by_group(data, "bfm", None).groups[0]
    total = second_rate + death_rate
    for years in (1, 3, 5):
        months = 12 * years
        # Cumulative incidence of the event of interest under constant competing hazards.
        true_cir = second_rate / total * (1 - math.exp(-total * months))
        true_efs = math.exp(-total * months)
        cir = next(e for e in curve.cir if e.years == years)
        efs = next(e for e in curve.efs if e.years == years)
        assert cir.low is not None and cir.high is not None and efs.low is not None and efs.high is not None
        assert cir.low <= true_cir <= cir.high, (years, cir, true_cir)
        assert efs.low <= true_efs <= efs.high, (years, efs, true_efs)
        # Ignoring the competing deaths (1 - KM of second relapse) would overstate it.
        assert true_cir < 1 - math.exp(-second_rate * months)


def test_follow_up_without_event_type_counts_for_os_only() -> None:
    blank = pl.col("case_id").is_in(["s0", "s1"])
    frame = cohort(40, {"S1": 0.5}).with_columns(
        pl.when(blank).then(None).otherwise(pl.col("event_type")).alias("event_type"),
        pl.when(blank).then(None).otherwise(pl.col("event_date")).alias("event_date"))
    data, problems = follow_up(frame)
    assert not problems and data.height == 40
    blank = data.filter(pl.col("case_id").is_in(["s0", "s1"]))
    assert blank["code"].is_null().all() and blank["efs_months"].is_null().all()
    assert blank["os_months"].is_not_null().all()
    curve = by_group(data, "bfm", None).groups[0]
    assert curve.n == 40 and curve.n_events_known == 38


def test_a_group_without_any_event_type_has_os_and_no_efs(tmp_path: Path) -> None:
    """A registry that records vital status only: OS by group, EFS and CIR not estimated."""
    frame = cohort(60, {"S1": 0.5, "S3": 0.3}).with_columns(
        pl.when(pl.col("bfm_group") == "S3").then(None).otherwise(pl.col(c)).alias(c)
        for c in ("event_type", "event_date"))
    data, problems = follow_up(frame)
    assert not problems and data.height == 60
    result = by_group(data, "bfm", tmp_path / "figures")
    s3 = next(g for g in result.groups if g.group == "S3")
    assert s3.n_events_known == 0 and all(e.value is None for e in s3.efs + s3.cir)
    assert s3.os[0].value is not None
    assert (tmp_path / "figures" / "cir_by_bfm.svg").exists()


def test_follow_up_contradictions_are_listed_not_guessed() -> None:
    frame = cohort(8, {"S1": 0.5}, seed=3)
    died = frame.filter(pl.col("vital_status") == "dead")["case_id"].to_list()
    alive = frame.filter(pl.col("vital_status") == "alive")["case_id"].to_list()
    assert len(died) >= 2 and len(alive) >= 2
    changes = {
        died[0]: {"event_date": "2015-02-01"},  # a death before the last follow-up
        died[1]: {"event_type": "none", "event_date": None},  # dead, but "no event"
        alive[0]: {"event_date": "2015-03-01"},  # "none" with an event date
    }
    rows = [r | changes.get(r["case_id"], {}) for r in frame.iter_rows(named=True)]
    data, problems = follow_up(pl.from_dicts(rows))
    assert data.height == 5
    assert f"{died[0]}: event_date of the death is not last_follow_up_date" in " ".join(problems)
    assert f"{died[1]}: vital_status dead but event_type none" in " ".join(problems)
    assert f"{alive[0]}: event_type none but an event_date is given" in " ".join(problems)
