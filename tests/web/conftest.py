"""A workbench app per test (SQLite and PostgreSQL), with one user and token per role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rrall.knowledge.load import KnowledgeBase
from rrall.web.app import create_app
from rrall.web.settings import Settings
from rrall.web.workbench import as_json_document
from tests.conftest import ROOT
from tests.databases import db_url

__all__ = ["db_url"]
PASSWORD = "correct horse battery"


@dataclass
class Workbench:
    app: FastAPI
    client: TestClient
    tokens: dict[str, str]

    def auth(self, role: str = "clinician") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def login(self, role: str = "clinician") -> TestClient:
        page = self.client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        response = self.client.post("/login", data={"csrf_token": token.group(1), "username": role,
                                                    "password": PASSWORD, "next": "/cases"},
                                    follow_redirects=False)
        assert response.status_code == 303, response.text
        return self.client

    def csrf(self, path: str = "/cases/new") -> str:
        page = self.client.get(path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None, page.text[:500]
        return token.group(1)


def settings_for(url: str, **changes: Any) -> Settings:
    return Settings(database_url=url, secret_key="k" * 40, **changes)


@pytest.fixture
def bench(db_url: str, kb: KnowledgeBase, request: pytest.FixtureRequest) -> Iterator[Workbench]:
    app = create_app(settings_for(db_url), kb)
    tokens = {}
    for role in ("viewer", "clinician", "admin"):
        app.state.repo.add_user(role, PASSWORD, role)
        tokens[role] = app.state.repo.issue_token(role, "tests")
    if "logscan" in request.fixturenames:  # the log must not quote the test's secrets either
        request.getfixturevalue("logscan").forbid(PASSWORD, *tokens.values())
    with TestClient(app) as client:
        yield Workbench(app, client, tokens)
    app.state.repo.engine.dispose()


def example(name: str) -> dict[str, Any]:
    """An example case as the JSON a client would send (dates as text)."""
    loaded = yaml.safe_load((ROOT / "examples" / "cases" / f"{name}.yaml").read_text())
    document: dict[str, Any] = as_json_document(loaded)
    return document


EXAMPLES = sorted(p.stem for p in (ROOT / "examples" / "cases").glob("*.yaml"))
