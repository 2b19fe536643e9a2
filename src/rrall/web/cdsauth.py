"""CDS Hooks request authentication: the client's signed JWT (CDS Hooks 2.0, "Trusting CDS
Clients"), verified against the client's configured JWKS.

Only RS384 and ES384 are accepted (never `none` or HMAC); the header must name its key
(`kid`); `iss` must be a configured client, `aud` the URL of the service called, `exp`,
`iat` and `jti` present, and a `jti` is accepted once.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt

from rrall.errors import ApiError, UnsafeServer
from rrall.fhir.client import server_parts, within

ALGORITHMS = ["RS384", "ES384"]
KEY_TYPES = {"RS384": ("RSA", None), "ES384": ("EC", "secp384r1")}  # algorithm -> key type, curve
MAX_LIFETIME = 300  # seconds between iat and exp


class CdsClients:
    """Configured CDS clients: issuer -> JWKS (a JSON file: {"issuer": {"keys": [...]}})."""

    def __init__(self, clients: dict[str, dict[str, Any]]) -> None:
        self.keys = {iss: jwt.PyJWKSet.from_dict({"keys": c["keys"]}) for iss, c in clients.items()}
        # Optional per client: the FHIR servers it may send (no others are fetched from).
        self.servers = {
            iss: [_allowed_server(iss, str(s)) for s in c["fhir_servers"]]
            for iss, c in clients.items()
            if "fhir_servers" in c
        }
        # The algorithm each key declares (its JWK "alg"), when it declares one.
        self.declared = {
            (iss, str(k.get("kid"))): str(k["alg"])
            for iss, c in clients.items()
            for k in c["keys"]
            if k.get("alg")
        }
        self.seen: dict[str, float] = {}

    def check_server(self, issuer: str, server: str) -> None:
        """The client's fhirServer must be a plain http(s) base address and, when the client
        has `fhir_servers`, on one of them: scheme, host, port and path prefix compared as
        parsed, never as text (`http://allowed:1@other:2/` and `http://allowed:10/` are not
        `http://allowed:1`)."""
        try:
            server_parts(server)
        except UnsafeServer as exc:
            raise ApiError(403, f"fhirServer is refused: {exc}") from None
        allowed = self.servers.get(issuer)
        if allowed is not None and not any(within(server, a) for a in allowed):
            raise ApiError(403, "fhirServer is not one this client is configured for (fhir_servers)")

    @classmethod
    def from_file(cls, path: str) -> CdsClients:
        if not path:
            return cls({})
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(loaded)

    def verify(self, header: str | None, audience: str) -> dict[str, Any]:
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401, "a CDS Hooks request needs 'Authorization: Bearer <JWT>' signed by the client"
            )
        try:
            head = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise ApiError(401, f"the JWT cannot be read: {exc}") from None
        if head.get("alg") not in ALGORITHMS:
            allowed = ", ".join(ALGORITHMS)
            raise ApiError(401, f"JWT algorithm {head.get('alg')!r} is refused; allowed: {allowed}")
        keys = self.keys.get(str(claims.get("iss")))
        if keys is None:
            raise ApiError(401, "the JWT issuer is not a configured CDS client")
        key = self._key(keys, head.get("kid"))
        _check_fit(head["alg"], key, self.declared.get((str(claims.get("iss")), str(key.key_id))))
        try:
            verified: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[head["alg"]],
                audience=audience,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
                leeway=30,
            )
        except (TypeError, ValueError):  # a key PyJWT cannot use for this algorithm: never a 500
            raise ApiError(
                401, f"the JWT's algorithm {head['alg']} cannot be checked with key {key.key_id!r}"
            ) from None
        except jwt.ExpiredSignatureError:
            raise ApiError(401, "the JWT has expired") from None
        except jwt.InvalidAudienceError:
            raise ApiError(401, f"the JWT audience is not this service ({audience})") from None
        except jwt.PyJWTError as exc:
            raise ApiError(401, f"the JWT is not valid: {exc}") from None
        for claim in ("exp", "iat"):  # NumericDate (RFC 7519): a number, never a numeric string
            if isinstance(verified[claim], bool) or not isinstance(verified[claim], int | float):
                raise ApiError(
                    401,
                    f"the JWT's {claim} must be a number of seconds, not {type(verified[claim]).__name__}",
                )
        if float(verified["exp"]) - float(verified["iat"]) > MAX_LIFETIME + 30:
            raise ApiError(401, "the JWT lives longer than the 5 minutes CDS Hooks allows")
        now = time.time()
        self.seen = {j: t for j, t in self.seen.items() if t > now}
        jti = f"{verified['iss']}|{verified['jti']}"
        if jti in self.seen:
            raise ApiError(401, "the JWT id (jti) was used before")
        self.seen[jti] = float(verified["exp"]) + 60
        return verified

    @staticmethod
    def _key(keys: jwt.PyJWKSet, kid: str | None) -> jwt.PyJWK:
        if not kid:  # CDS Hooks 2.0 and 3.0: the header's kid is REQUIRED
            raise ApiError(401, "the JWT header names no key (kid is required)")
        for key in keys.keys:
            if key.key_id == kid:
                return key
        raise ApiError(401, f"no key {kid!r} in the client's JWKS")


def _check_fit(alg: str, key: jwt.PyJWK, declared: str | None) -> None:
    """The header's algorithm must fit the key it names (ES384 naming an RSA key made PyJWT
    raise a TypeError before any signature check)."""
    kind, curve = KEY_TYPES[alg]
    named = getattr(getattr(key.key, "curve", None), "name", None)
    if key.key_type != kind or (curve and named != curve) or (declared and declared != alg):
        what = f"a {key.key_type} key" + (f" for {declared}" if declared else "")
        raise ApiError(401, f"the JWT's algorithm {alg} does not fit key {key.key_id!r} ({what})")


def _allowed_server(issuer: str, server: str) -> str:
    try:
        server_parts(server)
    except UnsafeServer as exc:
        raise ValueError(f"RRALL_CDS_CLIENTS: fhir_servers entry {server!r} of {issuer}: {exc}") from None
    return server
