"""The repository on SQLite and PostgreSQL: versions kept, assessments and audit immutable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from rrall.errors import ConflictError, NotFoundError
from rrall.store.db import open_engine, upgrade
from rrall.store.repository import NewDecision, Repository, StoredAssessment

STAMP = StoredAssessment("a" * 64, "0.1.0", "2026.12.0", '{"options": []}')


@pytest.fixture
def repo(db_url: str) -> Iterator[Repository]:
    engine = open_engine(db_url)
    upgrade(engine)
    yield Repository(engine)
    engine.dispose()


def doc(case_id: str = "c1", **extra: object) -> dict[str, object]:
    return {"id": case_id, "sex": "male", **extra}


def test_users_passwords_and_tokens(repo: Repository) -> None:
    repo.add_user("ana", "long password", "clinician")
    with pytest.raises(ConflictError):
        repo.add_user("ana", "another password", "viewer")
    with pytest.raises(ConflictError):
        repo.add_user("bob", "long password", "superuser")
    assert repo.authenticate("ana", "long password") is not None
    assert repo.authenticate("ana", "wrong") is None
    assert repo.authenticate("nobody", "long password") is None
    token = repo.issue_token("ana", "script")
    found = repo.user_for_token(token)
    assert found is not None and found.username == "ana"
    assert repo.user_for_token(token + "x") is None
    with pytest.raises(NotFoundError):
        repo.issue_token("nobody", "x")


def test_sessions_expire(repo: Repository) -> None:
    user = repo.add_user("ana", "long password", "viewer")
    repo.open_session(user, "h" * 64, hours=1)
    assert repo.user_for_session("h" * 64) is not None
    with repo.engine.begin() as conn:
        conn.execute(text("UPDATE sessions SET expires_at = :t"), {"t": "2000-01-01 00:00:00+00:00"})
    assert repo.user_for_session("h" * 64) is None
    repo.close_session("h" * 64, "ana")
    assert repo.user_for_session("h" * 64) is None


def test_every_case_version_is_kept(repo: Repository) -> None:
    record, _ = repo.create_case(doc(), "ana")
    repo.update_case(record.id, doc(sex="female"), "ana")
    repo.update_case(record.id, doc(sex="male", note=1), "bob")
    versions = repo.versions(record.id)
    assert [v.version for v in versions] == [1, 2, 3]
    assert versions[1].document["sex"] == "female" and versions[2].created_by == "bob"
    assert repo.version(record.id).version == 3
    assert repo.version(record.id, 1).document == doc()
    with pytest.raises(ConflictError):
        repo.create_case(doc(), "ana")
    with pytest.raises(NotFoundError):
        repo.version(record.id, 9)
    with pytest.raises(NotFoundError):
        repo.update_case(999, doc("other"), "ana")


def test_search_escapes_like_wildcards(repo: Repository) -> None:
    for case_id in ("ALL-100", "ALL_200", "x%y"):
        repo.create_case(doc(case_id), "ana")
    assert [c.case_id for c in repo.cases("%")[1]] == ["x%y"]
    assert [c.case_id for c in repo.cases("_")[1]] == ["ALL_200"]
    total, items = repo.cases("all", limit=1)
    assert total == 2 and len(items) == 1


def test_assessments_and_audit_are_append_only(repo: Repository) -> None:
    record, _ = repo.create_case(doc(), "ana")
    stored = repo.add_assessment(record.id, 1, STAMP, "ana")
    assert repo.assessment(stored.id).knowledge_version == "2026.12.0"
    assert repo.latest_assessments([record.id])[record.id].id == stored.id
    for statement in ("UPDATE assessments SET result_json = '{}'", "DELETE FROM assessments",
                      "UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log",
                      "UPDATE case_versions SET version = 9", "DELETE FROM case_versions"):
        with pytest.raises(DatabaseError), repo.engine.begin() as conn:
            conn.execute(text(statement))
    actions = [e.action for e in repo.audit_log()]
    assert actions == ["assessment.create", "case.create"]


def test_decisions_refer_to_the_case_own_assessment(repo: Repository) -> None:
    one, _ = repo.create_case(doc("one"), "ana")
    two, _ = repo.create_case(doc("two"), "ana")
    a1 = repo.add_assessment(one.id, 1, STAMP, "ana")
    a2 = repo.add_assessment(two.id, 1, STAMP, "ana")
    meeting = repo.create_meeting("Board", date(2026, 11, 23), "ana")
    repo.add_to_meeting(meeting.id, one.id, "ana")
    repo.add_to_meeting(meeting.id, one.id, "ana")  # twice is once
    decision = NewDecision(a1.id, date(2026, 11, 23), ["Dr A", "Dr B"], ["blinatumomab"], "Blinatumomab",
                           "Per protocol", meeting.id)
    saved = repo.add_decision(one.id, decision, "ana")
    assert saved.attendees == ["Dr A", "Dr B"] and saved.assessment_id == a1.id
    with pytest.raises(ConflictError):
        repo.add_decision(one.id, NewDecision(a2.id, date(2026, 11, 23), ["Dr A"], [], "x", ""), "ana")
    with pytest.raises(NotFoundError):
        repo.add_decision(one.id, NewDecision(a1.id, date(2026, 11, 23), ["Dr A"], [], "x", "", 99), "ana")
    assert [c.id for c in repo.meeting_cases(meeting.id)] == [one.id]
    assert [d.id for d in repo.decisions(meeting_id=meeting.id)] == [saved.id]
    assert repo.decisions(pk=two.id) == []


def test_parallel_saves_each_get_their_own_version(repo: Repository) -> None:
    import threading

    record, _ = repo.create_case(doc(), "ana")
    failures: list[Exception] = []

    def save(i: int) -> None:
        try:
            repo.update_case(record.id, doc(n=i), f"user{i}")
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert [v.version for v in repo.versions(record.id)] == list(range(1, 10))


def test_a_stale_base_version_is_a_conflict_not_a_lost_update(repo: Repository) -> None:
    record, _ = repo.create_case(doc(), "ana")
    repo.update_case(record.id, doc(sex="female"), "ana", base_version=1)
    with pytest.raises(ConflictError, match="changed by someone else since version 1"):
        repo.update_case(record.id, doc(sex="male"), "bob", base_version=1)
    assert repo.version(record.id).document["sex"] == "female"


def test_times_come_back_aware_in_utc(repo: Repository) -> None:
    record, _ = repo.create_case(doc(), "ana")
    again = repo.case(record.id)
    assert again.created_at.utcoffset() is not None and again.created_at.utcoffset().total_seconds() == 0
    assert repo.audit_log()[0].at.tzinfo is not None


def test_tokens_revoked_and_users_disabled(repo: Repository) -> None:
    user = repo.add_user("ana", "long password", "clinician")
    token = repo.issue_token("ana", "script")
    repo.open_session(user, "s" * 64, hours=1)
    assert repo.revoke_tokens("ana") == 1
    assert repo.user_for_token(token) is None
    repo.set_disabled("ana", True)
    assert repo.user_for_session("s" * 64) is None and repo.authenticate("ana", "long password") is None
    repo.set_disabled("ana", False)
    assert repo.authenticate("ana", "long password") is not None


def test_a_meeting_with_an_unknown_case_is_not_written(repo: Repository) -> None:
    record, _ = repo.create_case(doc(), "ana")
    with pytest.raises(NotFoundError):
        repo.create_meeting("Board", date(2026, 11, 23), "ana", [record.id, 999])
    assert repo.meetings() == []


def test_sqlite_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """rrall.db, rrall.db-wal and rrall.db-shm were created 0644 under the usual umask."""
    engine = open_engine(f"sqlite:///{tmp_path}/home/rrall.db")
    upgrade(engine)
    Repository(engine).record("tester", "case.read", "case", 1)
    with engine.connect():  # the -wal and -shm files exist while a connection is open
        modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "home").iterdir()}
    engine.dispose()
    assert modes == {"rrall.db": 0o600, "rrall.db-wal": 0o600, "rrall.db-shm": 0o600}
    assert (tmp_path / "home").stat().st_mode & 0o777 == 0o700
