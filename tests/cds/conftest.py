"""Fixtures of the CDS Hooks tests: the service with a configured client, and a FHIR server
on loopback holding one example patient."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from rrall.knowledge.load import KnowledgeBase
from rrall.web.app import create_app
from tests.cds.support import ISSUER, LOOPBACK, jwks, record
from tests.conftest import ROOT
from tests.web.conftest import settings_for

PATIENT_IDS = {record(p.stem)["patient"]["id"] for p in (ROOT / "examples" / "cases").glob("*.yaml")}


@pytest.fixture(autouse=True)
def no_patient_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every CDS test runs with every logger at DEBUG; afterwards no log line may name an
    example patient's id or a FHIR search by patient (httpx logs request URLs at INFO)."""
    caplog.set_level(logging.DEBUG)
    yield
    ids = PATIENT_IDS | {"patient="}
    records = caplog.get_records("setup") + caplog.get_records("call")
    named = [r.getMessage() for r in records if any(i in r.getMessage() for i in ids)]
    assert named == [], named[:3]


@pytest.fixture
def cds(tmp_path: Path, kb: KnowledgeBase) -> Iterator[TestClient]:
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps({ISSUER: jwks()}))
    app = create_app(
        settings_for(f"sqlite:///{tmp_path}/rrall.db", cds_clients=str(clients), public_url=""), kb
    )
    with TestClient(app, client=LOOPBACK) as client:
        yield client
    app.state.repo.engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def fhir_server() -> Iterator[tuple[str, list[str]]]:
    """A FHIR server on loopback holding one example patient; it needs a bearer token."""
    data = record("t-marrow-early")
    seen: list[str] = []
    ehr = FastAPI()

    @ehr.get("/fhir/Patient/{pid}")
    def patient(pid: str, request: Request) -> JSONResponse:
        seen.append(request.headers.get("authorization", ""))
        if request.headers.get("authorization") != "Bearer ehr-token":
            return JSONResponse({"resourceType": "OperationOutcome"}, status_code=401)
        return JSONResponse(data["patient"])

    @ehr.get("/fhir/{kind}")
    def search(kind: str, patient: str, request: Request) -> JSONResponse:
        seen.append(request.headers.get("authorization", ""))
        key = {
            "Condition": "conditions",
            "Observation": "observations",
            "Procedure": "procedures",
            "MedicationStatement": "medicationStatements",
            "MedicationAdministration": "medicationAdministrations",
            "MedicationRequest": "medicationRequests",
        }[kind]
        assert patient == data["patient"]["id"]
        return JSONResponse(data[key])

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(ehr, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/fhir", seen
    server.should_exit = True
    thread.join(timeout=10)
