"""The results table: one fixed schema for every row (assessed or not), written in parts
as the run goes and joined at the end by streaming, so memory stays bounded whatever the
size of the cohort."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl

from rrall.cohort.columns import FOLLOW_UP
from rrall.knowledge.load import KnowledgeBase


def schema(kb: KnowledgeBase) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "case_id": pl.String, "error": pl.String, "disease_state": pl.String, "relapse_number": pl.Int64,
        "immunophenotype": pl.String, "site": pl.String, "timing_bfm": pl.String, "timing_cog": pl.String,
        "months_from_diagnosis": pl.Int64, "months_from_frontline_end": pl.Int64,
        "age_at_diagnosis_years": pl.Float64, "post_hsct": pl.Boolean, "refractory": pl.Boolean,
        "relapse_date": pl.Date, "first_relapse_date": pl.Date,
    }
    for name in kb.frameworks:
        columns.update({f"{name}_status": pl.String, f"{name}_group": pl.String,
                        f"{name}_hsct_in_cr2": pl.String})
    columns.update({f"option_{therapy}": pl.String for therapy in kb.therapies})
    columns.update({"trials_potentially_eligible": pl.Int64, "trials_needs_data": pl.Int64,
                    "missing_fields": pl.String, "input_warnings": pl.String})
    columns.update(dict.fromkeys(FOLLOW_UP, pl.String))
    return columns


class ResultsWriter:
    def __init__(self, out: Path, kb: KnowledgeBase) -> None:
        self.schema = schema(kb)
        self.parts = out / ".results-parts"
        shutil.rmtree(self.parts, ignore_errors=True)
        self.parts.mkdir(parents=True)
        self.target = out / "results.parquet"
        self.count = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        shaped = [{name: plain(row.get(name)) if name in FOLLOW_UP else row.get(name)
                   for name in self.schema} for row in rows]
        self.add_frame(pl.DataFrame(shaped, schema=self.schema))

    def add_frame(self, frame: pl.DataFrame) -> None:
        """A block of rows already in the results schema (the vectorised path's)."""
        if frame.height:
            frame.select(list(self.schema)).cast(self.schema).write_parquet(  # type: ignore[arg-type]
                self.parts / f"part-{self.count:06d}.parquet")
            self.count += 1

    def finish(self) -> None:
        if self.count:
            pl.scan_parquet(self.parts / "*.parquet").sink_parquet(self.target)
        else:
            pl.DataFrame(schema=self.schema).write_parquet(self.target)
        shutil.rmtree(self.parts, ignore_errors=True)


def plain(value: Any) -> str | None:
    """Follow-up values as text (CSV gives text, Parquet may give dates)."""
    return None if value is None else str(value)
