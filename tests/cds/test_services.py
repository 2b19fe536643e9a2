"""CDS Hooks 2.0: discovery, the spec's request shapes, prefetch present and absent (read
from a FHIR server started here on loopback), every JWT accept and reject path, cards."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from rrall.knowledge.load import KnowledgeBase
from rrall.web.app import create_app
from tests.cds.support import ISSUER, RSA_KEY, SERVICE, auth, hook_request, jwks, token
from tests.fhir.test_import import is_diagnosis
from tests.web.conftest import settings_for


def test_discovery(cds: TestClient) -> None:
    services = {s["id"]: s for s in cds.get("/cds-services").json()["services"]}
    assert services["rrall-relapsed-all"]["hook"] == "patient-view"
    assert services["rrall-order-check"]["hook"] == "order-select"
    prefetch = services["rrall-relapsed-all"]["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert prefetch["conditions"] == "Condition?patient={{context.patientId}}"


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_patient_view_with_prefetch(cds: TestClient, alg: str) -> None:
    response = cds.post(
        "/cds-services/rrall-relapsed-all", json=hook_request("b-marrow-early"), headers=auth(token(alg))
    )
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    main = cards[0]
    assert len(main["summary"]) < 140 and "BFM S3" in main["summary"]
    assert main["indicator"] in ("info", "warning", "critical")
    assert main["source"]["label"].startswith("rrall (knowledge base ")
    assert "| ALL-REZ BFM" in main["detail"] and "does not prescribe" in main["detail"]
    assert all(set(c) >= {"uuid", "summary", "indicator", "source"} for c in cards)


def _claims(jti: str) -> dict[str, object]:
    """Claims the service would accept from a configured client (the signing is what is wrong)."""
    now = int(time.time())
    return {"iss": ISSUER, "aud": SERVICE, "exp": now + 60, "iat": now, "jti": jti}


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (
            lambda: jwt.encode(_claims("x"), None, algorithm="none"),
            "algorithm 'none' is refused",
        ),
        (
            lambda: jwt.encode(_claims("y"), "a-shared-secret-of-enough-length-for-hmac", algorithm="HS256"),
            "algorithm 'HS256' is refused",
        ),
        (lambda: token(aud="https://elsewhere.example/cds-services/rrall-relapsed-all"), "audience"),
        (lambda: token(exp=-600), "expired"),
        (lambda: token(iss="https://unknown.example"), "not a configured CDS client"),
        (lambda: token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048)), "not valid"),
        (lambda: token(jti=None), "jti"),
        (lambda: token(kid="nope"), "no key 'nope'"),
        (
            lambda: jwt.encode(_claims("z"), RSA_KEY, algorithm="RS384"),
            "kid is required",
        ),
        (lambda: "not-a-jwt", "cannot be read"),
    ],
)
def test_jwt_rejections(cds: TestClient, make: Any, why: str) -> None:
    response = cds.post(
        "/cds-services/rrall-relapsed-all", json=hook_request("b-marrow-early"), headers=auth(make())
    )
    assert response.status_code == 401, response.text
    assert why in response.json()["message"]


def test_missing_authorization_and_replay(cds: TestClient) -> None:
    body = hook_request("b-marrow-early")
    assert cds.post("/cds-services/rrall-relapsed-all", json=body).status_code == 401
    once = token(jti="only-once")
    assert cds.post("/cds-services/rrall-relapsed-all", json=body, headers=auth(once)).status_code == 200
    again = cds.post("/cds-services/rrall-relapsed-all", json=body, headers=auth(once))
    assert again.status_code == 401 and "used before" in again.json()["message"]


def test_bad_requests(cds: TestClient) -> None:
    wrong_hook = hook_request("b-marrow-early", hook="order-sign")
    response = cds.post("/cds-services/rrall-relapsed-all", json=wrong_hook, headers=auth(token()))
    assert response.status_code == 400 and "patient-view" in response.json()["message"]
    assert cds.post("/cds-services/nothing", json={}, headers=auth(token())).status_code == 404
    bare = hook_request("b-marrow-early", prefetch=False)
    response = cds.post("/cds-services/rrall-relapsed-all", json=bare, headers=auth(token()))
    assert response.status_code == 412 and "no prefetch and no fhirServer" in response.json()["message"]
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    outcome = OperationOutcome.model_validate(response.json()["operationOutcome"])
    assert outcome.issue[0].code == "incomplete"


def test_missing_data_becomes_a_card_asking_for_it(cds: TestClient) -> None:
    body = hook_request("b-marrow-early")
    conditions = body["prefetch"]["conditions"]
    conditions["entry"] = [e for e in conditions["entry"] if is_diagnosis(e["resource"])]  # no relapse
    body["prefetch"]["observations"]["entry"] = []
    response = cds.post("/cds-services/rrall-relapsed-all", json=body, headers=auth(token()))
    [card] = response.json()["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"].startswith("rrall cannot assess this record yet")
    assert card["summary"] == "rrall cannot assess this record yet: 1 problem to fix or fill in"
    detail = card["detail"]
    assert "- Relapses: the record has no relapse of ALL" in detail


def test_the_cannot_assess_card_names_resources_as_the_chart_does(cds: TestClient) -> None:
    body = hook_request("b-marrow-early")
    observations = body["prefetch"]["observations"]["entry"]
    subject = observations[0]["resource"]["subject"]
    observations.append({"resource": {
        # An id with a dot before a lowercase letter, like an element ("Observation/ferritin.lab"),
        # and a code text that would be Markdown (a link) if not escaped.
        "resourceType": "Observation", "id": "ferritin.lab", "status": "final", "subject": subject,
        "code": {"text": "Ferritin [lab](http://x)",
                 "coding": [{"system": "http://loinc.org", "code": "2276-4", "display": "Ferritin"}]},
        "valueQuantity": {"value": 300, "unit": "ng/mL"}}})
    conditions = body["prefetch"]["conditions"]
    conditions["entry"] = [e for e in conditions["entry"] if is_diagnosis(e["resource"])]
    response = cds.post("/cds-services/rrall-relapsed-all", json=body, headers=auth(token()))
    [card] = response.json()["cards"]
    detail = card["detail"]
    assert "- Ferritin \\[lab\\](http://x) (result): an observation rrall does not map; not used" in detail
    # What the chart shows, not FHIR ids, field paths or vocabulary keys.
    assert "Observation/" not in detail and "induction_outcome" not in detail
    assert "- Relapses: no relapse is given" in detail
    assert "(allowed: at least one relapse, or Response to front-line induction: induction failure)" in detail
    assert ("- Leukemic blasts in the marrow aspirate (%) (result of 2021-09-14): a finding at relapse, "
            "but the record has no dated relapse") in detail


def test_order_select_t315i_and_non_ponatinib_tki(cds: TestClient) -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "draft-1",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/x"},
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": "475342",
                    "display": "dasatinib",
                }
            ]
        },
    }
    body = hook_request("ph-positive-t315i", hook="order-select")
    body["context"] |= {
        "selections": ["MedicationRequest/draft-1"],
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}]},
    }
    response = cds.post(
        "/cds-services/rrall-order-check",
        json=body,
        headers=auth(token(aud="http://testserver/cds-services/rrall-order-check")),
    )
    [card] = response.json()["cards"]
    assert card["indicator"] == "critical" and "T315I" in card["summary"] and "Ponatinib" in card["summary"]
    assert len(card["summary"]) < 140
    # the sources as a reader knows them, not rrall's keys; the safety notice on the card itself
    assert "NCCN-mut-table" not in card["detail"] and "NCCN Guidelines for CML" in card["detail"]
    assert "does not prescribe" in card["detail"]
    # A draft rrall cannot read (no subject) is said to be unchecked, never answered with no card.
    unreadable = {k: v for k, v in order.items() if k != "subject"}
    body["context"]["draftOrders"] = {"resourceType": "Bundle", "type": "collection",
                                      "entry": [{"resource": unreadable}]}
    again = cds.post("/cds-services/rrall-order-check", json=body,
                     headers=auth(token(aud="http://testserver/cds-services/rrall-order-check")))
    [unchecked] = again.json()["cards"]
    assert unchecked["indicator"] == "warning" and "not checked" in unchecked["summary"]


def test_prefetch_absent_reads_the_fhir_server(cds: TestClient, fhir_server: tuple[str, list[str]]) -> None:
    base, seen = fhir_server
    body = hook_request(
        "t-marrow-early",
        prefetch=False,
        fhirServer=base,
        fhirAuthorization={
            "access_token": "ehr-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "rrall",
        },
    )
    response = cds.post("/cds-services/rrall-relapsed-all", json=body, headers=auth(token()))
    assert response.status_code == 200, response.text
    assert "BFM S4" in response.json()["cards"][0]["summary"]
    assert len(seen) == 7 and set(seen) == {"Bearer ehr-token"}
    body["fhirAuthorization"]["access_token"] = "stale"
    refused = cds.post("/cds-services/rrall-relapsed-all", json=body, headers=auth(token()))
    assert refused.status_code == 412 and "401" in refused.json()["message"]


def test_partial_prefetch_is_completed_from_the_server(
    cds: TestClient, fhir_server: tuple[str, list[str]]
) -> None:
    base, seen = fhir_server
    body = hook_request("t-marrow-early", fhirServer=base, fhirAuthorization={"access_token": "ehr-token"})
    del body["prefetch"]["observations"]
    response = cds.post("/cds-services/rrall-relapsed-all", json=body, headers=auth(token()))
    assert response.status_code == 200 and len(seen) == 1


def test_hardening(cds: TestClient, tmp_path: Path, kb: KnowledgeBase) -> None:
    body = hook_request("b-marrow-early")
    long_lived = token(exp=3600)
    answer = cds.post("/cds-services/rrall-relapsed-all", json=body, headers=auth(long_lived))
    assert answer.status_code == 401 and "5 minutes" in answer.json()["message"]
    other_host = TestClient(cds.app, base_url="http://rrall.other.example")
    foreign = token(aud="http://rrall.other.example/cds-services/rrall-relapsed-all")
    answer = other_host.post("/cds-services/rrall-relapsed-all", json=body, headers=auth(foreign))
    assert answer.status_code == 503 and "RRALL_PUBLIC_URL" in answer.json()["message"]
    clients = tmp_path / "limited.json"
    clients.write_text(json.dumps({ISSUER: jwks() | {"fhir_servers": ["https://ehr.example/fhir"]}}))
    limited = create_app(settings_for(f"sqlite:///{tmp_path}/l.db", cds_clients=str(clients)), kb)
    with TestClient(limited, client=("127.0.0.1", 50000)) as client:
        elsewhere = hook_request("b-marrow-early", prefetch=False, fhirServer="http://169.254.169.254/latest")
        answer = client.post("/cds-services/rrall-relapsed-all", json=elsewhere, headers=auth(token()))
        assert answer.status_code == 403 and "fhir_servers" in answer.json()["message"]
    limited.state.repo.engine.dispose()


def test_fetch_never_sends_the_token_elsewhere() -> None:
    import httpx

    from rrall.errors import FetchError
    from rrall.fhir.client import fetch

    seen: list[str] = []

    def ehr(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path.endswith("/Patient/p1"):
            return httpx.Response(200, json={"resourceType": "Patient", "id": "p1"})
        if request.url.host == "ehr.example" and "page2" not in str(request.url):
            return httpx.Response(
                200,
                json={
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "entry": [],
                    "link": [{"relation": "next", "url": "https://evil.example/page2"}],
                },
            )
        return httpx.Response(200, text="<html>login</html>")

    with pytest.raises(FetchError, match="another server"):
        fetch(
            "https://ehr.example/fhir",
            "secret",
            "p1",
            {"c": "Condition?patient=p1"},
            httpx.MockTransport(ehr),
        )
    assert not any("evil" in url for url in seen)
    with pytest.raises(FetchError, match="not JSON"):
        fetch(
            "https://ehr.example/fhir", "secret", "p1", {"c": "Observation?page2=1"}, httpx.MockTransport(ehr)
        )


RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@pytest.mark.parametrize(
    ("medication", "label"),
    [
        (
            {"text": "Dasatinib 100 mg tablet", "coding": [{"system": RXNORM, "code": "475342"}]},
            "Dasatinib 100 mg tablet",
        ),
        ({"coding": [{"system": RXNORM, "code": "475342", "display": "dasatinib"}]}, "dasatinib"),
        ({"coding": [{"system": RXNORM, "code": "475342"}]}, "RxNorm 475342"),
        (
            {
                "coding": [
                    {
                        "system": RXNORM,
                        "code": "1000001",  # a clinical drug: known by its name
                        "display": "dasatinib 100 MG Oral Tablet",
                    }
                ]
            },
            "dasatinib 100 MG Oral Tablet",
        ),
    ],
)
def test_the_critical_order_card_names_the_order_and_the_drug_ruled_out(
    cds: TestClient, medication: dict[str, Any], label: str
) -> None:
    order = {
        "resourceType": "MedicationRequest",
        "id": "draft-1",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/x"},
        "medicationCodeableConcept": medication,
    }
    body = hook_request("ph-positive-t315i", hook="order-select")
    body["context"] |= {
        "selections": ["MedicationRequest/draft-1"],
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}]},
    }
    response = cds.post(
        "/cds-services/rrall-order-check",
        json=body,
        headers=auth(token(aud="http://testserver/cds-services/rrall-order-check")),
    )
    [card] = response.json()["cards"]
    assert card["indicator"] == "critical"
    assert card["summary"] == (
        f"{label} ordered, but ABL1 T315I in this relapse rules out Dasatinib. Still an option: Ponatinib"
    )
    assert card["detail"].startswith(f"**{label}** was ordered.")
    assert "rules out **Dasatinib**" in card["detail"]


def test_patient_view_card_carries_the_warnings_and_the_relapse_after_hsct() -> None:
    """The card is often all a clinician sees: the after-HSCT warning and the fact that
    explains why no framework applies are on it, as on the report."""
    from pathlib import Path

    import orjson

    from rrall.assessment import assess
    from rrall.case.load import load_case
    from rrall.fhir.cards import assessment_cards
    from rrall.knowledge.load import default_knowledge
    from rrall.report.fastjson import assessment_json

    kb = default_knowledge()
    examples = Path(__file__).resolve().parents[2] / "examples" / "cases"
    case = load_case(examples / "post-allo-hsct-relapse.yaml", kb)
    result = orjson.loads(assessment_json(assess(case, kb)))
    names = {k: fw.short_name for k, fw in kb.frameworks.items()}
    card = assessment_cards(result, {"label": "rrall"}, None, names, kb.glossary)[0]
    assert "after allogeneic HSCT" in card["summary"] and len(card["summary"]) < 140
    assert card["indicator"] == "warning" and "**Warning:** Relapse after allogeneic HSCT" in card["detail"]


def test_the_patient_view_card_lists_the_trials_to_check_and_each_options_source(cds: TestClient) -> None:
    """An early marrow relapse of B-ALL: IntReALL HR 2010 (NCT03590171) is the high-risk
    first-relapse trial; rrall meets its structured criteria and leaves one exclusion (pregnancy,
    another trial) to the team, so the card names it with that check instead of leaving it
    out. Each option to weigh names the source it rests on."""
    response = cds.post("/cds-services/rrall-relapsed-all", json=hook_request("b-marrow-early"),
                        headers=auth(token()))
    detail = response.json()["cards"][0]["detail"]
    assert "**Trials that may fit:**" in detail
    assert "- NCT03590171, International Study for Treatment of High Risk Childhood Relapsed ALL" in detail
    assert "to check: Excludes pregnancy" in detail
    assert "more trials would need:** Performance score" in detail
    assert "Blinatumomab (CD19 x CD3 bispecific T-cell engager) [Locatelli 2021]" in detail
