"""Schemathesis against the OpenAPI document, in process: for every /api/v1 operation,
valid and invalid requests generated from the document with a fixed seed and a bounded
budget. Each answer must be documented: no 5xx, a status code the document lists for
the operation, its media type and its schema, the error shape for every error.

SQLite runs in the default suite (about 40 s on two cores). The same budget against
PostgreSQL is marked `nightly`, which the default run leaves out:
`python -m pytest -m nightly tests/web/test_fuzz.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from rrall.knowledge.load import KnowledgeBase
from rrall.web.app import create_app
from tests.databases import postgres_url
from tests.web.conftest import EXAMPLES, PASSWORD, example, settings_for

# A case can be valid by the JSON Schema and still refused: the cross-field rules (dates in
# order, testis only in males, MRD within range...) are checked by rrall, listed in the
# schema's description and in docs/case-format.md, and cannot be written as JSON Schema.
# Every other check runs: no 5xx, documented status codes, media types, headers and
# schemas, schema-invalid input refused, auth not ignored.
BUDGET = settings(max_examples=15, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))


def _seeded_app(url: str, kb: KnowledgeBase) -> Api:
    """The workbench with every example case, a meeting and a decision stored, so that
    low ids exist, and an admin's token (the admin may call every operation)."""
    app = create_app(settings_for(url), kb)
    repo, workbench = app.state.repo, app.state.workbench
    repo.add_user("admin", PASSWORD, "admin")
    token: str = repo.issue_token("admin", "fuzz")
    for name in EXAMPLES:
        workbench.create(example(name), "fuzz")
    repo.create_meeting("Leukemia board", date(2026, 11, 23), "fuzz", [1, 2])
    return Api(app, token)


@dataclass
class Api:
    app: FastAPI
    token: str

    def check(self, case: schemathesis.Case) -> None:
        case.operation.app = self.app  # the seeded app; the document is the same for every app
        TOKEN[0] = self.token
        case.call_and_validate(excluded_checks=[positive_data_acceptance])


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory: pytest.TempPathFactory, kb: KnowledgeBase) -> Iterator[Api]:
    app = _seeded_app(f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/rrall.db", kb)
    yield app
    app.app.state.repo.engine.dispose()


@pytest.fixture(scope="module")
def on_postgresql(kb: KnowledgeBase) -> Iterator[Api]:
    with postgres_url() as url:
        app = _seeded_app(url, kb)
        yield app
        app.app.state.repo.engine.dispose()


def _document_app() -> FastAPI:
    """An app to read the OpenAPI document from when the module is collected (the
    document does not depend on the database)."""
    return create_app(settings_for("sqlite:///:memory:"))


SCHEMA = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _document_app()).include(
    path_regex="^/api/v1/")


TOKEN = [""]  # the admin token of the app under test


@SCHEMA.auth(refresh_interval=None)
class AdminToken:
    """Every request as the admin (who may call every operation), except where the
    generated request leaves the credentials out on purpose."""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        return TOKEN[0]

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@SCHEMA.parametrize()
@BUDGET
def test_the_api_answers_as_documented_on_sqlite(case: schemathesis.Case, on_sqlite: Api) -> None:
    on_sqlite.check(case)


@pytest.mark.nightly
@SCHEMA.parametrize()
@BUDGET
def test_the_api_answers_as_documented_on_postgresql(case: schemathesis.Case, on_postgresql: Api) -> None:
    on_postgresql.check(case)
