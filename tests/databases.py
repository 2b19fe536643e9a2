"""Database URLs for the storage and service suites: every test runs on SQLite and on PostgreSQL.

PostgreSQL runs on 127.0.0.1:5432 on these machines (`.ci/run` makes sure it answers);
each test gets a fresh database, dropped afterwards. Tests skip PostgreSQL only where no
server answers (RRALL_TEST_POSTGRES overrides the server URL).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

SERVER = os.environ.get("RRALL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _server_answers() -> bool:
    engine = create_engine(SERVER, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


POSTGRES = _server_answers()


@contextmanager
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database's URL, dropped afterwards (skips when no server answers)."""
    if not POSTGRES:
        pytest.skip("no PostgreSQL server answers at " + SERVER)
    name = f"rrall_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/rrall.db"
        return
    with postgres_url() as url:
        yield url
