"""The compiled knowledge snapshot: the same knowledge as reading the files, rebuilt when any
file changes, never used when damaged, private to the user, and off when asked."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from rrall.assessment import assess
from rrall.case.load import load_case
from rrall.knowledge.load import _build, default_knowledge_dir, load_knowledge
from rrall.report.fastjson import assessment_json
from tests.conftest import ROOT

CASE = ROOT / "examples" / "cases" / "b-marrow-early.yaml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("RRALL_CACHE", str(folder))
    return folder


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(default_knowledge_dir(), root)
    return root


def _snapshots(folder: Path) -> list[Path]:
    return sorted(folder.glob("knowledge-*.pickle"))


def test_snapshot_gives_the_same_assessment_as_the_files(cache: Path, knowledge: Path) -> None:
    built = _build(knowledge)
    first = load_knowledge(knowledge)  # builds and writes the snapshot
    again = load_knowledge(knowledge)  # reads it
    assert len(_snapshots(cache)) == 1 and again is not first
    case = load_case(CASE, built)
    expected = assessment_json(assess(case, built))
    assert assessment_json(assess(case, first)) == expected
    assert assessment_json(assess(case, again)) == expected


def test_a_changed_file_gives_a_new_snapshot(cache: Path, knowledge: Path) -> None:
    load_knowledge(knowledge)
    manifest = knowledge / "manifest.yaml"
    text = manifest.read_text()
    version = load_knowledge(knowledge).version
    manifest.write_text(text.replace(version, "2099.01.0", 1))
    assert load_knowledge(knowledge).version == "2099.01.0"
    assert len(_snapshots(cache)) == 2
    manifest.write_text(text)
    assert load_knowledge(knowledge).version == version


def test_a_new_file_changes_the_key(cache: Path, knowledge: Path) -> None:
    load_knowledge(knowledge)
    (knowledge / "glossary" / "notes.txt").write_text("a curator's note")
    load_knowledge(knowledge)
    assert len(_snapshots(cache)) == 2


def test_a_damaged_snapshot_is_rebuilt_not_read(cache: Path, knowledge: Path) -> None:
    version = load_knowledge(knowledge).version
    (snap,) = _snapshots(cache)
    body = bytearray(snap.read_bytes())
    body[len(body) // 2] ^= 0xFF
    snap.write_bytes(bytes(body))
    assert load_knowledge(knowledge).version == version
    assert snap.read_bytes() != bytes(body), "the damaged snapshot was replaced"
    snap.write_bytes(b"")
    assert load_knowledge(knowledge).version == version


def test_snapshots_are_private_and_can_be_turned_off(cache: Path, knowledge: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    load_knowledge(knowledge)
    (snap,) = _snapshots(cache)
    assert stat.S_IMODE(snap.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    monkeypatch.setenv("RRALL_CACHE", "off")
    (knowledge / "glossary" / "notes.txt").write_text("a new key, were snapshots on")
    load_knowledge(knowledge)
    assert len(_snapshots(cache)) == 1
