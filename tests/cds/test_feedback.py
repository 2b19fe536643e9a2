"""CDS Hooks 2.0 feedback: accepted and overridden cards kept in the audit log by card id,
without the user's comment; JWT-checked like the services."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.cds.support import auth, hook_request, token

SERVICE = "http://testserver/cds-services/rrall-relapsed-all"
FEEDBACK = SERVICE + "/feedback"
WHEN = "2026-11-23T10:15:00Z"


def _feedback(card: str, outcome: str = "accepted", **extra: Any) -> dict[str, Any]:
    return {"feedback": [{"card": card, "outcome": outcome, "outcomeTimestamp": WHEN} | extra]}


def test_feedback_is_audited_by_card_without_the_comment(cds: TestClient) -> None:
    cards = cds.post(SERVICE, json=hook_request("b-marrow-early"), headers=auth(token())).json()["cards"]
    accepted = _feedback(cards[0]["uuid"], acceptedSuggestions=[{"id": "s-1"}])
    answer = cds.post(FEEDBACK, json=accepted, headers=auth(token(aud=FEEDBACK)))
    assert answer.status_code == 200, answer.text
    overridden = _feedback(
        cards[0]["uuid"],
        "overridden",
        overrideReason={
            "reason": {"system": "https://ehr.example/override", "code": "patient-declined"},
            "userComment": "Mother of Jane Doe, MRN 123, declined",
        },
    )
    assert cds.post(FEEDBACK, json=overridden, headers=auth(token(aud=FEEDBACK))).status_code == 200
    log = cds.app.state.workbench.repo.audit_log()  # type: ignore[attr-defined]
    shown = next(e for e in log if e.action == "cds.cards")
    assert cards[0]["uuid"] in shown.detail["cards"] and shown.object_type == "case"
    [over, accept] = [e for e in log if e.action.startswith("cds.feedback.")]
    assert (accept.action, accept.object_type, accept.object_id) == (
        "cds.feedback.accepted",
        "card",
        cards[0]["uuid"],
    )
    assert accept.detail["accepted_suggestions"] == ["s-1"]
    assert over.detail["override_reason"] == "https://ehr.example/override|patient-declined"
    assert "Jane" not in str(over.detail) and "MRN" not in str(over.detail)


@pytest.mark.parametrize(
    "body",
    [
        {"feedback": []},
        {"feedback": [{"card": "not-a-uuid", "outcome": "accepted", "outcomeTimestamp": WHEN}]},
        {"feedback": [{"card": str(uuid.uuid4()), "outcome": "ignored", "outcomeTimestamp": WHEN}]},
        {"feedback": [{"card": str(uuid.uuid4()), "outcome": "accepted"}]},
        {"nothing": 1},
    ],
)
def test_feedback_that_is_not_cds_hooks_feedback_is_a_400(cds: TestClient, body: dict[str, Any]) -> None:
    answer = cds.post(FEEDBACK, json=body, headers=auth(token(aud=FEEDBACK)))
    assert answer.status_code == 400, answer.text
    assert answer.json()["operationOutcome"]["resourceType"] == "OperationOutcome"


def test_feedback_needs_a_jwt_for_its_own_address(cds: TestClient) -> None:
    body = _feedback(str(uuid.uuid4()))
    assert cds.post(FEEDBACK, json=body).status_code == 401
    wrong = cds.post(FEEDBACK, json=body, headers=auth(token(aud=SERVICE)))
    assert wrong.status_code == 401 and "audience" in wrong.json()["message"]
    unknown = cds.post("/cds-services/nothing/feedback", json=body, headers=auth(token()))
    assert unknown.status_code == 404
