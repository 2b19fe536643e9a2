"""CDS Hooks attacks: fhirServer addresses that only look like an allowed server, JWTs whose
algorithm does not fit their key, and logs that must not name the patient."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from rrall.errors import UnsafeServer
from rrall.fhir.client import server_parts, within
from rrall.knowledge.load import KnowledgeBase
from rrall.web.app import create_app
from rrall.web.cdsauth import CdsClients
from tests.cds.support import EC_KEY, ISSUER, LOOPBACK, RSA_KEY, auth, hook_request, jwks, token
from tests.web.conftest import settings_for

ALLOWED = "http://127.0.0.1:18401"


@pytest.mark.parametrize(
    "server",
    [
        "http://127.0.0.1:18401@127.0.0.1:18402/fhir",  # userinfo: the real host is 18402
        "http://127.0.0.1:18401:x@127.0.0.1:18402/fhir",
        "http://127.0.0.1:184010/fhir",  # a longer port that starts with the allowed one
        "http://127.0.0.1:1840/fhir",
        "http://127.0.0.1:18401.evil.example/fhir",
        "https://127.0.0.1:18401/fhir",  # another scheme
        "http://127.0.0.2:18401/fhir",
        "http://127.0.0.1\\@evil.example:18401/fhir",
        "ftp://127.0.0.1:18401/fhir",
        "http://127.0.0.1:18401/fhir?_format=json",
        "http://127.0.0.1:18401/fhir#x",
        "not a url at all",
    ],
)
def test_servers_that_only_look_allowed_are_refused(server: str) -> None:
    clients = CdsClients({ISSUER: jwks() | {"fhir_servers": [ALLOWED]}})
    with pytest.raises(Exception) as refused:
        clients.check_server(ISSUER, server)
    assert getattr(refused.value, "status", None) == 403


@pytest.mark.parametrize(
    ("server", "base", "inside"),
    [
        ("https://ehr.example/fhir", "https://ehr.example/fhir", True),
        ("https://EHR.example:443/fhir/", "https://ehr.example/fhir", True),  # case and default port
        ("https://ehr.example./fhir", "https://ehr.example/fhir", True),
        ("https://ehr.example/fhir/r4", "https://ehr.example/fhir", True),
        ("https://ehr.example/fhir-evil", "https://ehr.example/fhir", False),  # not on a segment boundary
        ("https://ehr.example/fhirx/r4", "https://ehr.example/fhir", False),
        ("https://ehr.example/other", "https://ehr.example/fhir", False),
        ("https://ehr.example/fhir/../admin", "https://ehr.example/fhir", False),  # dot segments
        ("https://ehr.example/fhir/%2e%2e/admin", "https://ehr.example/fhir", False),
        ("https://ehr.example/fhir%2f..%2fadmin", "https://ehr.example/fhir", False),  # encoded slash
        ("https://ehr.example:8443/fhir", "https://ehr.example/fhir", False),
        ("http://ehr.example/fhir", "https://ehr.example/fhir", False),
        ("https://ehr.example.evil/fhir", "https://ehr.example/fhir", False),
        ("https://evil.example/fhir", "https://ehr.example", False),
        ("https://ehr.example/anything", "https://ehr.example", True),
    ],
)
def test_within_compares_parsed_parts(server: str, base: str, inside: bool) -> None:
    assert within(server, base) is inside


def test_userinfo_is_refused_even_without_an_allow_list() -> None:
    clients = CdsClients({ISSUER: jwks()})
    clients.check_server(ISSUER, "https://ehr.example/fhir")
    with pytest.raises(Exception) as refused:
        clients.check_server(ISSUER, "https://ehr.example@other.example/fhir")
    assert "user name or password" in str(refused.value)
    with pytest.raises(UnsafeServer, match="out of range"):
        server_parts("http://127.0.0.1:184010/fhir")


def test_a_bad_allow_list_entry_is_named_at_start() -> None:
    with pytest.raises(ValueError, match="fhir_servers entry 'http://a@b/fhir'"):
        CdsClients({ISSUER: jwks() | {"fhir_servers": ["http://a@b/fhir"]}})


def test_the_userinfo_attack_reads_nothing(
    tmp_path: Path, kb: KnowledgeBase, fhir_server: tuple[str, list[str]]
) -> None:
    """The issue's attack end to end: the allowed server in the userinfo, the real one after it."""
    base, seen = fhir_server
    real = base.removeprefix("http://")
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps({ISSUER: jwks() | {"fhir_servers": [ALLOWED]}}))
    app = create_app(settings_for(f"sqlite:///{tmp_path}/a.db", cds_clients=str(clients)), kb)
    with TestClient(app, client=LOOPBACK) as client:
        for server in (f"{ALLOWED}@{real}", f"http://127.0.0.1:184010/{real.split('/', 1)[1]}"):
            body = hook_request(
                "t-marrow-early",
                prefetch=False,
                fhirServer=server,
                fhirAuthorization={"access_token": "ehr-token"},
            )
            answer = client.post("/cds-services/rrall-relapsed-all", json=body, headers=auth(token()))
            assert answer.status_code == 403, answer.text
            assert answer.json()["operationOutcome"]["issue"][0]["code"] == "forbidden"
    app.state.repo.engine.dispose()
    assert seen == []


@pytest.mark.parametrize(
    ("alg", "kid", "signing"),
    [
        ("ES384", "rsa-1", EC_KEY),  # ES384 naming the RSA key: a TypeError (500) before the fix
        ("RS384", "ec-1", RSA_KEY),  # and the reverse
        ("ES384", "ec-256", EC_KEY),  # ES384 naming a P-256 key
        ("RS384", "rsa-rs256", RSA_KEY),  # a key whose JWK declares another algorithm
    ],
)
def test_an_algorithm_that_does_not_fit_its_key_is_a_clean_401(
    tmp_path: Path, kb: KnowledgeBase, alg: str, kid: str, signing: object
) -> None:
    keys = jwks()
    p256 = ec.generate_private_key(ec.SECP256R1())
    keys["keys"].append(json.loads(jwt.algorithms.ECAlgorithm.to_jwk(p256.public_key())) | {"kid": "ec-256"})
    keys["keys"].append(
        json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
        | {"kid": "rsa-rs256", "alg": "RS256"}
    )
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps({ISSUER: keys}))
    app = create_app(settings_for(f"sqlite:///{tmp_path}/a.db", cds_clients=str(clients)), kb)
    with TestClient(app, raise_server_exceptions=False, client=LOOPBACK) as client:
        answer = client.post(
            "/cds-services/rrall-relapsed-all",
            json=hook_request("b-marrow-early"),
            headers=auth(token(alg, kid=kid, key=signing)),
        )
    app.state.repo.engine.dispose()
    assert answer.status_code == 401, answer.text
    body = answer.json()
    assert body["code"] == "unauthorized" and f"algorithm {alg} does not fit key {kid!r}" in body["message"]
    assert body["operationOutcome"]["issue"][0]["code"] == "security"


def test_a_body_too_large_for_a_cds_service_carries_an_operation_outcome(cds: TestClient) -> None:
    limit = cds.app.state.settings.max_body_bytes  # type: ignore[attr-defined]
    body = b'{"hook": "patient-view", "pad": "' + b"x" * limit + b'"}'
    for headers in (
        {"content-type": "application/json"},
        {"content-type": "application/json", "transfer-encoding": "chunked"},
    ):
        answer = cds.post("/cds-services/rrall-relapsed-all", content=body, headers=headers | auth(token()))
        assert answer.status_code == 413
        outcome = answer.json()["operationOutcome"]
        assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "too-long"


def test_exp_and_iat_must_be_numbers(cds: TestClient) -> None:
    """RFC 7519 NumericDate: PyJWT reads "1733200000" as a number; rrall refuses it."""
    answer = cds.post(
        "/cds-services/rrall-relapsed-all",
        json=hook_request("b-marrow-early"),
        headers=auth(token(as_text=True)),
    )
    assert answer.status_code == 401 and "must be a number" in answer.json()["message"]


def test_this_machine_is_the_peer_address_never_the_host_header(cds: TestClient) -> None:
    """Without RRALL_PUBLIC_URL only a caller on this machine may try the service; a remote
    caller writing Host: localhost is still remote."""
    remote = TestClient(cds.app, base_url="http://localhost", client=("203.0.113.7", 40000))
    body = hook_request("b-marrow-early")
    answer = remote.post(
        "/cds-services/rrall-relapsed-all",
        json=body,
        headers=auth(token(aud="http://localhost/cds-services/rrall-relapsed-all")),
    )
    assert answer.status_code == 503 and "RRALL_PUBLIC_URL" in answer.json()["message"]
