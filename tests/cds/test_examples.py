"""The ready CDS Hooks requests in examples/cds-hooks/ work as their README says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rrall.cli import app as cli
from rrall.knowledge.load import KnowledgeBase
from rrall.web.app import create_app
from tests.cds.support import LOOPBACK
from tests.conftest import ROOT
from tests.web.conftest import settings_for

runner = CliRunner()


@pytest.mark.parametrize(
    ("name", "service", "indicator"),
    [("patient-view", "rrall-relapsed-all", "info"), ("order-select", "rrall-order-check", "critical")],
)
def test_ready_request(tmp_path: Path, kb: KnowledgeBase, name: str, service: str, indicator: str) -> None:
    made = runner.invoke(cli, ["cds", "keygen", str(tmp_path / "client")])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "client" / "private-key.pem").stat().st_mode & 0o777 == 0o600
    application = create_app(
        settings_for(f"sqlite:///{tmp_path}/rrall.db", cds_clients=str(tmp_path / "client" / "clients.json")),
        kb,
    )
    url = f"http://testserver/cds-services/{service}"
    jwt = runner.invoke(
        cli, ["cds", "token", "--key", str(tmp_path / "client" / "private-key.pem"), "--audience", url]
    ).stdout.strip()
    body = json.loads((ROOT / "examples" / "cds-hooks" / f"{name}.json").read_text())
    with TestClient(application, client=LOOPBACK) as client:
        response = client.post(
            f"/cds-services/{service}", json=body, headers={"Authorization": f"Bearer {jwt}"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["cards"][0]["indicator"] == indicator
        feedback = url + "/feedback"  # as the README shows
        jwt = runner.invoke(
            cli,
            ["cds", "token", "--key", str(tmp_path / "client" / "private-key.pem"), "--audience", feedback],
        ).stdout.strip()
        sent = {
            "feedback": [
                {
                    "card": response.json()["cards"][0]["uuid"],
                    "outcome": "accepted",
                    "outcomeTimestamp": "2026-11-23T10:15:00Z",
                }
            ]
        }
        answer = client.post(
            feedback.removeprefix("http://testserver"), json=sent, headers={"Authorization": f"Bearer {jwt}"}
        )
        assert answer.status_code == 200, answer.text
    application.state.repo.engine.dispose()
