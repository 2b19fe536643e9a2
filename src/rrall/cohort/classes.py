"""Equivalence classes of flat-table rows, computed column by column.

Two rows whose cells give the same case except for exact dates, ages and measurements
get the same assessment when every derived quantity falls on the same side of every
bound any rule compares it with. This module computes, for a whole batch at once with
polars and numpy, the derived quantities (calendar months, counted as classify/months.py counts them),
the bounds the knowledge base and the trial registry use, and a class key per row:

- every categorical cell exactly as given (so a class never mixes spellings);
- which dates are given, and how each pair of them is ordered (the cross-field checks
  and the post-HSCT and end-of-therapy rules read nothing else from dates);
- for each derived number (months from diagnosis and from the end of front-line therapy,
  age at assessment and at diagnosis, marrow blasts, MRD, white cells, cranial
  radiation), the interval it falls in among the bounds, with the bounds themselves as
  intervals of their own; a measurement within 1e-9 of a bound is keyed by its exact text;
- anthracycline doses exactly as given (they are summed before they are compared).

A row is left to the per-case path (`fast` is false) whenever this module cannot vouch
for reading it exactly as the case loader would: a date not written YYYY-MM-DD, a number
not written as a plain decimal, an identifier with surrounding spaces, a column of an
unexpected type, an id that the long table extends. Adding a numeric requirement the
module does not know to the knowledge base turns the whole path off (`bounds` gives None)
rather than risking a wrong class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from rrall.case.model import Case
from rrall.classify.months import months_between, years_of_months
from rrall.classify.relapse import effective_frontline_end
from rrall.cohort.columns import ANTHRACYCLINES, COLUMNS, DATES, FOLLOW_UP, MEASURED
from rrall.engine import Engine

EXACT = tuple(ANTHRACYCLINES)
CATEGORICAL = tuple(c for c in COLUMNS if c not in (*DATES, *MEASURED, *EXACT, *FOLLOW_UP, "id"))
# The numbers the engine's criteria can read, and the flat quantity each comes from (None:
# no flat column gives it, so it is the same open value for every row; the doses are keyed
# exactly). A numeric fact not listed here turns the path off: the class key could not
# tell its values apart.
QUANTITY_OF_FACT: dict[str, str | None] = {
    "months_from_diagnosis": "months_dx",
    "months_from_frontline_end": "months_end",
    "age": "age",
    "age_at_diagnosis": "age_dx",
    "wbc_at_diagnosis": "wbc_per_uL",
    "mrd_end_of_reinduction": "mrd_end_of_reinduction_percent",
    "relapse_number": None,  # 0 or 1 in a flat row; rows the long table extends go per case
    "doxorubicin_equivalent": None,
    "performance": None,
    # Trial facts (case format 1.1): a flat row gives marrow blasts, the MRD after reinduction
    # (its only, so its latest, MRD; rows the long table extends go per case) and the HSCT
    # date; it gives no CD7, so that fact is open in every row.
    "marrow_blasts": "marrow_blasts_percent",
    "mrd_latest": "mrd_end_of_reinduction_percent",
    "days_from_hsct": "days_hsct",
    "cd7_negative_blasts": None,
    "mrd_at_relapse": None,  # a flat row has no MRD taken at the relapse itself
}
# The case model's own limits for the measured columns (read from its JSON Schema), so a
# value outside them never shares a class with one inside.
_MEASURED_FIELDS = {
    "marrow_blasts_percent": ("Relapse", "marrow_blasts_percent"),
    "mrd_end_of_reinduction_percent": ("MrdMeasurement", "value"),
    "wbc_per_uL": ("Diagnosis", "wbc_per_uL"),
    "cranial_radiation_gy": ("PriorTherapy", "cranial_radiation_gy"),
}
_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_NUMBER_TEXT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_NEAR = 1e-9


@dataclass(frozen=True)
class Bounds:
    """Sorted bounds per derived quantity, in the unit the row gives it."""

    by_quantity: dict[str, np.ndarray[Any, np.dtype[np.float64]]]


def bounds(engine: Engine) -> Bounds | None:
    """Every bound the engine's criteria and the classifier compare a flat row's quantities
    with, plus the case model's limits; None when the criteria read a number this module
    cannot key."""
    numeric = {f for f, spec in engine.kb.grammar.facts.items() if spec.kind == "number" and "." not in f}
    if numeric - set(QUANTITY_OF_FACT):
        return None
    found: dict[str, set[float]] = {
        q: set() for q in ("months_dx", "months_end", "age", "age_dx", "days_hsct", *MEASURED)
    }
    for fact, quantity in QUANTITY_OF_FACT.items():
        if quantity is None:
            continue
        scale = 100 if quantity.endswith("_percent") else 1  # the column is in percent, the fact a fraction
        found[quantity].update(float(b * scale) for b in engine.keys.bounds(fact))
    found["marrow_blasts_percent"].update(
        float(v) for v in engine.ev.classifier.bounds()["marrow_blasts_percent"]
    )
    found["cranial_radiation_gy"].add(0.0)  # prior cranial radiation: more than 0 Gy
    schema = Case.model_json_schema()["$defs"]
    for column, (model, field) in _MEASURED_FIELDS.items():
        spec = schema[model]["properties"][field]
        for option in spec.get("anyOf", [spec]):
            found[column].update(float(option[k]) for k in ("minimum", "maximum") if k in option)
    return Bounds({name: np.array(sorted(values), dtype=np.float64) for name, values in found.items()})


def _by_distinct(
    frame: pl.DataFrame, inputs: dict[str, pl.Expr], fn: Callable[..., Any], dtype: Any
) -> pl.Series:
    """`fn` over each distinct combination of the inputs (classify's own function, once per
    combination), as a column of the frame."""
    values = frame.select(**inputs)
    distinct = values.unique()
    out = [fn(*row) for row in distinct.iter_rows()]
    table = distinct.with_columns(pl.Series("_out", out, dtype=dtype))
    joined = values.join(table, on=list(inputs), how="left", nulls_equal=True, maintain_order="left")
    return joined["_out"]


def _months(start: date | None, end: date | None) -> int | None:
    """classify/months.py's whole calendar months; null when a date is missing or out of order."""
    if start is None or end is None or end < start:
        return None
    return months_between(start, end)


def _frontline_end(
    given: date | None, not_completed: bool, hsct: date | None, relapse: date | None
) -> date | None:
    """classify's end of front-line therapy (an HSCT in first remission ends it)."""
    end, _ = effective_frontline_end(
        "not_completed" if not_completed else given, [hsct] if hsct is not None else [], relapse
    )
    return end if isinstance(end, date) else None


def usable_columns(schema: pl.Schema) -> bool:
    """Whether a table's column types are ones this module reads exactly as the loader does."""

    def kind(name: str) -> Any:
        return schema[name].base_type() if name in schema else pl.Null

    text_or_date = {pl.String, pl.Date, pl.Null}
    numeric = {
        pl.String,
        pl.Null,
        pl.Float32,
        pl.Float64,
        pl.Int8,
        pl.Int16,
        pl.Int32,
        pl.Int64,
        pl.UInt8,
        pl.UInt16,
        pl.UInt32,
        pl.UInt64,
    }
    return (
        all(kind(c) in text_or_date for c in (*DATES, *FOLLOW_UP))
        and all(kind(c) in numeric for c in MEASURED)
        and kind("id") in {pl.String, pl.Int64, pl.Int32, pl.UInt32, pl.UInt64}
        and all(kind(c) in {pl.String, pl.Null, pl.Boolean} | numeric for c in (*CATEGORICAL, *EXACT))
    )


def _text(name: str, frame: pl.DataFrame) -> pl.Expr:
    """A column as text with empty cells as null (a missing column is all null)."""
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    column = pl.col(name).cast(pl.String)
    return pl.when(column == "").then(None).otherwise(column)


def _date(name: str, frame: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """(the date or null, whether the cell is readable): a Date column, or YYYY-MM-DD text."""
    if name not in frame.columns or frame.schema[name] == pl.Null:
        return pl.lit(None, dtype=pl.Date), pl.lit(True)
    if frame.schema[name] == pl.Date:
        return pl.col(name), pl.lit(True)
    text = _text(name, frame)
    parsed = pl.when(text.str.contains(_DATE_TEXT)).then(text.str.to_date("%Y-%m-%d", strict=False))
    parsed = pl.when(parsed.dt.year() >= 1).then(parsed)  # year 0 is no date (the row goes per case)
    readable = text.is_null() | parsed.is_not_null()
    if name == "frontline_end_date":
        readable = readable | (text == "not_completed")
    return parsed, readable


def derive(frame: pl.DataFrame, today: date, long_ids: set[str]) -> tuple[pl.DataFrame, list[str]]:
    """The batch with its exact per-row results, its class key columns, and `_fast`."""
    dates: dict[str, pl.Expr] = {}
    readable: list[pl.Expr] = []
    for name in DATES:
        value, ok = _date(name, frame)
        dates[name] = value
        readable.append(ok)
    as_of = pl.coalesce(dates["assessment_date"], pl.lit(today))
    relapse, hsct, given_end = (
        dates["relapse_date"],
        dates["prior_allogeneic_hsct_date"],
        dates["frontline_end_date"],
    )
    not_completed = _text("frontline_end_date", frame) == "not_completed"
    end = _by_distinct(
        frame,
        {"g": given_end, "n": not_completed.fill_null(False), "h": hsct, "r": relapse},
        _frontline_end,
        pl.Date,
    )
    identifier = _text("id", frame)
    numbers: list[pl.Expr] = []
    for name in MEASURED:
        if name not in frame.columns or frame.schema[name] == pl.Null:
            numbers.append(pl.lit(None, dtype=pl.Float64).alias(f"_n_{name}"))
            continue
        text = _text(name, frame)
        if frame.schema[name] == pl.String:
            readable.append(text.is_null() | text.str.contains(_NUMBER_TEXT))
        value = text.cast(pl.Float64, strict=False)
        numbers.append(pl.when(value.is_nan()).then(None).otherwise(value).alias(f"_n_{name}"))
    id_unpadded = identifier.is_null() | (
        identifier == identifier.str.strip_chars()
    ) & ~identifier.str.contains(r"^[\x1c-\x1f]|[\x1c-\x1f]$")
    fast = pl.all_horizontal(*readable, id_unpadded, ~identifier.str.strip_chars().is_in(list(long_ids)))
    ordered = [as_of if name == "assessment_date" else dates[name] for name in DATES]
    signs = [
        (a.cast(pl.Int32) - b.cast(pl.Int32)).sign().alias(f"_o_{i}_{j}")
        for i, a in enumerate(ordered)
        for j, b in enumerate(ordered)
        if i < j
    ]
    kinds = [
        pl.when(_text(name, frame) == "not_completed")
        .then(pl.lit("not_completed"))
        .when(_text(name, frame).is_null())
        .then(pl.lit("none"))
        .otherwise(pl.lit("date"))
        .alias(f"_k_{name}")
        for name in DATES
        if name in frame.columns
    ]
    derived = frame.with_columns(
        *numbers,
        *signs,
        *kinds,
        *[_text(name, frame).alias(f"_c_{name}") for name in (*CATEGORICAL, *EXACT)],
        _fast=fast,
        _case_id=identifier,
        _relapse=relapse,
        _months_dx=_by_distinct(frame, {"a": dates["diagnosis_date"], "b": relapse}, _months, pl.Int32),
        _months_end=_by_distinct(frame, {"a": pl.lit(end), "b": relapse}, _months, pl.Int32),
        _age=_by_distinct(frame, {"a": dates["date_of_birth"], "b": as_of}, _months, pl.Int32),
        _age_dx=_by_distinct(
            frame, {"a": dates["date_of_birth"], "b": dates["diagnosis_date"]}, _months, pl.Int32
        ),
        _days_hsct=pl.when(hsct < relapse).then((relapse - hsct).dt.total_days()),
        _id_state=pl.when(identifier.is_null())
        .then(0)
        .when(identifier.str.len_chars() > 200)
        .then(2)
        .otherwise(1),
    )
    keys = [c for c in derived.columns if c.startswith(("_o_", "_k_", "_c_"))] + ["_id_state"]
    return derived, keys


def bucket(derived: pl.DataFrame, limits: Bounds) -> tuple[pl.DataFrame, list[str]]:
    """Add each derived quantity's interval among its bounds (numpy), and for a measurement
    within 1e-9 of a bound, its exact text."""
    columns: list[pl.Series] = []
    names: list[str] = []
    quantities = {
        "months_dx": "_months_dx",
        "months_end": "_months_end",
        "age": "_age",
        "age_dx": "_age_dx",
        "days_hsct": "_days_hsct",
        **{name: f"_n_{name}" for name in MEASURED},
    }
    for quantity, source in quantities.items():
        edges = limits.by_quantity[quantity]
        series = derived[source]
        values = series.cast(pl.Float64).fill_null(np.nan).to_numpy()
        left = np.searchsorted(edges, values, "left")
        right = np.searchsorted(edges, values, "right")
        code = pl.Series(f"_b_{quantity}", left * 2 + (right - left)).set(series.is_null(), None)
        columns.append(code)
        names.append(code.name)
        if quantity in MEASURED:
            below = edges[np.clip(left - 1, 0, len(edges) - 1)]
            above = edges[np.clip(left, 0, len(edges) - 1)]
            scale = np.maximum(1.0, np.abs(values))
            near = (np.abs(values - below) <= _NEAR * scale) | (np.abs(values - above) <= _NEAR * scale)
            exact = pl.Series(f"_x_{quantity}", near & ~np.isnan(values))
            text = _text(quantity, derived) if quantity in derived.columns else pl.lit(None, dtype=pl.String)
            columns.append(
                derived.select(pl.when(pl.lit(exact)).then(text).alias(f"_x_{quantity}")).to_series()
            )
            names.append(f"_x_{quantity}")
    return derived.with_columns(columns), names


def age_years(months_column: pl.Series) -> pl.Series:
    """Age in years as classify/months.py rounds it, by looking up each distinct month count."""
    distinct = [m for m in months_column.unique().to_list() if m is not None]
    table = {m: years_of_months(m) for m in distinct}
    return months_column.replace_strict(table, default=None, return_dtype=pl.Float64)
