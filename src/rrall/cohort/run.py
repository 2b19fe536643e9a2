"""Run a cohort: read rows (CSV in the flat layout, or JSON Lines of cases), assess each
with the same `assess()` as everywhere else, write results.parquet and errors.jsonl.

Rows are read as a stream and assessed in chunks across all local cores (workers forked
from the parent, as in rrall/batch.py); one bad row never stops the run.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from rrall.assessment import Assessment, assess
from rrall.case.load import parse_case, parse_json, read_or_error
from rrall.cohort.columns import (
    FOLLOW_UP,
    add_long_records,
    check_columns,
    check_long_columns,
    row_problems,
    row_to_case,
)
from rrall.errors import CaseInputError, CohortInputError, FieldError
from rrall.knowledge.load import KnowledgeBase

CHUNK = 500
LONG_ROW = "__long_row__"  # a long-table record's row number in its file
_KB: KnowledgeBase | None = None
_LONG: dict[str, list[dict[str, Any]]] = {}  # case id -> long-table records


@dataclass
class Counts:
    assessed: int = 0
    failed: int = 0
    files: list[str] = field(default_factory=list)


Row = tuple[str, int, dict[str, Any]]  # source, row number, raw mapping


def read_rows(path: Path) -> Iterator[Row]:
    """The rows of one input file; CSV columns are checked once, up front. A folder (or a
    .ndjson file) is a FHIR Bulk Data export: one row per Patient."""
    if path.is_dir() or path.suffix.lower() == ".ndjson":
        yield from fhir_rows(path)
    elif path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle, strict=True)
            with csv_problems(path, reader):
                errors = check_columns(list(reader.fieldnames or []))
                if errors:
                    raise CohortInputError(str(path), errors)
                for row in reader:
                    shape = misshapen(row)
                    cells = {k: v for k, v in row.items() if k is not None}
                    yield str(path), reader.line_num, {"__csv__": True, **cells,
                                                       **({"__shape__": shape} if shape else {})}
    elif path.suffix.lower() == ".parquet":
        yield from _parquet_rows(path)
    elif path.suffix.lower() == ".jsonl":
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield str(path), number, {"__jsonl__": line}
    else:
        problem = f"{path.suffix or 'no suffix'} is not a cohort input"
        allowed = ".csv or .parquet (flat layout), .jsonl (cases), FHIR .ndjson (Bulk Data export)"
        raise CohortInputError(str(path), [FieldError("file", problem, allowed)])


def misshapen(row: dict[Any, Any]) -> str | None:
    """What is wrong with the shape of a csv.DictReader row, if anything."""
    if None in row:
        return f"{len(row[None])} more cell(s) than columns (a list not separated by ';'?)"
    if any(value is None for value in row.values()):
        return "fewer cells than columns"
    return None


@contextmanager
def csv_problems(path: Path, reader: Any) -> Iterator[None]:
    """A CSV the csv module cannot read (a byte that is not UTF-8, a cell past the size
    limit, as an unclosed quote makes) as a problem of the whole file, with its line."""
    try:
        yield
    except UnicodeDecodeError as exc:
        error = FieldError(f"line {_first_undecodable_line(path)}", f"not UTF-8 text ({exc.reason})",
                           "a CSV file in UTF-8")
        raise CohortInputError(str(path), [error]) from None
    except csv.Error as exc:
        error = FieldError(f"line {reader.line_num}", f"not readable as CSV ({exc}; an unclosed or stray "
                           "quote?)", "CSV with each quoted cell opened and closed by a double quote")
        raise CohortInputError(str(path), [error]) from None


def _first_undecodable_line(path: Path) -> int:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def fhir_rows(path: Path) -> Iterator[Row]:
    """One row per Patient of a FHIR Bulk Data export: the Patient and every resource whose
    subject or patient refers to it, plus the resources that refer to no patient (such as
    Medication, which medicationReference points to). The export is grouped in memory."""
    files = sorted(f for f in path.glob("*.ndjson") if f.is_file()) if path.is_dir() else [path]
    if not files:
        raise CohortInputError(str(path), [FieldError("folder", "no .ndjson files",
                                                      "a FHIR Bulk Data export: one .ndjson file per type")])
    by_patient: dict[str, list[bytes]] = {}
    shared: list[bytes] = []
    order: list[str] = []
    broken: list[FieldError] = []
    for file in files:
        with file.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    resource = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    # Which patient the line belonged to cannot be known, so no patient of
                    # the export is assessed without it: the export is refused as a whole.
                    broken.append(FieldError(f"{file.name} line {number}", f"not JSON ({exc})",
                                             "one FHIR resource as JSON per line"))
                    continue
                if not isinstance(resource, dict):
                    broken.append(FieldError(f"{file.name} line {number}", "not a FHIR resource "
                                             "(a JSON object)", "one FHIR resource as JSON per line"))
                    continue
                owner = _patient_of(resource)
                if owner is None:
                    shared.append(line.strip())
                    continue
                if owner not in by_patient:
                    by_patient[owner] = []
                    order.append(owner)
                by_patient[owner].append(line.strip())
    if broken:
        raise CohortInputError(str(path), broken[:20] + ([FieldError(
            "file", f"and {len(broken) - 20} more line(s) not JSON")] if len(broken) > 20 else []))
    for number, owner in enumerate(order, start=1):
        body = b"[" + b",".join([*by_patient[owner], *shared]) + b"]"
        yield str(path), number, {"__fhir__": body}


def _patient_of(resource: dict[str, Any]) -> str | None:
    if resource.get("resourceType") == "Patient":
        return str(resource.get("id"))
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return str(ref["reference"]).rsplit("/", 1)[-1].removeprefix("urn:uuid:")
    return None


def _parquet_rows(path: Path) -> Iterator[Row]:
    """Parquet in the flat layout, read in slices of rows (bounded memory); column names
    and types are checked before any row is read (cohort/parquet.py)."""
    import polars as pl

    from rrall.cohort.parquet import check_types, readable

    try:
        schema = pl.read_parquet_schema(path)
        total = pl.scan_parquet(path).select(pl.len()).collect().item()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise CohortInputError(str(path), [FieldError("file", f"not a readable Parquet file ({exc})",
                                                      "a Parquet file")]) from None
    errors = check_columns(list(schema)) + check_types(schema)
    if errors:
        raise CohortInputError(str(path), errors)
    table = readable(path)
    for start in range(0, total, CHUNK):
        frame = table.slice(start, CHUNK).collect()
        for offset, row in enumerate(frame.to_dicts()):
            yield str(path), start + offset + 1, {"__table__": True, **row}


def result_row(a: Assessment, follow_up: dict[str, Any]) -> dict[str, Any]:
    c = a.classification
    row: dict[str, Any] = {
        "case_id": a.case_id, "error": None, "disease_state": c.disease_state,
        "relapse_number": c.relapse_number, "immunophenotype": c.immunophenotype, "site": c.site,
        "timing_bfm": c.timing.bfm if c.timing else None, "timing_cog": c.timing.cog if c.timing else None,
        "months_from_diagnosis": c.months_from_diagnosis,
        "months_from_frontline_end": c.months_from_frontline_end,
        "age_at_diagnosis_years": c.age_at_diagnosis_years, "post_hsct": c.post_hsct,
        "refractory": c.refractory, "relapse_date": c.relapse_date, "first_relapse_date": None,
    }
    for name, r in a.risk.items():
        row[f"{name}_status"] = r.status
        row[f"{name}_group"] = r.group
        row[f"{name}_hsct_in_cr2"] = r.hsct_in_cr2
    for option in a.options:
        row[f"option_{option.id}"] = option.status
        for label in option.labels:  # every region's label status, so no region need be chosen
            row[f"label_{label.region.lower()}_{option.id}"] = label.status
    row["trials_potentially_eligible"] = sum(t.status == "potentially_eligible" for t in a.trials)
    row["trials_needs_review"] = sum(t.status == "needs_review" for t in a.trials)
    row["trials_needs_data"] = sum(t.status == "needs_data" for t in a.trials)
    row["missing_fields"] = ";".join(m.field for m in a.missing_data)
    row.update({k: follow_up.get(k) for k in FOLLOW_UP})
    return row


def _assess_chunk(chunk: list[Row], today: date, kb: KnowledgeBase | None = None,
                  long: dict[str, list[dict[str, Any]]] | None = None,
                  ) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Assess one chunk. The knowledge base and long table are arguments (Dask runs several
    chunks at once in threads); forked local workers pass the ones they inherited."""
    kb = kb or _KB
    long = _LONG if long is None else long
    assert kb is not None
    results, errors = [], []
    for source, number, raw in chunk:
        follow_up: dict[str, Any] = {}
        records = None
        try:
            warnings: list[str] = []
            if "__fhir__" in raw:
                from rrall.fhir.importer import import_case

                imported = import_case(orjson.loads(raw["__fhir__"]))
                if imported.errors:
                    raise CaseInputError(imported.errors, source, number, imported.document.get("id"))
                mapping, warnings = imported.document, imported.warnings
            elif "__jsonl__" in raw:
                mapping = read_or_error(partial(parse_json, raw["__jsonl__"]), source, number)
                if isinstance(mapping, CaseInputError):  # not JSON, or not UTF-8
                    raise mapping
            else:
                if "__shape__" in raw:
                    shape = FieldError("", raw["__shape__"], "one cell per column")
                    raise CaseInputError([shape], source, number)
                follow_up = {k: raw.get(k) for k in FOLLOW_UP}
                problems = row_problems(raw)
                if problems:
                    raise CaseInputError(problems, source, number, case_key(raw.get("id")) or None)
                mapping = row_to_case(raw)
            records = long.get(case_key(mapping.get("id") if isinstance(mapping, dict) else None))
            if records:
                mapping = add_long_records(mapping, records)
            case = parse_case(mapping, kb, today, source, number)
        except CaseInputError as exc:
            record = exc.record()
            if records:  # the long table's rows that were joined into this case
                record["long_table_rows"] = [r.get(LONG_ROW) for r in records]
            errors.append(orjson.dumps({"source": source, "row": number, **record}))
            results.append({"case_id": record.get("case_id"), "source": source, "row": number,
                            "error": "; ".join(f"{e['path']}: {e['message']}" for e in record["errors"])})
            continue
        row = result_row(assess(case, kb), follow_up)
        row["source"], row["row"] = source, number
        row["first_relapse_date"] = case.relapses[0].date if case.relapses else None
        row["input_warnings"] = "; ".join(warnings) or None
        results.append(row)
    return results, errors


def case_key(value: Any) -> str:
    """How case ids are matched between tables: as text, without surrounding spaces; a
    whole number in a float column (integer ids with a gap, as pandas writes them) as the
    integer, as the flat table's ids are read (cohort/columns.py)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _chunks(rows: Iterator[Row]) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def read_long(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The long table (CSV or Parquet) grouped by case id; every problem with its columns
    or its `record` values is reported at once, before any case is assessed."""
    import polars as pl

    from rrall.cohort.parquet import check_types, readable

    numbered: list[tuple[int, dict[str, Any]]] = []
    if path.suffix.lower() == ".parquet":  # rows numbered from 1
        try:
            schema = pl.read_parquet_schema(path)
            frame = readable(path, ("date",)).collect()
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise CohortInputError(str(path), [FieldError("file", f"not a readable Parquet file ({exc})",
                                                          "a Parquet file")]) from None
        errors = check_long_columns(frame.columns) + check_types(schema, long=True)
        numbered = list(enumerate(frame.to_dicts(), start=1))
    else:  # rows numbered by their line, as in the flat table; read by the csv module, as it is
        errors, numbered = _long_csv(path)
    if errors:
        raise CohortInputError(str(path), errors)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for number, row in numbered:
        if row.get("record") not in ("relapse", "mrd"):
            errors.append(FieldError(f"row {number}: record", f"{row.get('record')!r} is not a record kind",
                                     "relapse or mrd"))
            continue
        grouped.setdefault(case_key(row["id"]), []).append({**row, LONG_ROW: number})
    if errors:
        raise CohortInputError(str(path), errors)
    return grouped


def _long_csv(path: Path) -> tuple[list[FieldError], list[tuple[int, dict[str, Any]]]]:
    if not path.is_file():
        return [FieldError("file", "no such file", "a CSV or Parquet file")], []
    errors: list[FieldError] = []
    numbered: list[tuple[int, dict[str, Any]]] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, strict=True)
        with csv_problems(path, reader):
            errors += check_long_columns(list(reader.fieldnames or []))
            for row in reader:
                shape = misshapen(row)
                if shape:
                    errors.append(FieldError(f"row {reader.line_num}", shape, "one cell per column"))
                    continue
                numbered.append((reader.line_num, row))
    return errors, numbered


def assess_rows(rows: Iterator[Row], kb: KnowledgeBase, today: date, workers: int,
                progress: Callable[[int], None] | None = None,
                long: dict[str, list[dict[str, Any]]] | None = None,
                ) -> Iterator[tuple[list[dict[str, Any]], list[bytes]]]:
    """(result rows, error records) per chunk, in input order."""
    global _KB, _LONG
    _KB = kb
    _LONG = long or {}
    chunks = _chunks(rows)
    if workers <= 1:
        for chunk in chunks:
            out = _assess_chunk(chunk, today)
            if progress:
                progress(len(chunk))
            yield out
        return
    first = next(chunks, None)  # warms the memo tables the forked workers inherit
    if first is None:
        return
    yield _assess_chunk(first, today)
    if progress:
        progress(len(first))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for out in pool.imap(partial(_assess_chunk, today=today), chunks):
            if progress:
                progress(len(out[0]))
            yield out


def default_workers() -> int:
    return os.cpu_count() or 1
