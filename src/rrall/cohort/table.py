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
        "case_id": pl.String, "source": pl.String, "row": pl.Int64, "error": pl.String,
        "disease_state": pl.String, "relapse_number": pl.Int64,
        "immunophenotype": pl.String, "site": pl.String, "timing_bfm": pl.String, "timing_cog": pl.String,
        "months_from_diagnosis": pl.Int64, "months_from_frontline_end": pl.Int64,
        "age_at_diagnosis_years": pl.Float64, "post_hsct": pl.Boolean, "refractory": pl.Boolean,
        "relapse_date": pl.Date, "first_relapse_date": pl.Date,
    }
    for name in kb.frameworks:
        columns.update({f"{name}_status": pl.String, f"{name}_group": pl.String,
                        f"{name}_hsct_in_cr2": pl.String})
    columns.update({f"option_{therapy}": pl.String for therapy in kb.therapies})
    columns.update({f"label_{label.region.lower()}_{therapy}": pl.String
                    for therapy, labels in kb.labels.items() for label in labels})
    columns.update({"trials_potentially_eligible": pl.Int64, "trials_needs_review": pl.Int64,
                    "trials_needs_data": pl.Int64,
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


def refuse_duplicate_ids(path: Path) -> list[bytes]:
    """Rows of the written results that share a case id with another row become error rows
    (which of them is the right record cannot be known, and counting each would count a
    child twice); their error records are returned for errors.jsonl. Rows that were errors
    already keep their own error. The table is rewritten by streaming, and only when needed."""
    import orjson

    key = pl.col("case_id").str.strip_chars()
    ids = pl.scan_parquet(path).select("case_id", "source", "row", "error").with_row_index("_i")
    repeated = ids.filter(key.is_not_null() & key.is_duplicated()).collect()
    if not repeated.height:
        return []
    said = {k: f"case id appears {n} times (" + "; ".join(places) + (" ..." if n > 5 else "")
            + "): which record is right cannot be known"
            for k, n, places in repeated.group_by(key.alias("k")).agg(
                pl.len(), pl.format("{} row {}", "source", "row").head(5)).rows()}
    refused = repeated.filter(pl.col("error").is_null())
    messages = [said[k.strip()] for k in refused["case_id"]]
    if refused.height:
        marked = pl.DataFrame({"_i": refused["_i"], "_message": messages})
        kept = {"case_id", "source", "row", *FOLLOW_UP}
        table = pl.scan_parquet(path).with_row_index("_i").join(marked.lazy(), on="_i", how="left",
                                                                 maintain_order="left")
        hit = pl.col("_message").is_not_null()
        table = table.select(
            *[pl.col(c) if c in kept else
              pl.when(hit).then(pl.col("_message") if c == "error" else None).otherwise(pl.col(c)).alias(c)
              for c in pl.read_parquet_schema(path)])
        rewritten = path.with_name(path.name + ".tmp")
        table.sink_parquet(rewritten)
        rewritten.replace(path)
    return [orjson.dumps({"source": s, "row": r, "case_id": c, "errors": [
        {"path": "id", "message": m, "allowed": "each case id once in the cohort"}]})
        for s, r, c, m in zip(refused["source"], refused["row"], refused["case_id"], messages, strict=True)]


def plain(value: Any) -> str | None:
    """Follow-up values as text (CSV gives text, Parquet may give dates)."""
    return None if value is None else str(value)
