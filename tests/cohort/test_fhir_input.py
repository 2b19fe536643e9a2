"""A FHIR Bulk Data export as cohort input: one row per patient, through the FHIR mapping."""

from __future__ import annotations

from pathlib import Path

import orjson
import polars as pl
from typer.testing import CliRunner

from rrall.case.load import load_case
from rrall.cli import app
from rrall.fhir.export import case_bundle
from tests.conftest import ROOT


def test_bulk_export_folder(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    lines: dict[str, list[bytes]] = {}
    names = ["b-marrow-early", "t-marrow-late", "ph-positive-t315i"]
    for name in names:
        bundle = case_bundle(load_case(ROOT / "examples" / "cases" / f"{name}.yaml"))
        for entry in bundle["entry"]:
            resource = entry["resource"]
            lines.setdefault(resource["resourceType"], []).append(orjson.dumps(resource))
    lonely = orjson.loads(lines["Patient"][1]) | {"id": "other", "identifier": [], "birthDate": "2001-01-01"}
    first = orjson.loads(lines["Patient"][0])["id"]
    encounter = {"resourceType": "Encounter", "id": "e1", "status": "finished", "class": {"code": "AMB"},
                 "subject": {"reference": f"Patient/{first}"}}
    lines["Encounter"] = [orjson.dumps(encounter)]
    lines["Patient"].append(orjson.dumps(lonely))  # a patient with nothing else: not assessable
    for kind, rows in lines.items():
        (export / f"{kind}.ndjson").write_bytes(b"\n".join(rows) + b"\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["cohort", str(export), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 2, result.output  # the lonely patient is an error row
    table = pl.read_parquet(out / "results.parquet")
    assessed = table.filter(pl.col("error").is_null())
    assert sorted(assessed["case_id"].to_list()) == sorted(names)
    first = assessed.filter(pl.col("case_id") == "b-marrow-early").row(0, named=True)
    assert first["bfm_group"] == "S3" and "Encounter/e1" in first["input_warnings"]
    errors = [orjson.loads(line) for line in (out / "errors.jsonl").read_bytes().splitlines()]
    assert len(errors) == 1 and errors[0]["case_id"] == "other"
