"""Shared fixtures: the bundled knowledge base, a valid base case, golden-file updating."""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rrall.knowledge.load import KnowledgeBase, default_knowledge
from tests.logscan import LogScan, example_identifiers, scanning

ROOT = Path(__file__).resolve().parents[1]
# The parsed-knowledge cache goes to a fresh folder, not the user's ~/.cache.
os.environ.setdefault("RRALL_CACHE", tempfile.mkdtemp(prefix="rrall-cache-"))
# Trials a user imported must not change test results: an empty data folder of our own.
os.environ["RRALL_HOME"] = tempfile.mkdtemp(prefix="rrall-home-")
TODAY = date(2026, 11, 23)

BASE_CASE: dict[str, Any] = {
    "id": "base",
    "sex": "male",
    "date_of_birth": "2012-03-04",
    "assessment_date": "2022-01-10",
    "diagnosis": {
        "date": "2015-01-14",
        "immunophenotype": "B",
        "frontline_end_date": "2017-04-30",
        "genetics": [],
    },
    "relapses": [{"date": "2021-11-20", "sites": ["bone_marrow"], "marrow_blasts_percent": 60}],
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite tests/golden/ from the current output (review the diff!).")


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return default_knowledge()


@pytest.fixture
def logscan() -> Iterator[LogScan]:
    """Fails the test if a log line quotes an identifier, a patient URL, a password or a
    token (tests/logscan.py); register more values with `logscan.forbid(...)`."""
    with scanning(example_identifiers()) as scan:
        yield scan
    leaks = scan.leaks()
    assert not leaks, "identifying data in the log:\n" + "\n".join(leaks)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def make_case(**changes: Any) -> dict[str, Any]:
    """The base case with dotted-path changes: make_case(**{"diagnosis.date": "2015-02-01"}).
    A value of ... deletes the key."""
    case = copy.deepcopy(BASE_CASE)
    for dotted, value in changes.items():
        set_path(case, dotted, value)
    return case


def set_path(data: Any, dotted: str, value: Any) -> None:
    keys: list[Any] = [int(k) if k.lstrip("-").isdigit() else k for k in dotted.split(".")]
    node = data
    for key in keys[:-1]:
        node = node[key]
    if value is ...:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value


from hypothesis import settings  # noqa: E402

# CI runs the same examples every time, so a red build always reproduces.
settings.register_profile("ci", derandomize=True, print_blob=True)
if __import__("os").environ.get("CI"):
    settings.load_profile("ci")
