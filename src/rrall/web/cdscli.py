"""`rrall cds keygen` and `rrall cds token`: a test client's keys and signed JWTs, to call
the CDS services with curl the way an EHR would."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Annotated

import typer

cds_app = typer.Typer(no_args_is_help=True,
                      help="CDS Hooks test-client keys and JWTs (for trying the service).")


@cds_app.command("keygen")
def keygen(
    folder: Annotated[Path, typer.Argument(help="Where to write the key and the clients file.",
                                           show_default=False)],
    issuer: Annotated[str, typer.Option(help="The test client's issuer (the JWT's iss).")] = "https://ehr.example",
) -> None:
    """Write an ES384 private key (private-key.pem) and clients.json (issuer -> public JWKS)
    for RRALL_CDS_CLIENTS."""
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    private = folder / "private-key.pem"
    private.touch(mode=0o600)
    private.write_bytes(pem)
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key())) | {
        "kid": "key-1", "alg": "ES384", "use": "sig"}
    (folder / "clients.json").write_text(json.dumps({issuer: {"keys": [public]}}, indent=2) + "\n")
    typer.echo(f"{private}\n{folder / 'clients.json'}  (set RRALL_CDS_CLIENTS to this file)")


@cds_app.command("token")
def token(
    key: Annotated[Path, typer.Option(help="The private key from `rrall cds keygen`.", show_default=False)],
    audience: Annotated[str, typer.Option(help="The service URL, e.g. "
                                               "http://127.0.0.1:8000/cds-services/rrall-relapsed-all",
                                          show_default=False)],
    issuer: Annotated[str, typer.Option(help="The issuer written by keygen.")] = "https://ehr.example",
    minutes: Annotated[int, typer.Option(help="Lifetime; the spec asks for at most 5.")] = 5,
) -> None:
    """Print a signed JWT (ES384) for one CDS Hooks request."""
    import jwt

    now = int(time.time())
    claims = {"iss": issuer, "sub": issuer, "aud": audience, "iat": now, "exp": now + 60 * minutes,
              "jti": str(uuid.uuid4())}
    typer.echo(jwt.encode(claims, key.read_bytes(), algorithm="ES384", headers={"kid": "key-1"}))
