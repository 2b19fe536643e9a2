"""What the EHR prefetched: a key its query failed on (an OperationOutcome, CDS Hooks 2.0) is
never read as "no data", and a Patient other than context.patientId is refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.cds.support import auth, hook_request, token

FAILED = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "timeout", "diagnostics": "Observation search timed out"}],
}
SERVICE = "/cds-services/rrall-relapsed-all"


def _stored_cases(cds: TestClient) -> int:
    total, _ = cds.app.state.workbench.repo.cases()  # type: ignore[attr-defined]
    return int(total)


def _in_a_searchset(outcome: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": outcome, "search": {"mode": "outcome"}}],
    }


@pytest.mark.parametrize(
    "failed",
    [
        FAILED,
        _in_a_searchset(FAILED),
        {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "incomplete"}]},
    ],
)
def test_a_failed_prefetch_without_a_server_is_a_412_naming_it(
    cds: TestClient, failed: dict[str, Any]
) -> None:
    body = hook_request("b-marrow-early")
    body["prefetch"]["observations"] = failed
    answer = cds.post(SERVICE, json=body, headers=auth(token()))
    assert answer.status_code == 412, answer.text
    message = answer.json()["message"]
    assert "could not prefetch observations (OperationOutcome" in message and "no fhirServer" in message
    assert answer.json()["operationOutcome"]["issue"][0]["code"] == "incomplete"
    assert _stored_cases(cds) == 0  # the weaker record is never stored


def test_a_warning_inside_a_search_result_is_not_a_failure(cds: TestClient) -> None:
    body = hook_request("b-marrow-early")
    observations = body["prefetch"]["observations"]
    observations["entry"].append(
        {
            "resource": {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "warning", "code": "informational", "diagnostics": "some results omitted"}
                ],
            },
            "search": {"mode": "outcome"},
        }
    )
    answer = cds.post(SERVICE, json=body, headers=auth(token()))
    assert answer.status_code == 200, answer.text


def test_a_failed_prefetch_is_read_from_the_fhir_server(
    cds: TestClient, fhir_server: tuple[str, list[str]]
) -> None:
    base, seen = fhir_server
    full = hook_request("t-marrow-early")
    expected = cds.post(SERVICE, json=full, headers=auth(token())).json()["cards"][0]["summary"]
    body = hook_request("t-marrow-early", fhirServer=base, fhirAuthorization={"access_token": "ehr-token"})
    body["prefetch"]["observations"] = FAILED
    answer = cds.post(SERVICE, json=body, headers=auth(token()))
    assert answer.status_code == 200, answer.text
    assert len(seen) == 1  # the one failed key, read again
    assert answer.json()["cards"][0]["summary"] == expected
    repo = cds.app.state.workbench.repo  # type: ignore[attr-defined]
    assert _stored_cases(cds) == 1 and len(repo.versions(repo.cases()[1][0].id)) == 1  # no weaker version


def test_a_prefetched_patient_other_than_the_context_is_refused(cds: TestClient) -> None:
    body = hook_request("b-marrow-early")
    body["context"]["patientId"] = "someone-else"
    answer = cds.post(SERVICE, json=body, headers=auth(token()))
    assert answer.status_code == 400, answer.text
    message = answer.json()["message"]
    assert f"Patient/{body['prefetch']['patient']['id']}" in message and "someone-else" in message
    assert "diagnosis is required" not in message
    assert answer.json()["operationOutcome"]["resourceType"] == "OperationOutcome"
    assert _stored_cases(cds) == 0
