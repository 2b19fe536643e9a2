"""The example cohort in examples/cohort runs as its README says: every row assessed, the
long table's MRD joined, and the summary written with its survival section."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from rrall.cli import app
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "cohort"


def test_the_example_cohort_runs(tmp_path: Path) -> None:
    out = tmp_path / "cohort-out"
    result = CliRunner().invoke(app, ["cohort", str(EXAMPLE / "synthetic-200.csv"), "--long",
                                      str(EXAMPLE / "long.csv"), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    table = pl.read_parquet(out / "results.parquet")
    assert table.height == 200 and table["error"].is_null().all()
    assert table["case_id"].str.starts_with("SYNTHETIC-").all()
    with_mrd = set(pl.read_csv(EXAMPLE / "long.csv")["id"].to_list())
    joined = table.filter(pl.col("case_id").is_in(with_mrd))
    assert joined.height == 12 and joined["cog_status"].is_in(["assigned"]).any()
    assert (out / "errors.jsonl").read_bytes() == b""
    html = (out / "summary.html").read_text()
    assert "Survival after relapse" in html and (out / "figures" / "os_by_bfm.svg").exists()
    assert "<h1>Cohort summary: SYNTHETIC DATA</h1>" in html and 'class="synthetic"' in html
    assert not re.search(r"\(\s*[-–]*\s*[-–]\s*[-–]*\s*\)", html), "no empty intervals such as (---)"
    assert "Number at risk" in (out / "figures" / "os_by_bfm.svg").read_text() or \
        (out / "figures" / "os_by_bfm.png").exists()
