"""The release manifest (SHA256SUMS), its check, reviewers as data and the Ed25519 signature."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from rrall.errors import ReleaseError
from rrall.knowledge.load import default_knowledge, default_knowledge_dir
from rrall.lint import lint
from rrall.release.manifest import REGENERATE, SUMS, read_manifest, verify_manifest, write_manifest
from rrall.release.sign import sign_release, verify_signature
from tests.conftest import ROOT


def test_the_shipped_manifest_is_current() -> None:
    found = verify_manifest(default_knowledge_dir())
    assert found.ok, f"{found}\nRegenerate it with `{REGENERATE}` after changing knowledge/."


def test_gitattributes_keep_knowledge_bytes_as_written() -> None:
    text = (ROOT / ".gitattributes").read_text()  # the repository's, also when rrall is installed
    assert "knowledge/** -text" in text


def test_manifest_lists_every_file_in_sha256sum_format(tmp_path: Path) -> None:
    root = shutil.copytree(default_knowledge_dir(), tmp_path / "k")
    write_manifest(root)
    listed = read_manifest(root)
    assert "manifest.yaml" in listed and "frameworks/bfm.yaml" in listed and SUMS not in listed
    assert all(len(digest) == 64 for digest in listed.values())
    assert verify_manifest(root).ok


def test_verify_names_changed_missing_and_unlisted_files(tmp_path: Path) -> None:
    root = shutil.copytree(default_knowledge_dir(), tmp_path / "k")
    write_manifest(root)
    (root / "therapies.yaml").write_text((root / "therapies.yaml").read_text() + "\n# edited\n")
    (root / "workup.yaml").unlink()
    (root / "extra.yaml").write_text("x: 1\n")
    found = verify_manifest(root)
    assert found.changed == ("therapies.yaml",) and found.missing == ("workup.yaml",)
    assert found.unlisted == ("extra.yaml",)
    assert REGENERATE in str(found)


def test_a_release_without_manifest_is_refused(tmp_path: Path) -> None:
    root = shutil.copytree(default_knowledge_dir(), tmp_path / "k")
    (root / SUMS).unlink()
    with pytest.raises(ReleaseError, match="no SHA256SUMS"):
        verify_manifest(root)


def test_reviewers_are_data_and_the_real_state_is_recorded() -> None:
    manifest = default_knowledge().manifest
    assert manifest.reviewers == []  # no clinician outside the project has reviewed it yet
    assert manifest.review_note and "Not yet reviewed" in manifest.review_note


def test_lint_checks_reviewers(tmp_path: Path) -> None:
    root = shutil.copytree(default_knowledge_dir(), tmp_path / "k")
    text = (
        (root / "manifest.yaml")
        .read_text()
        .replace(
            "reviewers: []",
            "reviewers:\n  - {name: A. Reviewer, role: pediatric oncologist, approved: 2030-01-01}\n"
            "  - {name: A. Reviewer, role: pharmacist, approved: 2026-11-30}",
        )
    )
    (root / "manifest.yaml").write_text(text)
    problems = lint(root)
    assert any("after the release date" in p for p in problems)
    assert any("more than once" in p for p in problems)
    released = default_knowledge().manifest.released
    assert released < date(2030, 1, 1)


def test_signature_verifies_and_catches_a_change(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    root = shutil.copytree(default_knowledge_dir(), tmp_path / "k")
    write_manifest(root)
    key = Ed25519PrivateKey.generate()
    private = tmp_path / "curator.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public = tmp_path / "site.pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    sign_release(root, private)
    verify_signature(root, public)
    other = Ed25519PrivateKey.generate().public_key()
    (tmp_path / "other.pem").write_bytes(
        other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ReleaseError, match="does not match"):
        verify_signature(root, tmp_path / "other.pem")
    (root / SUMS).write_bytes((root / SUMS).read_bytes().replace(b"  CHANGELOG.md", b"  CHANGELOG.txt"))
    with pytest.raises(ReleaseError, match="does not match"):
        verify_signature(root, public)
