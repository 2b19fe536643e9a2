"""`--detail summary`: the summary shape is the full assessment's values, fits its published
schema, and comes out the same one case at a time and through the parallel batch path;
`rrall schema --output` describes what `assess` really writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from rrall.cli import app
from tests.conftest import ROOT

runner = CliRunner()
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_summary_is_a_projection_of_the_full_output_for_every_example() -> None:
    full = _json(["assess", "--format", "json", *map(str, EXAMPLES)])
    summary = _json(["assess", "--format", "json", "--detail", "summary", *map(str, EXAMPLES)])
    assert isinstance(full, list) and isinstance(summary, list) and len(full) == len(summary) == len(EXAMPLES)
    for whole, short in zip(full, summary, strict=True):
        assert short["detail"] == "summary"
        for key in (
            "case_id",
            "engine_version",
            "knowledge_version",
            "assessment_date",
            "input_sha256",
            "notice",
            "classification",
        ):
            assert short[key] == whole[key], key
        assert set(short["risk"]) == set(whole["risk"])
        for fid, answer in short["risk"].items():
            source = whole["risk"][fid]
            assert answer == {k: source[k] for k in ("status", "group", "hsct_in_cr2", "rules", "branches")}
        assert short["options"] == [
            {k: o[k] for k in ("id", "phase", "status", "rule", "branches")} for o in whole["options"]
        ]
        assert short["missing_fields"] == [m["field"] for m in whole["missing_data"]]
        assert short["citations"] == sorted(whole["references"])


def test_outputs_fit_the_published_schemas() -> None:
    for detail in ("full", "summary"):
        schema = _json(["schema", "--output", "--detail", detail])
        outputs = _json(["assess", "--format", "json", "--detail", detail, *map(str, EXAMPLES[:6])])
        assert isinstance(outputs, list)
        for output in outputs:
            jsonschema.validate(output, schema)  # type: ignore[arg-type]
    summary_schema = _json(["schema", "--output", "--detail", "summary"])
    assert isinstance(summary_schema, dict)
    assert summary_schema["additionalProperties"] is False  # a new field must be documented


def test_batch_path_gives_the_one_by_one_summary(tmp_path: Path) -> None:
    import yaml

    lines = [json.dumps(yaml.safe_load(p.read_text())) for p in EXAMPLES] * 100  # past the parallel threshold
    batch = tmp_path / "cases.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "rrall"),
            "assess",
            "--format",
            "jsonl",
            "--detail",
            "summary",
            str(batch),
        ],
        capture_output=True,
        check=True,
    ).stdout.splitlines()
    single = _json(["assess", "--format", "json", "--detail", "summary", *map(str, EXAMPLES)])
    assert isinstance(single, list) and len(out) == len(lines)
    for i, line in enumerate(out):
        record = json.loads(line)
        expected = dict(single[i % len(EXAMPLES)])
        # The same case read from a file and from a JSON line has the same input hash.
        assert record == expected


def test_summary_needs_json_output() -> None:
    result = runner.invoke(app, ["assess", "--detail", "summary", str(EXAMPLES[0])])
    assert result.exit_code == 2
    assert "applies to JSON and JSON Lines" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["schema", "--detail", "summary"])
    assert result.exit_code == 2 and "--output" in result.output
