"""Equivalence classes of flat-table rows, computed column by column.

Two rows whose cells give the same case except for exact dates, ages and measurements
get the same assessment when every derived quantity falls on the same side of every
bound any rule compares it with. This module computes, for a whole batch at once with
polars and numpy, the derived quantities (calendar months as DECISIONS.md counts them),
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

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl

from rrall.classify.months import years_of_months
from rrall.cohort.columns import ANTHRACYCLINES, COLUMNS, DATES, FOLLOW_UP, MEASURED
from rrall.knowledge.load import KnowledgeBase
from rrall.rules.check import MRD_POSITIVE
from rrall.rules.criteria import Criteria

EXACT = tuple(ANTHRACYCLINES)
CATEGORICAL = tuple(c for c in COLUMNS if c not in (*DATES, *MEASURED, *EXACT, *FOLLOW_UP, "id"))
# Requirements without a number in them, or on facts a flat row never gives (performance);
# disease_any compares MRD with MRD_POSITIVE, which is among the MRD bounds.
_NOT_NUMERIC = frozenset(
    {
        "active_cns",
        "disease_any",
        "sex",
        "immunophenotype",
        "disease_states",
        "min_relapse_number",
        "max_relapse_number",
        "refractory",
        "post_hsct",
        "sites",
        "involves_any",
        "timing_bfm",
        "timing_cog",
        "risk_groups",
        "hsct_consensus",
        "cd19_required",
        "cd22_required",
        "bcr_abl1",
        "abl1_kinase_mutation_found",
        "kinase_mutations_any",
        "kinase_mutations_none",
        "genetics_any",
        "genetics_none",
        "prior_any",
        "excludes_prior",
        "prior_response",
        "prior_allogeneic_hsct",
        "prior_cranial_radiation",
        "min_performance",
        "min_doxorubicin_equivalent_mg_per_m2",
        "max_doxorubicin_equivalent_mg_per_m2",
    }
)
_THRESHOLD_FACTS = frozenset({"months_from_diagnosis", "months_from_frontline_end", "mrd_end_of_reinduction"})
_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_NUMBER_TEXT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_NEAR = 1e-9


@dataclass(frozen=True)
class Bounds:
    """Sorted bounds per derived quantity, in the unit the row gives it."""

    by_quantity: dict[str, np.ndarray[Any, np.dtype[np.float64]]]


def bounds(kb: KnowledgeBase, blocks: list[Criteria]) -> Bounds | None:
    """Every bound a rule or requirement compares a flat row's quantities with; None when
    the knowledge base compares something this module does not know how to key."""
    if set(kb.thresholds) - _THRESHOLD_FACTS:
        return None
    found: dict[str, set[float]] = {
        "months_dx": set(),
        "months_end": set(),
        "age": set(),
        "age_dx": set(),
        "marrow_blasts_percent": {0.0, 100.0, float(kb.classification.site.combined_marrow_blasts_percent)},
        "mrd_end_of_reinduction_percent": {0.0, 100.0, float(MRD_POSITIVE * 100)},
        "wbc_per_uL": {0.0, 2_000_000.0},
        "cranial_radiation_gy": {0.0, 60.0},
    }
    found["months_dx"].update(float(b) for b in kb.thresholds.get("months_from_diagnosis", ()))
    found["months_end"].update(float(b) for b in kb.thresholds.get("months_from_frontline_end", ()))
    found["mrd_end_of_reinduction_percent"].update(
        float(b * 100) for b in kb.thresholds.get("mrd_end_of_reinduction", ())
    )
    for block in blocks:
        for name, value in block.requirements:
            if name in ("min_months_from_diagnosis", "months_from_diagnosis_below"):
                found["months_dx"].add(float(value))
            elif name in (
                "min_age_years",
                "max_age_years",
                "min_age_at_diagnosis_years",
                "age_at_diagnosis_below_years",
            ):
                years = Decimal(value)
                found["age_dx" if "diagnosis" in name else "age"].update(
                    float(v) for v in (years * 12, (years + 1) * 12, years * 12 + 1)
                )
            elif name == "max_age_months":
                found["age"].update((float(value), float(value) + 1))
            elif name.startswith("mrd_end_of_reinduction"):
                found["mrd_end_of_reinduction_percent"].add(float(Decimal(value) * 100))
            elif name not in _NOT_NUMERIC:
                return None
    return Bounds({name: np.array(sorted(values), dtype=np.float64) for name, values in found.items()})


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
    readable = text.is_null() | (parsed.is_not_null() & (parsed.dt.year() >= 1))
    if name == "frontline_end_date":
        readable = readable | (text == "not_completed")
    return parsed, readable


def months(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Whole calendar months from start to end (null when end is before start), as
    classify/months.py counts them: the day is clipped to the end month's length."""
    count = (
        (end.dt.year() - start.dt.year()) * 12
        + end.dt.month().cast(pl.Int32)
        - start.dt.month().cast(pl.Int32)
    )
    short = end.dt.day() < pl.min_horizontal(start.dt.day(), end.dt.month_end().dt.day())
    return pl.when(end >= start).then(count.cast(pl.Int32) - short.cast(pl.Int32))


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
    # An HSCT in first remission ends front-line therapy (classify/relapse.py, _frontline_end).
    hsct_ends = (
        hsct.is_not_null()
        & (relapse.is_null() | (hsct < relapse))
        & (given_end.is_null() | (hsct < given_end))
    )
    end = pl.when(hsct_ends).then(hsct).otherwise(given_end)
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
        _months_dx=pl.when(relapse.is_not_null()).then(months(dates["diagnosis_date"], relapse)),
        _months_end=pl.when(relapse.is_not_null()).then(months(end, relapse)),
        _age=months(dates["date_of_birth"], as_of),
        _age_dx=months(dates["date_of_birth"], dates["diagnosis_date"]),
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
