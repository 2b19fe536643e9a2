"""The impact of a knowledge release on a cohort table (CSV or Parquet, the cohort format),
one comparison per class of rows.

The cohort's vectorised path (cohort/classes.py) puts rows in classes that get the same
assessment: every cell the same except dates, ages and measurements, which fall between
the same bounds. Here the bounds are those of both releases together, so rows of a class
get the same assessment under each release, and one comparison per class serves all its
rows. Rows the vectorised path cannot vouch for are compared one by one.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from rrall.case.load import parse_case
from rrall.case.model import Case
from rrall.cohort import run
from rrall.cohort.classes import Bounds, bounds, bucket, derive, usable_columns
from rrall.cohort.columns import row_to_case
from rrall.cohort.vector import Batch, batches
from rrall.errors import CaseInputError, FieldError
from rrall.release.impact import Change, Impact

TABLES = (".csv", ".parquet")
MEMO_LIMIT = 200_000


def both_limits(impact: Impact) -> Bounds | None:
    """The bounds of both releases, per quantity (None: a release reads a number the classes
    cannot key, so every row goes one by one)."""
    found = [bounds(impact.sides.old), bounds(impact.sides.new)]
    if found[0] is None or found[1] is None:
        return None
    names = set(found[0].by_quantity) | set(found[1].by_quantity)
    return Bounds(
        {
            name: np.union1d(
                found[0].by_quantity.get(name, np.array([])), found[1].by_quantity.get(name, np.array([]))
            )
            for name in names
        }
    )


def _case(row: run.Row, impact: Impact, today: date) -> Case | CaseInputError:
    source, number, raw = row
    try:
        if "__shape__" in raw:
            raise CaseInputError([FieldError("", raw["__shape__"], "one cell per column")], source, number)
        return parse_case(row_to_case(raw), impact.new, today, source, number)
    except CaseInputError as exc:
        return exc


def impact_table(impact: Impact, path: Path, today: date | None = None) -> int:
    """Add every row of a cohort table to the impact run; return the classes compared."""
    today = today or date.today()
    limits = both_limits(impact)
    memo: dict[tuple[Any, ...], tuple[Change, ...] | None] = {}
    compared = 0
    for batch in batches(path):
        slow = list(range(batch.frame.height))
        raw_columns = [c for c in batch.frame.columns if c not in ("_pos", "_line")]
        if limits is not None and usable_columns(batch.frame.select(raw_columns).schema):
            slow, done = _by_class(impact, batch, limits, today, memo)
            compared += done
        for i in slow:
            impact.add(_case(batch.row(i), impact, today))
        for _pos, row in batch.misshapen:
            impact.add(_case(row, impact, today))
    return compared


def _by_class(
    impact: Impact,
    batch: Batch,
    limits: Bounds,
    today: date,
    memo: dict[tuple[Any, ...], tuple[Change, ...] | None],
) -> tuple[list[int], int]:
    """Compare one row per class and record the result for every row of it; return the rows
    left to the per-case path and the number of classes compared."""
    frame = batch.frame
    index = {p: i for i, p in enumerate(frame["_pos"].to_list())}
    derived, keys = derive(frame, today, set())
    derived, more = bucket(derived, limits)
    keys += more
    fast = derived.filter(pl.col("_fast"))
    classes = fast.group_by(keys, maintain_order=True).agg(pl.col("_pos").first(), pl.col("_case_id"))
    compared = 0
    slow_positions: set[int] = set()
    if len(memo) > MEMO_LIMIT:
        memo.clear()
    for values in classes.rows():
        key, first, case_ids = tuple(values[:-2]), values[-2], values[-1]
        if key not in memo:
            case = _case(batch.row(index[first]), impact, today)
            memo[key] = None if isinstance(case, CaseInputError) else impact.changes(case)
            compared += 1
        changes = memo[key]
        if changes is None:  # the per-case path reports the error for each row
            slow_positions.update(
                p for p in fast.filter(pl.Series(_matches(fast, keys, key)))["_pos"].to_list()
            )
            continue
        for case_id in case_ids:
            impact.record(str(case_id), changes)
    done = set(fast["_pos"].to_list()) - slow_positions
    return [i for p, i in index.items() if p not in done], compared


def _matches(frame: pl.DataFrame, keys: list[str], key: tuple[Any, ...]) -> list[bool]:
    rows = frame.select(keys).rows()
    return [row == key for row in rows]
