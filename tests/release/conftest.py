"""The fixture release 2027.1.0 (tests/release/fixture.py), made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from rrall.knowledge.load import KnowledgeBase, load_knowledge
from tests.release.fixture import make_release


@pytest.fixture(scope="session")
def new_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_release(tmp_path_factory.mktemp("releases") / "2027.1.0")


@pytest.fixture(scope="session")
def new_kb(new_release: Path) -> KnowledgeBase:
    return load_knowledge(new_release)
