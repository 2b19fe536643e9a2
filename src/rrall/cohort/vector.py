"""The vectorised path of `rrall cohort` for flat tables (CSV and Parquet).

A batch of rows is read as columns; cohort/classes.py computes every row's exact
per-row results (identifier, months, age, dates) and its class key column by column.
One row of each class not seen before is assessed with the same per-case `assess()` as
everywhere else (cohort/run.py), and its results are given to every row of the class. A
row the class key cannot vouch for, and every row of a class whose first row could not
be assessed, goes through the per-case path, so errors are reported exactly as there.
tests/cohort/test_vector.py proves the results identical to the per-case path, row for
row, on 10,000 varied rows with bad rows mixed in.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from rrall.cohort import run
from rrall.cohort.classes import Bounds, age_years, bounds, bucket, derive, usable_columns
from rrall.cohort.columns import FOLLOW_UP, check_columns
from rrall.cohort.table import plain, schema
from rrall.engine import engine_for
from rrall.errors import CohortInputError, FieldError
from rrall.knowledge.load import KnowledgeBase

BATCH = 50_000
MEMO_LIMIT = 200_000  # classes remembered per file; the table is cleared when full
PER_ROW = (
    "case_id",
    "source",
    "row",
    "error",
    "months_from_diagnosis",
    "months_from_frontline_end",
    "age_at_diagnosis_years",
    "relapse_date",
    "first_relapse_date",
    "input_warnings",
    *FOLLOW_UP,
)


@dataclass
class Batch:
    source: str
    frame: pl.DataFrame  # the rows as read, plus `_pos` (place in the batch) and `_line` (row number)
    marker: str  # "__csv__" or "__table__", as cohort/run.py's rows carry
    misshapen: list[tuple[int, run.Row]] = field(default_factory=list)  # CSV rows with too many/few cells

    def row(self, i: int) -> run.Row:
        """Row i of the frame as cohort/run.py reads it, for the per-case path."""
        values = self.frame.row(i, named=True)
        number = values.pop("_line")
        values.pop("_pos")
        return self.source, number, {self.marker: True, **values}


def limits(kb: KnowledgeBase) -> Bounds | None:
    return bounds(engine_for(kb))


def count_rows(path: Path) -> int:
    """The rows of a CSV or Parquet file. For a CSV this reads the whole file as the run
    will, so that a byte that is not UTF-8 or broken quoting anywhere in it is found before
    anything is written."""
    if path.suffix.lower() == ".parquet":
        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, strict=True)
        with run.csv_problems(path, reader):
            return max(0, sum(1 for row in reader if row) - 1)


def csv_batches(path: Path) -> Iterator[Batch]:
    """The CSV in batches of rows, read as cohort/run.py reads it (csv module, the same row
    numbers, blank lines skipped, rows with too many or too few cells set aside)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, strict=True)
        with run.csv_problems(path, reader):
            header = next(reader, [])
            errors = check_columns(header)
            if errors:
                raise CohortInputError(str(path), errors)
            rows: list[list[str]] = []
            lines: list[int] = []
            misshapen: list[tuple[int, run.Row]] = []
            for cells in reader:
                if not cells:
                    continue
                if len(cells) != len(header):
                    misshapen.append(
                        (len(rows) + len(misshapen), _misshapen(path, reader.line_num, header, cells))
                    )
                else:
                    rows.append(cells)
                    lines.append(reader.line_num)
                if len(rows) + len(misshapen) >= BATCH:
                    yield _csv_batch(path, header, rows, lines, misshapen)
                    rows, lines, misshapen = [], [], []
            if rows or misshapen:
                yield _csv_batch(path, header, rows, lines, misshapen)


def _misshapen(path: Path, line: int, header: list[str], cells: list[str]) -> run.Row:
    if len(cells) > len(header):
        shape = f"{len(cells) - len(header)} more cell(s) than columns (a list not separated by ';'?)"
        values: dict[str, Any] = dict(zip(header, cells[: len(header)], strict=True))
    else:
        shape = "fewer cells than columns"
        values = {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(header)}
    return str(path), line, {"__csv__": True, **values, "__shape__": shape}


def _csv_batch(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    lines: list[int],
    misshapen: list[tuple[int, run.Row]],
) -> Batch:
    taken = {pos for pos, _ in misshapen}
    positions = [p for p in range(len(rows) + len(misshapen)) if p not in taken]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    frame = pl.DataFrame(
        {name: list(values) for name, values in zip(header, columns, strict=True)},
        schema=dict.fromkeys(header, pl.String),
    )
    frame = frame.with_columns(
        _pos=pl.Series(positions, dtype=pl.Int64), _line=pl.Series(lines, dtype=pl.Int64)
    )
    return Batch(str(path), frame, "__csv__", misshapen)


def batches(path: Path) -> Iterator[Batch]:
    return parquet_batches(path) if path.suffix.lower() == ".parquet" else csv_batches(path)


def parquet_batches(path: Path) -> Iterator[Batch]:
    from rrall.cohort.parquet import check_types, readable

    try:
        schema = pl.read_parquet_schema(path)
        total = count_rows(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise CohortInputError(
            str(path), [FieldError("file", f"not a readable Parquet file ({exc})", "a Parquet file")]
        ) from None
    errors = check_columns(list(schema)) + check_types(schema)
    if errors:
        raise CohortInputError(str(path), errors)
    table = readable(path)
    for start in range(0, total, BATCH):
        frame = table.slice(start, BATCH).collect()
        frame = frame.with_columns(
            _pos=pl.int_range(pl.len(), dtype=pl.Int64),
            _line=pl.int_range(pl.len(), dtype=pl.Int64) + start + 1,
        )
        yield Batch(str(path), frame, "__table__")


class VectorRun:
    """One run over flat files: the knowledge base, the long table, and per file a memo of
    the classes already assessed."""

    def __init__(
        self,
        kb: KnowledgeBase,
        today: date,
        long: dict[str, list[dict[str, Any]]],
        limits: Bounds,
        workers: int,
    ) -> None:
        self.kb, self.today, self.long, self.limits, self.workers = kb, today, long, limits, workers
        self.schema = schema(kb)
        self.shared = {name: dtype for name, dtype in self.schema.items() if name not in PER_ROW}
        self.assessed_classes = 0
        self.per_case_rows = 0

    def files(
        self,
        paths: list[Path],
        progress: Callable[[int], None] | None = None,
    ) -> Iterator[tuple[pl.DataFrame, list[bytes]]]:
        for path in paths:
            memo: dict[tuple[Any, ...], dict[str, Any] | None] = {}
            for batch in batches(path):
                out = self.batch(batch, memo)
                if progress:
                    progress(out[0].height)
                yield out

    def batch(
        self,
        batch: Batch,
        memo: dict[tuple[Any, ...], dict[str, Any] | None],
    ) -> tuple[pl.DataFrame, list[bytes]]:
        frame = batch.frame
        raw_columns = [c for c in frame.columns if c not in ("_pos", "_line")]
        if not usable_columns(frame.select(raw_columns).schema):
            every = [(pos, batch.row(i)) for i, pos in enumerate(frame["_pos"].to_list())]
            return self._finish(pl.DataFrame(), every, batch.misshapen)
        index = {p: i for i, p in enumerate(frame["_pos"].to_list())}
        derived, keys = derive(frame, self.today, set(self.long))
        derived, more = bucket(derived, self.limits)
        keys += more
        fast = derived.filter(pl.col("_fast"))
        firsts = fast.group_by(keys, maintain_order=True).agg(pl.col("_pos").first())
        classes = [(tuple(values[:-1]), values[-1]) for values in firsts.rows()]
        new = [(key, pos) for key, pos in classes if key not in memo]
        if new:
            if len(memo) + len(new) > MEMO_LIMIT:
                memo.clear()
                new = classes
            self.assessed_classes += len(new)
            results, _ = self._per_case([batch.row(index[pos]) for _, pos in new])
            for (key, _), result in zip(new, results, strict=True):
                memo[key] = None if result.get("error") else {n: result.get(n) for n in self.shared}
        known = [(key, memo[key]) for key, _ in classes if memo.get(key) is not None]
        table = pl.DataFrame(
            [{**dict(zip(keys, key, strict=True)), **(shared or {})} for key, shared in known],
            schema={**{k: fast.schema[k] for k in keys}, **self.shared},
            orient="row",
        )
        follow = [
            (pl.col(c).cast(pl.String) if c in frame.columns else pl.lit(None, dtype=pl.String)).alias(
                f"_f_{c}"
            )
            for c in FOLLOW_UP
        ]
        own = fast.select(
            *keys, "_pos", "_line", "_case_id", "_months_dx", "_months_end", "_age_dx", "_relapse", *follow
        )
        joined = own.join(
            table, on=keys, how="inner", nulls_equal=True
        )  # no input column meets a result's name
        done = joined.select(
            pl.col("_pos"),
            pl.col("_case_id").alias("case_id"),
            pl.lit(batch.source).alias("source"),
            pl.col("_line").alias("row"),
            pl.lit(None, dtype=pl.String).alias("error"),
            pl.col("_months_dx").cast(pl.Int64).alias("months_from_diagnosis"),
            pl.col("_months_end").cast(pl.Int64).alias("months_from_frontline_end"),
            age_years(joined["_age_dx"]).alias("age_at_diagnosis_years"),
            pl.col("_relapse").alias("relapse_date"),
            pl.col("_relapse").alias("first_relapse_date"),
            pl.lit(None, dtype=pl.String).alias("input_warnings"),
            *[pl.col(f"_f_{c}").alias(c) for c in FOLLOW_UP],
            *self.shared,
        )
        assessed = set(done["_pos"].to_list())
        slow: list[tuple[int, run.Row]] = [(p, batch.row(i)) for p, i in index.items() if p not in assessed]
        return self._finish(done, slow, batch.misshapen)

    def _finish(
        self, done: pl.DataFrame, slow: list[tuple[int, run.Row]], misshapen: list[tuple[int, run.Row]]
    ) -> tuple[pl.DataFrame, list[bytes]]:
        """The batch's results in input order: the class results and the per-case ones."""
        pending = sorted(slow + misshapen, key=lambda item: item[0])
        results, errors = self._per_case([row for _, row in pending])
        self.per_case_rows += len(pending)
        parts = [done.select("_pos", *self.schema)] if done.height else []
        if results:
            shaped = pl.DataFrame(
                [{n: plain(r.get(n)) if n in FOLLOW_UP else r.get(n) for n in self.schema} for r in results],
                schema=self.schema,
                orient="row",
            )
            parts.append(
                shaped.with_columns(_pos=pl.Series([p for p, _ in pending], dtype=pl.Int64)).select(
                    "_pos", *self.schema
                )
            )
        if not parts:
            return pl.DataFrame(schema=self.schema), errors
        return pl.concat(parts).sort("_pos").drop("_pos"), errors

    def _per_case(self, rows: list[run.Row]) -> tuple[list[dict[str, Any]], list[bytes]]:
        """The per-case path (cohort/run.py) for some rows, on all cores when there are many."""
        if len(rows) < 4 * run.CHUNK or self.workers <= 1:
            return run._assess_chunk(rows, self.today, self.kb, self.long)
        results: list[dict[str, Any]] = []
        errors: list[bytes] = []
        for part, failed in run.assess_rows(iter(rows), self.kb, self.today, self.workers, None, self.long):
            results += part
            errors += failed
        return results, errors
