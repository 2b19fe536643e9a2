"""Bad input: a clear error naming the field, exit status 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from rrall.cli import app
from tests.conftest import BASE_CASE, make_case

INVALID = yaml.safe_load((Path(__file__).parent / "invalid.yaml").read_text())
runner = CliRunner()


def _broken(entry: dict[str, Any]) -> dict[str, Any]:
    changes = {k: (... if entry.get("delete") else v) for k, v in entry["changes"].items()}
    return make_case(**changes)


@pytest.mark.parametrize("entry", INVALID, ids=[e["name"] for e in INVALID])
def test_each_rule_reports_path_and_exits_2(tmp_path: Path, entry: dict[str, Any]) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(_broken(entry)))
    result = runner.invoke(app, ["assess", "--format", "json", str(path)])
    assert result.exit_code == 2, result.output
    record = json.loads(result.stdout)
    assert record["case_id"] == "base"
    hits = [e for e in record["errors"] if e["path"] == entry["path"]]
    assert hits, record["errors"]
    assert any(entry["says"] in e["message"] + " " + e.get("allowed", "") for e in hits), hits
    assert "Traceback" not in result.output


def test_all_errors_at_once(tmp_path: Path) -> None:
    case = make_case(**{"sex": "female", "relapses.0.sites": ["bone_marrow", "testis"],
                        "diagnosis.date": "2011-01-01", "weight": 3,
                        "mrd": [{"timepoint": "end_of_reinduction", "value": 0.1}]})
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    result = runner.invoke(app, ["assess", "-f", "json", str(path)])
    paths = {e["path"] for e in json.loads(result.stdout)["errors"]}
    assert {"relapses[0].sites", "diagnosis.date", "weight", "mrd[0].unit"} <= paths


def test_allowed_values_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(make_case(**{"relapses.0.cd19": "weak"})))
    result = runner.invoke(app, ["assess", "-f", "json", str(path)])
    (error,) = json.loads(result.stdout)["errors"]
    assert error["allowed"] == "'positive', 'dim', 'negative' or 'unknown'"


@pytest.mark.parametrize(("name", "text", "says"), [
    ("bad.json", '{"id": "x", "sex": ', "not valid JSON"),
    ("bad.yaml", "id: x\nsex: [male\n", "not valid YAML"),
    ("list.json", "[1, 2]", "JSON/YAML object"),
    ("case.txt", "id: x", "unknown file type"),
])
def test_unreadable_files(tmp_path: Path, name: str, text: str, says: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2
    assert says in result.stderr
    assert "Traceback" not in result.output


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["assess", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "cannot read file" in result.stderr


def test_batch_reports_bad_lines_and_assesses_the_rest(tmp_path: Path) -> None:
    good = orjson.dumps(BASE_CASE).decode()
    bad = orjson.dumps(make_case(id="bad", sex="x")).decode()
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join([good, bad, "{not json", good.replace('"base"', '"second"')]) + "\n")
    result = runner.invoke(app, ["assess", "-f", "jsonl", str(path)])
    assert result.exit_code == 2
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("case_id") for line in lines] == ["base", "bad", None, "second"]
    assert lines[1]["line"] == 2 and lines[1]["errors"][0]["path"] == "sex"
    assert lines[2]["line"] == 3 and "not valid JSON" in lines[2]["errors"][0]["message"]
    assert "risk" in lines[0] and "risk" in lines[3]
