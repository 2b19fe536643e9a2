"""Alembic migrations go up and down cleanly on SQLite and PostgreSQL, and up again."""

from __future__ import annotations

from sqlalchemy import inspect

from rrall.store.db import downgrade, open_engine, upgrade

TABLES = {"users", "api_tokens", "sessions", "cases", "case_versions", "assessments", "meetings",
          "meeting_cases", "decisions", "audit_log", "knowledge_releases", "release_impacts"}


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    upgrade(engine)  # idempotent
    downgrade(engine)
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_models_match_the_migration(db_url: str) -> None:
    """The ORM tables and the migrated schema have the same columns (no forgotten migration)."""
    from rrall.store.tables import Base

    engine = open_engine(db_url)
    upgrade(engine)
    found = inspect(engine)
    for table in Base.metadata.sorted_tables:
        assert {c["name"] for c in found.get_columns(table.name)} == set(table.columns.keys()), table.name
    engine.dispose()
