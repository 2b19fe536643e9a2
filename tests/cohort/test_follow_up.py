"""The column-by-column follow-up reading equals the row-by-row one it stands in for, on
follow-up cells of every kind (plain, padded, mixed case, impossible, contradictory), and
each kind of contradiction is among the problems."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl

from rrall.cohort import survival

DATES = ["", "  ", None, "2015-02-30", "0000-01-01", "2015/01/01", "2016-01-01T10:00", "20160101", "soon"]
WORDS = {"vital_status": ["alive", "dead", " Dead ", "ALIVE", "", None, "unknown", "alive\\t"],
         "event_type": ["none", "second_relapse", "death", "Death", "", None, "relapse", " none "]}


def messy(n: int, seed: int) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        start = date(2010, 1, 1) + timedelta(days=rng.randrange(0, 3000))
        last = rng.choice([(start + timedelta(days=rng.randrange(-30, 3000))).isoformat()] * 30 + DATES)
        event = rng.choice([None] * 20 + [(start + timedelta(days=rng.randrange(-10, 3100))).isoformat()] * 10
                           + [last] * 10 + DATES)
        rows.append({
            "case_id": f"C{i}", "error": rng.choice([None] * 9 + ["bad row"]),
            "first_relapse_date": rng.choice([start] * 9 + [None]),
            "last_follow_up_date": last, "event_date": event,
            "vital_status": rng.choice(WORDS["vital_status"][:2] * 20 + WORDS["vital_status"]),
            "event_type": rng.choice(WORDS["event_type"][:3] * 20 + WORDS["event_type"]),
            "bfm_group": rng.choice(["S1", "S2", None]), "intreall_group": None, "cog_group": "high",
            "uk_group": rng.choice(["standard", "high"]),
        })
    return pl.DataFrame(rows, schema_overrides={"first_relapse_date": pl.Date}, orient="row")


def test_columns_and_rows_read_follow_up_alike() -> None:
    frame = messy(4_000, seed=2)
    data, problems = survival.follow_up(frame)
    assessed = frame.filter(pl.col("error").is_null()).with_row_index("_i")
    expected, listed = survival._by_row(assessed, "first_relapse_date")
    assert data.equals(expected.drop("_i"))
    assert problems == [text for _, text in listed]
    assert data.height > 400 and len(problems) > 300
    for kind in (survival.DEATH_NOT_DEAD, survival.BEFORE_RELAPSE, survival.OUTSIDE, survival.DEATH_NOT_LAST,
                 survival.NONE_WITH_DATE, survival.NONE_BUT_DEAD, survival.DATE_WITHOUT_TYPE, "not a date",
                 "not in alive|dead"):
        assert any(kind in text for text in problems), kind
    os_only = data.filter(pl.col("code").is_null())  # no event_type: OS only
    assert os_only.height > 10
    assert os_only["efs_months"].is_null().all() and os_only["efs_event"].is_null().all()
