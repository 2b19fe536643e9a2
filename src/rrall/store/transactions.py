"""Transactions and the audit log: every change is written in one transaction together with
its audit entry, so the audit log cannot miss a change. Audit details hold ids and field
names, never case contents."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from rrall.store.tables import AuditEntry


def now() -> datetime:
    return datetime.now(UTC)


class Transactions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _tx(self) -> Iterator[OrmSession]:
        with self._sessions.begin() as session:
            yield session

    @staticmethod
    def _audit(s: OrmSession, actor: str, action: str, object_type: str, object_id: object,
               **detail: Any) -> None:
        s.add(AuditEntry(at=now(), actor=actor, action=action, object_type=object_type,
                         object_id=None if object_id is None else str(object_id), detail=detail))

    def record(self, actor: str, action: str, object_type: str, object_id: object = None,
               **detail: Any) -> None:
        """An audit entry for a read or an export (changes are audited where they are made)."""
        with self._tx() as s:
            self._audit(s, actor, action, object_type, object_id, **detail)

    def audit_log(self, limit: int = 200, offset: int = 0) -> Sequence[AuditEntry]:
        with self._tx() as s:
            return s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
                             .offset(offset)).all()
