"""A release's SHA-256 manifest: every file of the knowledge base and its hash.

`knowledge/SHA256SUMS` is in the format `sha256sum` writes (`<hash>  <path>`), so
`sha256sum -c SHA256SUMS` checks it too. It lists every file under the knowledge folder
but itself and its detached signature, in sorted order. `rrall knowledge manifest` writes
it; `rrall knowledge verify` and the workbench's install check it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rrall.errors import ReleaseError

SUMS = "SHA256SUMS"
SIGNATURE = "SHA256SUMS.sig"
NOT_LISTED = frozenset({SUMS, SIGNATURE})
REGENERATE = "rrall knowledge manifest"


def release_files(root: Path) -> list[str]:
    """Every file of the release, as POSIX paths relative to `root`, sorted."""
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in NOT_LISTED and "__pycache__" not in path.parts:
            found.append(rel)
    return sorted(found)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sums_text(root: Path) -> str:
    """The manifest of the files as they are now."""
    return "".join(f"{file_sha256(root / rel)}  {rel}\n" for rel in release_files(root))


def write_manifest(root: Path) -> Path:
    path = root / SUMS
    path.write_bytes(sums_text(root).encode())
    return path


def read_manifest(root: Path) -> dict[str, str]:
    """Path -> hash from the release's SHA256SUMS; ReleaseError if missing or malformed."""
    path = root / SUMS
    if not path.is_file():
        raise ReleaseError(f"{root}: the release has no {SUMS} file; write it with `{REGENERATE}`")
    listed: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64 or not rel or rel.startswith("/") or ".." in rel.split("/"):
            raise ReleaseError(f"{path}, line {number}: not a line of the form '<SHA-256>  <file>'")
        listed[rel] = digest.lower()
    return listed


@dataclass(frozen=True)
class Verification:
    """What checking a release's manifest found: files changed, missing or not listed."""

    root: Path
    changed: tuple[str, ...]
    missing: tuple[str, ...]
    unlisted: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.unlisted)

    def problems(self) -> list[str]:
        return (
            [f"{rel}: its contents differ from the manifest" for rel in self.changed]
            + [f"{rel}: listed in the manifest but missing" for rel in self.missing]
            + [f"{rel}: not listed in the manifest" for rel in self.unlisted]
        )

    def __str__(self) -> str:
        if self.ok:
            return f"{self.root}: all files match the manifest"
        return (
            f"{self.root}: the files do not match {SUMS} (if the change is meant, regenerate it with "
            f"`{REGENERATE}` and say what changed in CHANGELOG.md):"
            + "".join(f"\n  - {p}" for p in self.problems())
        )


def verify_manifest(root: Path) -> Verification:
    listed = read_manifest(root)
    present = set(release_files(root))
    changed = tuple(
        rel for rel in sorted(listed) if rel in present and file_sha256(root / rel) != listed[rel]
    )
    return Verification(
        root, changed, tuple(sorted(set(listed) - present)), tuple(sorted(present - set(listed)))
    )


def require_verified(root: Path) -> None:
    """ReleaseError unless every file matches the manifest."""
    found = verify_manifest(root)
    if not found.ok:
        raise ReleaseError(str(found))
