"""What the CDS Hooks tests share: a client's keys and JWTs, and requests built from the
example cases (also used by bench/cds.py)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from rrall.case.load import load_case
from rrall.fhir.export import case_bundle
from tests.conftest import ROOT

ISSUER = "https://ehr.example/cds-client"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())
SERVICE = "http://testserver/cds-services/rrall-relapsed-all"
# The peer address the test client reports: trying the service out on this machine.
LOOPBACK = ("127.0.0.1", 50000)


def jwks() -> dict[str, Any]:
    keys = []
    for kid, key, alg in (("rsa-1", RSA_KEY, "RS384"), ("ec-1", EC_KEY, "ES384")):
        algorithm = jwt.algorithms.RSAAlgorithm if alg == "RS384" else jwt.algorithms.ECAlgorithm
        public = json.loads(algorithm.to_jwk(key.public_key()))
        keys.append(public | {"kid": kid, "alg": alg, "use": "sig"})
    return {"keys": keys}


def token(
    alg: str = "RS384",
    aud: str = SERVICE,
    iss: str = ISSUER,
    exp: float = 300,
    jti: str | None = "fresh",
    kid: str | None = None,
    key: Any = None,
    as_text: bool = False,
) -> str:
    """A signed CDS Hooks JWT; `as_text` writes exp and iat as numeric strings (not allowed)."""
    claims: dict[str, Any] = {
        "iss": iss,
        "sub": "client-1",
        "aud": aud,
        "iat": int(time.time()),
        "exp": int(time.time() + exp),
    }
    if as_text:
        claims["iat"], claims["exp"] = str(claims["iat"]), str(claims["exp"])
    if jti is not None:
        claims["jti"] = str(uuid.uuid4()) if jti == "fresh" else jti
    signing = key or (RSA_KEY if alg == "RS384" else EC_KEY)
    headers = {"kid": kid or ("rsa-1" if alg == "RS384" else "ec-1")}
    return jwt.encode(claims, signing, algorithm=alg, headers=headers)


def auth(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def record(name: str) -> dict[str, dict[str, Any]]:
    """A prefetch object for an example case (searchset Bundles per template)."""
    bundle = case_bundle(load_case(ROOT / "examples/cases" / f"{name}.yaml"))
    resources = [e["resource"] for e in bundle["entry"]]
    patient = resources[0]
    out: dict[str, Any] = {"patient": patient}
    for key, kind in (
        ("conditions", "Condition"),
        ("observations", "Observation"),
        ("procedures", "Procedure"),
        ("medicationStatements", "MedicationStatement"),
    ):
        out[key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources if r["resourceType"] == kind],
        }
    out["medicationAdministrations"] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    out["medicationRequests"] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    return out


def hook_request(
    name: str, prefetch: bool = True, hook: str = "patient-view", **extra: Any
) -> dict[str, Any]:
    data = record(name)
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": data["patient"]["id"]},
    }
    if prefetch:
        body["prefetch"] = data
    return body | extra
