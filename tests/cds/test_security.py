"""CDS Hooks attacks: fhirServer addresses that only look like an allowed server, JWTs whose
algorithm does not fit their key, and logs that must not name the patient."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rrall.fhir.client import UnsafeServer, server_parts, within
from rrall.knowledge.load import KnowledgeBase
from rrall.web.app import create_app
from rrall.web.cdsauth import CdsClients
from tests.cds.support import ISSUER, auth, hook_request, jwks, token
from tests.web.conftest import settings_for

ALLOWED = "http://127.0.0.1:18401"


@pytest.mark.parametrize("server", [
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
])
def test_servers_that_only_look_allowed_are_refused(server: str) -> None:
    clients = CdsClients({ISSUER: jwks() | {"fhir_servers": [ALLOWED]}})
    with pytest.raises(Exception) as refused:
        clients.check_server(ISSUER, server)
    assert getattr(refused.value, "status", None) == 403


@pytest.mark.parametrize(("server", "base", "inside"), [
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
])
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


def test_the_userinfo_attack_reads_nothing(tmp_path: Path, kb: KnowledgeBase,
                                           fhir_server: tuple[str, list[str]]) -> None:
    """The issue's attack end to end: the allowed server in the userinfo, the real one after it."""
    base, seen = fhir_server
    real = base.removeprefix("http://")
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps({ISSUER: jwks() | {"fhir_servers": [ALLOWED]}}))
    app = create_app(settings_for(f"sqlite:///{tmp_path}/a.db", cds_clients=str(clients)), kb)
    with TestClient(app) as client:
        for server in (f"{ALLOWED}@{real}", f"http://127.0.0.1:184010/{real.split('/', 1)[1]}"):
            body = hook_request("t-marrow-early", prefetch=False, fhirServer=server,
                                fhirAuthorization={"access_token": "ehr-token"})
            answer = client.post("/cds-services/rrall-relapsed-all", json=body, headers=auth(token()))
            assert answer.status_code == 403, answer.text
            assert answer.json()["operationOutcome"]["issue"][0]["code"] == "forbidden"
    app.state.repo.engine.dispose()
    assert seen == []
