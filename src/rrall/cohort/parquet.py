"""Parquet inputs of the flat layout: which column types are allowed, checked once before
any row is read, and how typed columns are read so that a row means what the same row
written as CSV text would mean.

- A 32-bit float is read through its shortest decimal text (0.01 stays 0.01, not
  0.0099999998 as a 64-bit float would make of it), so a value written on a bound is
  compared as written. A Decimal is read as its text.
- A date-time in a date column is read as its date when it is midnight (what pandas
  writes for a date by default) and otherwise as its text, which the case loader refuses
  with the row's field error ("a date without a time").
- A date whose year Python cannot hold (year 0, say) is read as its text, so that it is a
  field error of its row rather than a crash.
- Categorical and Enum columns are read as their text.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from rrall.cohort.columns import ANTHRACYCLINES, COLUMNS, DATES, LONG_COLUMNS, MEASURED
from rrall.errors import FieldError

DATE_COLUMNS = (*DATES, "last_follow_up_date", "event_date")
NUMBER_COLUMNS = (*MEASURED, *ANTHRACYCLINES)
LONG_NUMBERS = ("marrow_blasts_percent", "value", "relapse")
_TEXT = {pl.String, pl.Null, pl.Categorical, pl.Enum}
_INTEGER = {pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64}
_NUMBER = _TEXT | _INTEGER | {pl.Float32, pl.Float64, pl.Decimal}
_DATE = _TEXT | {pl.Date, pl.Datetime}


def allowed_types(column: str, dates: tuple[str, ...], numbers: tuple[str, ...]) -> tuple[set[Any], str]:
    """The Parquet types a column may have, and how to say them."""
    if column in dates:
        return _DATE, "a date, a date-time at midnight, or text YYYY-MM-DD"
    if column in numbers:
        return _NUMBER, "a number (integer, float or decimal) or its text"
    if column == "id":  # a float id: integers with a gap, as pandas writes them
        return _TEXT | _INTEGER | {pl.Float32, pl.Float64}, "text or a number"
    if column == "bcr_abl1":
        return _TEXT | {pl.Boolean}, "a boolean or text true/false"
    return _TEXT, "text"


def check_types(schema: Mapping[str, pl.DataType], long: bool = False) -> list[FieldError]:
    """Every column of a known name whose type the layout (flat, or the long table)
    cannot read, reported at once."""
    names, dates, numbers = (LONG_COLUMNS, ("date",), LONG_NUMBERS) if long else (
        COLUMNS, DATE_COLUMNS, NUMBER_COLUMNS)
    errors = []
    for name, dtype in schema.items():
        if name not in names:
            continue  # reported by the column check
        allowed, words = allowed_types(name, dates, numbers)
        if dtype.base_type() not in allowed:
            errors.append(FieldError(f"column {name!r}", f"has the Parquet type {dtype}", words))
    return errors


def readable(path: Path, dates: tuple[str, ...] = DATE_COLUMNS) -> pl.LazyFrame:
    """The Parquet file as a lazy frame whose typed columns read as described above
    (`dates`: the columns that hold dates)."""
    schema = pl.read_parquet_schema(path)
    frame = pl.scan_parquet(path)
    casts = []
    for name, dtype in schema.items():
        column = pl.col(name)
        base = dtype.base_type()
        if base == pl.Float32 and name != "id":  # a float id is read as its integer (columns.py)
            casts.append(pl.when(column.is_nan()).then(None).otherwise(column.cast(pl.String)).alias(name))
        elif base in (pl.Decimal, pl.Categorical, pl.Enum):
            casts.append(column.cast(pl.String))
        elif base == pl.Datetime and name in dates:
            midnight = column.dt.time() == pl.time(0)
            casts.append(pl.when(midnight).then(column.dt.strftime("%Y-%m-%d"))
                         .otherwise(column.dt.strftime("%Y-%m-%dT%H:%M:%S")).alias(name))
    beyond = [name for name, dtype in schema.items() if dtype.base_type() == pl.Date]
    if beyond:
        found = frame.select([(pl.col(c).dt.year() < 1).any().alias(c) for c in beyond]).collect()
        casts += [pl.col(c).cast(pl.String) for c in beyond if found[c].item()]
    return frame.with_columns(casts) if casts else frame
