"""An optional detached Ed25519 signature over a release's SHA256SUMS.

The curator signs with a private key (`rrall knowledge sign --key curator.pem`, or
`openssl pkeyutl`); a site configures the matching public key (RRALL_RELEASE_PUBLIC_KEY,
a PEM file) and then the workbench refuses a release whose signature is missing or does
not verify. Signing the manifest signs every file, since the manifest holds their hashes.
The `cryptography` package (the `sign` extra, included in `web`) does the work.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from rrall.errors import ReleaseError
from rrall.release.manifest import SIGNATURE, SUMS, read_manifest

PUBLIC_KEY_ENV = "RRALL_RELEASE_PUBLIC_KEY"


def sign_release(root: Path, private_key_pem: Path) -> Path:
    """Write SHA256SUMS.sig next to the manifest (base64 of the Ed25519 signature)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    read_manifest(root)  # refuses a release without a readable manifest
    try:
        key = load_pem_private_key(private_key_pem.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise ReleaseError(f"{private_key_pem}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ReleaseError(
            f"{private_key_pem}: not an Ed25519 key; make one with "
            "`openssl genpkey -algorithm ed25519 -out curator.pem`"
        )
    signature = key.sign((root / SUMS).read_bytes())
    path = root / SIGNATURE
    path.write_bytes(base64.b64encode(signature) + b"\n")
    return path


def verify_signature(root: Path, public_key_pem: Path) -> None:
    """ReleaseError unless SHA256SUMS.sig is a valid signature of SHA256SUMS by the key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(public_key_pem.read_bytes())
    except (ValueError, OSError) as exc:
        raise ReleaseError(f"{public_key_pem}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ReleaseError(f"{public_key_pem}: not an Ed25519 public key")
    sig_path = root / SIGNATURE
    if not sig_path.is_file():
        raise ReleaseError(
            f"{root}: the release is not signed ({SIGNATURE} is missing) and this site "
            "requires signed releases; ask the curator for the signed release"
        )
    try:
        key.verify(base64.b64decode(sig_path.read_bytes().strip(), validate=True), (root / SUMS).read_bytes())
    except (InvalidSignature, binascii.Error, ValueError):
        raise ReleaseError(
            f"{root}: the signature does not match the manifest for this site's key; "
            "the release was changed after signing or signed with another key"
        ) from None


def site_public_key() -> Path | None:
    """The public key this site checks releases with, if it configures one."""
    configured = os.environ.get(PUBLIC_KEY_ENV, "")
    return Path(configured) if configured else None
