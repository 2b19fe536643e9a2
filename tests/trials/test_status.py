"""Registry status (issue 20): the conservative status when sources disagree, unknown-status
trials listed in their own group, dated statuses with a staleness warning, `rrall trials
import` refreshing a curated trial's status from a newer registry record, and `rrall trials
lint` reporting the free-text bullets left per trial."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from rrall.cli import app
from rrall.knowledge.load import default_knowledge
from rrall.trials.model import Trial, most_conservative
from rrall.trials.status import status_warning

KB = default_knowledge()
FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def test_the_most_conservative_status_wins() -> None:
    assert most_conservative(["recruiting", "suspended"]) == "suspended"
    assert most_conservative(["unknown", "recruiting"]) == "unknown"
    assert most_conservative(["completed", "active_not_recruiting"]) == "completed"


def test_a_status_other_than_the_conservative_one_is_refused() -> None:
    record: dict[str, Any] = {
        "id": "X",
        "title": "x",
        "status": "recruiting",
        "status_reports": [{"status": "recruiting", "source": "a"}, {"status": "suspended", "source": "b"}],
    }
    with pytest.raises(ValidationError, match="most conservative"):
        Trial.model_validate(record, context={"grammar": KB.grammar})
    assert Trial.model_validate({**record, "status": "suspended"}, context={"grammar": KB.grammar}).status


def test_staleness_warning_after_the_configured_age() -> None:
    assert status_warning(date(2023, 1, 19), date(2023, 7, 18), 6) is None
    warned = status_warning(date(2023, 1, 19), date(2023, 7, 19), 6)
    assert warned and "2023-01-19" in warned and "6 months" in warned
    assert status_warning(date(2023, 1, 19), date(2023, 12, 1), 12) is None
    undated = status_warning(None, date(2023, 1, 1), 6)
    assert undated and "no date" in undated
    assert KB.trial_status_max_age == 6


def _study(nct: str, status: str, updated: str) -> dict[str, Any]:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct, "briefTitle": "registry record"},
            "statusModule": {"overallStatus": status, "lastUpdatePostDateStruct": {"date": updated}},
        }
    }


def test_import_refreshes_a_curated_status_from_a_newer_registry_record(tmp_path: Path) -> None:
    source = tmp_path / "study.json"
    source.write_bytes(orjson.dumps(_study("NCT04546399", "RECRUITING", "2026-11-30")))
    result = runner.invoke(app, ["trials", "import", str(source), "--registry", str(tmp_path / "reg")])
    assert result.exit_code == 0, result.output
    assert (
        "status of NCT04546399 refreshed from the registry: suspended (undated) -> recruiting"
        in result.output
    )
    listed = runner.invoke(app, ["trials", "list", "--format", "json", "--registry", str(tmp_path / "reg")])
    row = next(t for t in orjson.loads(listed.output)["trials"] if t["id"] == "NCT04546399")
    assert (row["status"], row["status_as_of"], row["curated"]) == ("recruiting", "2026-11-30", True)


def test_trials_lint_lists_free_text_per_trial_and_the_coverage() -> None:
    result = runner.invoke(app, ["trials", "lint", "--format", "json"])
    assert result.exit_code == 0
    data = orjson.loads(result.output)
    assert data["trials"] == 42 and 0 < data["structured"] < data["total"]
    inomrd = next(t for t in data["per_trial"] if t["id"] == "NCT03913559")
    assert inomrd["structured"] == 3 and len(inomrd["free_text"]) == 1
    text = runner.invoke(app, ["trials", "lint"]).output
    assert f"{data['structured']}/{data['total']} eligibility bullets structured" in text
