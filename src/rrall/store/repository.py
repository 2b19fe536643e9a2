"""The one storage interface: every read and write the service makes goes through here.

Each change is written in one transaction together with its audit entry, so the audit log
cannot miss a change. Audit details hold ids and field names, never case contents.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from rrall.case.model import CASE_ID_MAX
from rrall.errors import ConflictError, NotFoundError
from rrall.store.passwords import check_password, hash_password, new_token, token_sha256
from rrall.store.tables import (
    ApiToken,
    AssessmentRecord,
    AuditEntry,
    CaseRecord,
    CaseVersion,
    Decision,
    Meeting,
    MeetingCase,
    Session,
    User,
)

ROLES = ("viewer", "clinician", "admin")
_DUMMY_HASH = hash_password("not a real password")


def now() -> datetime:
    return datetime.now(UTC)


class StaleVersionError(ConflictError):
    """A change based on a version that is no longer the latest (its transaction is undone)."""


@dataclass(frozen=True)
class StoredAssessment:
    """What an assessment is stored with: the engine's JSON and its stamps."""

    input_sha256: str
    engine_version: str
    knowledge_version: str
    result_json: str


@dataclass(frozen=True)
class NewDecision:
    assessment_id: int
    decision_date: date
    attendees: list[str]
    chosen_options: list[str]
    plan: str
    rationale: str
    meeting_id: int | None = None


# A token's user is looked up once per this many seconds, not on every call: the lookup
# was a quarter of an API call's time. The price: a token revoked (or a user disabled)
# from another process, e.g. `rrall users revoke-tokens`, still works for up to this long.
TOKEN_SECONDS = 5.0
TOKENS_KEPT = 1024


class Repository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # token SHA-256 -> (monotonic time it was read, its user); valid tokens only
        self._tokens: dict[str, tuple[float, User]] = {}

    @contextmanager
    def _tx(self) -> Iterator[OrmSession]:
        with self._sessions.begin() as session:
            yield session

    @staticmethod
    def _audit(s: OrmSession, actor: str, action: str, object_type: str, object_id: object,
               **detail: Any) -> None:
        s.add(AuditEntry(at=now(), actor=actor, action=action, object_type=object_type,
                         object_id=None if object_id is None else str(object_id), detail=detail))

    # -- users, tokens, sessions -------------------------------------------------
    def add_user(self, username: str, password: str, role: str, actor: str = "cli") -> User:
        if role not in ROLES:
            raise ConflictError(f"role {role!r} is not one of {', '.join(ROLES)}")
        user = User(username=username, password_hash=hash_password(password), role=role,
                    created_at=now(), disabled=False)
        try:
            with self._tx() as s:
                s.add(user)
                s.flush()
                self._audit(s, actor, "user.add", "user", user.id, role=role)
        except IntegrityError:
            raise ConflictError(f"user {username!r} already exists") from None
        return user

    def count_users(self) -> int:
        with self._tx() as s:
            return s.scalar(select(func.count(User.id))) or 0

    def users(self) -> Sequence[User]:
        with self._tx() as s:
            return s.scalars(select(User).order_by(User.username)).all()

    def authenticate(self, username: str, password: str) -> User | None:
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            # The same scrypt work whether or not the user exists: no timing hint.
            matches = check_password(password, user.password_hash if user else _DUMMY_HASH)
            ok = user is not None and not user.disabled and matches
            self._audit(s, username if ok else "anonymous", "login" if ok else "login.failed", "user",
                        user.id if user else None)
            return user if ok else None

    def login_throttled(self, username: str) -> None:
        """A login refused unchecked, after too many failures for the name (no scrypt work)."""
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            self._audit(s, "anonymous", "login.throttled", "user", user.id if user else None)

    def issue_token(self, username: str, name: str, actor: str = "cli") -> str:
        token = new_token()
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFoundError("user", username)
            s.add(ApiToken(user_id=user.id, token_sha256=token_sha256(token), name=name, created_at=now()))
            self._audit(s, actor, "token.issue", "user", user.id, name=name)
        return token

    def revoke_tokens(self, username: str, actor: str = "cli") -> int:
        try:
            return self._revoke_tokens(username, actor)
        finally:
            self._tokens.clear()  # after the commit: no call in between can keep the old answer

    def _revoke_tokens(self, username: str, actor: str) -> int:
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFoundError("user", username)
            live = (ApiToken.user_id == user.id) & ApiToken.revoked_at.is_(None)
            done = s.execute(update(ApiToken).where(live).values(revoked_at=now()))
            self._audit(s, actor, "token.revoke", "user", user.id)
            return int(getattr(done, "rowcount", 0))

    def set_disabled(self, username: str, disabled: bool, actor: str = "cli") -> None:
        try:
            self._set_disabled(username, disabled, actor)
        finally:
            self._tokens.clear()

    def _set_disabled(self, username: str, disabled: bool, actor: str) -> None:
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFoundError("user", username)
            user.disabled = disabled
            if disabled:
                s.execute(delete(Session).where(Session.user_id == user.id))
            self._audit(s, actor, "user.disable" if disabled else "user.enable", "user", user.id)

    def set_password(self, username: str, password: str, actor: str = "cli") -> None:
        """A new password; the user's open sessions end (their tokens are kept: revoke them apart)."""
        with self._tx() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFoundError("user", username)
            user.password_hash = hash_password(password)
            s.execute(delete(Session).where(Session.user_id == user.id))
            self._audit(s, actor, "user.password", "user", user.id)

    def user_for_token(self, token: str) -> User | None:
        digest = token_sha256(token)
        seen = self._tokens.get(digest)
        if seen is not None and time.monotonic() - seen[0] < TOKEN_SECONDS:
            return seen[1]
        with self._tx() as s:
            user = s.scalar(select(User).join(ApiToken, ApiToken.user_id == User.id).where(
                ApiToken.token_sha256 == digest, ApiToken.revoked_at.is_(None), User.disabled.is_(False)))
        if user is None:
            self._tokens.pop(digest, None)
            return None
        if len(self._tokens) >= TOKENS_KEPT:
            self._tokens.clear()
        self._tokens[digest] = (time.monotonic(), user)
        return user

    def open_session(self, user: User, token_hmac: str, hours: int) -> None:
        with self._tx() as s:
            s.add(Session(user_id=user.id, token_hmac=token_hmac, created_at=now(),
                          expires_at=now() + timedelta(hours=hours)))

    def user_for_session(self, token_hmac: str) -> User | None:
        with self._tx() as s:
            row = s.execute(select(User, Session.expires_at).join(Session, Session.user_id == User.id)
                            .where(Session.token_hmac == token_hmac)).first()
        if row is None or row[0].disabled or row[1] < now():
            return None
        return row[0]

    def close_session(self, token_hmac: str, actor: str) -> None:
        with self._tx() as s:
            found = s.scalar(select(Session).where(Session.token_hmac == token_hmac))
            if found is not None:
                s.delete(found)
                self._audit(s, actor, "logout", "user", found.user_id)

    # -- cases -------------------------------------------------------------------
    def create_case(self, document: dict[str, Any], actor: str,
                    assessment: StoredAssessment | None = None) -> tuple[CaseRecord, AssessmentRecord | None]:
        """A new case, version 1, and (in the same transaction) its first assessment."""
        self._id_is_free(document["id"], None)
        stamp = now()
        record = CaseRecord(case_id=document["id"], latest_version=1, created_at=stamp, updated_at=stamp)
        try:
            with self._tx() as s:
                s.add(record)
                s.flush()
                s.add(CaseVersion(case_pk=record.id, version=1, document=document, created_at=stamp,
                                  created_by=actor))
                self._audit(s, actor, "case.create", "case", record.id, version=1)
                stored = self._add_assessment(s, record.id, 1, assessment, actor) if assessment else None
        except IntegrityError:
            raise ConflictError(f"a case with id {document['id']!r} already exists") from None
        return record, stored

    def update_case(self, pk: int, document: dict[str, Any], actor: str,
                    assessment: StoredAssessment | None = None,
                    base_version: int | None = None) -> tuple[CaseRecord, AssessmentRecord | None]:
        """A new version (the version number is taken atomically, so parallel saves never
        collide); with `base_version`, refused if someone saved another version meanwhile."""
        self._id_is_free(document["id"], pk)
        try:
            with self._tx() as s:
                bump = (update(CaseRecord).where(CaseRecord.id == pk)
                        .values(latest_version=CaseRecord.latest_version + 1, updated_at=now(),
                                case_id=document["id"]).returning(CaseRecord.latest_version))
                version = s.scalar(bump)
                if version is None:
                    raise NotFoundError("case", pk)
                if base_version is not None and version != base_version + 1:
                    raise StaleVersionError(
                        f"the case was changed by someone else since version {base_version} (now version "
                        f"{version - 1}); reload it and enter your changes again")
                s.add(CaseVersion(case_pk=pk, version=version, document=document, created_at=now(),
                                  created_by=actor))
                self._audit(s, actor, "case.update", "case", pk, version=version)
                stored = self._add_assessment(s, pk, version, assessment, actor) if assessment else None
        except IntegrityError:
            raise ConflictError(f"a case with id {document['id']!r} already exists") from None
        return self.case(pk), stored

    def identifiers(self, pk: int) -> dict[str, str]:
        """The name and record number entered for reports ({} when none)."""
        record = self.case(pk)
        return {k: v for k, v in (("name", record.patient_name), ("mrn", record.mrn)) if v}

    def set_identifiers(self, pk: int, name: str, mrn: str, actor: str) -> None:
        """Store or clear the identifiers; the audit entry names the fields, never their values."""
        name, mrn = name.strip()[:200], mrn.strip()[:100]
        with self._tx() as s:
            record = s.get(CaseRecord, pk)
            if record is None:
                raise NotFoundError("case", pk)
            changed = [f for f, old, new in (("name", record.patient_name, name), ("mrn", record.mrn, mrn))
                       if (old or "") != new]
            if not changed:
                return
            record.patient_name, record.mrn = name or None, mrn or None
            self._audit(s, actor, "case.identifiers", "case", pk, fields=changed)

    def _id_is_free(self, case_id: str, pk: int | None) -> None:
        found = self.case_by_case_id(case_id)
        if found is not None and found.id != pk:
            raise ConflictError(f"a case with id {case_id!r} already exists")

    def case(self, pk: int) -> CaseRecord:
        with self._tx() as s:
            record = s.get(CaseRecord, pk)
        if record is None:
            raise NotFoundError("case", pk)
        return record

    def case_by_case_id(self, case_id: str) -> CaseRecord | None:
        with self._tx() as s:
            return s.scalar(select(CaseRecord).where(CaseRecord.case_id == case_id))

    def cases(self, query: str = "", limit: int = 50, offset: int = 0) -> tuple[int, Sequence[CaseRecord]]:
        query = query.replace("\x00", "")  # PostgreSQL refuses NUL in text
        if len(query) > CASE_ID_MAX:  # no id contains it; SQLite refuses LIKE patterns over 50,000 bytes
            return 0, []
        where = CaseRecord.case_id.ilike(f"%{_escape_like(query)}%", escape="\\") if query else None
        with self._tx() as s:
            stmt = select(CaseRecord).order_by(CaseRecord.updated_at.desc(), CaseRecord.id.desc())
            count = select(func.count(CaseRecord.id))
            if where is not None:
                stmt, count = stmt.where(or_(where)), count.where(where)
            total = s.scalar(count) or 0
            return total, s.scalars(stmt.limit(limit).offset(offset)).all()

    def versions(self, pk: int) -> Sequence[CaseVersion]:
        self.case(pk)
        with self._tx() as s:
            return s.scalars(select(CaseVersion).where(CaseVersion.case_pk == pk)
                             .order_by(CaseVersion.version)).all()

    def version(self, pk: int, number: int | None = None) -> CaseVersion:
        number = number or self.case(pk).latest_version
        with self._tx() as s:
            found = s.scalar(select(CaseVersion).where(CaseVersion.case_pk == pk,
                                                       CaseVersion.version == number))
        if found is None:
            raise NotFoundError("case version", f"{pk}/{number}")
        return found

    # -- assessments -------------------------------------------------------------
    def add_assessment(self, pk: int, version: int, stored: StoredAssessment, actor: str) -> AssessmentRecord:
        with self._tx() as s:
            return self._add_assessment(s, pk, version, stored, actor)

    def _add_assessment(self, s: OrmSession, pk: int, version: int, stored: StoredAssessment,
                        actor: str) -> AssessmentRecord:
        record = AssessmentRecord(case_pk=pk, case_version=version, input_sha256=stored.input_sha256,
                                  engine_version=stored.engine_version,
                                  knowledge_version=stored.knowledge_version,
                                  result_json=stored.result_json, created_at=now(), created_by=actor)
        s.add(record)
        s.flush()
        self._audit(s, actor, "assessment.create", "assessment", record.id, case=pk, version=version,
                    knowledge_version=stored.knowledge_version)
        return record

    def assessments(self, pk: int) -> Sequence[AssessmentRecord]:
        self.case(pk)
        with self._tx() as s:
            return s.scalars(select(AssessmentRecord).where(AssessmentRecord.case_pk == pk)
                             .order_by(AssessmentRecord.id.desc())).all()

    def latest_assessments(self, pks: Sequence[int]) -> dict[int, AssessmentRecord]:
        latest = (select(func.max(AssessmentRecord.id)).where(AssessmentRecord.case_pk.in_(pks))
                  .group_by(AssessmentRecord.case_pk))
        with self._tx() as s:
            rows = s.scalars(select(AssessmentRecord).where(AssessmentRecord.id.in_(latest))).all()
        return {r.case_pk: r for r in rows}

    def assessment(self, assessment_id: int) -> AssessmentRecord:
        with self._tx() as s:
            found = s.get(AssessmentRecord, assessment_id)
        if found is None:
            raise NotFoundError("assessment", assessment_id)
        return found

    # -- tumor board ---------------------------------------------------------------
    def add_decision(self, pk: int, new: NewDecision, actor: str) -> Decision:
        assessment = self.assessment(new.assessment_id)
        if assessment.case_pk != pk:
            raise ConflictError(f"assessment {new.assessment_id} belongs to another case")
        if new.meeting_id is not None:
            self.meeting(new.meeting_id)
        decision = Decision(case_pk=pk, assessment_id=new.assessment_id, meeting_id=new.meeting_id,
                            decision_date=new.decision_date, attendees=new.attendees,
                            chosen_options=new.chosen_options, plan=new.plan, rationale=new.rationale,
                            created_at=now(), created_by=actor)
        with self._tx() as s:
            s.add(decision)
            s.flush()
            self._audit(s, actor, "decision.create", "decision", decision.id, case=pk,
                        assessment=new.assessment_id, meeting=new.meeting_id)
        return decision

    def decisions(self, pk: int | None = None, meeting_id: int | None = None) -> Sequence[Decision]:
        stmt = select(Decision).order_by(Decision.id)
        if pk is not None:
            stmt = stmt.where(Decision.case_pk == pk)
        if meeting_id is not None:
            stmt = stmt.where(Decision.meeting_id == meeting_id)
        with self._tx() as s:
            return s.scalars(stmt).all()

    def create_meeting(self, title: str, meeting_date: date, actor: str,
                       case_pks: Sequence[int] = ()) -> Meeting:
        """A meeting and its case list in one transaction (an unknown case: nothing is written)."""
        for pk in case_pks:
            self.case(pk)
        meeting = Meeting(title=title, meeting_date=meeting_date, created_at=now(), created_by=actor)
        with self._tx() as s:
            s.add(meeting)
            s.flush()
            self._audit(s, actor, "meeting.create", "meeting", meeting.id)
            for pk in dict.fromkeys(case_pks):
                s.add(MeetingCase(meeting_id=meeting.id, case_pk=pk))
                self._audit(s, actor, "meeting.add_case", "meeting", meeting.id, case=pk)
        return meeting

    def meetings(self) -> Sequence[Meeting]:
        with self._tx() as s:
            return s.scalars(select(Meeting).order_by(Meeting.meeting_date.desc(), Meeting.id.desc())).all()

    def meeting(self, meeting_id: int) -> Meeting:
        with self._tx() as s:
            found = s.get(Meeting, meeting_id)
        if found is None:
            raise NotFoundError("meeting", meeting_id)
        return found

    def add_to_meeting(self, meeting_id: int, pk: int, actor: str) -> None:
        self.meeting(meeting_id)
        self.case(pk)
        try:
            with self._tx() as s:
                exists = s.scalar(select(MeetingCase).where(MeetingCase.meeting_id == meeting_id,
                                                            MeetingCase.case_pk == pk))
                if exists is None:
                    s.add(MeetingCase(meeting_id=meeting_id, case_pk=pk))
                    self._audit(s, actor, "meeting.add_case", "meeting", meeting_id, case=pk)
        except IntegrityError:
            pass  # added by a parallel request: the case is on the list either way

    def meeting_cases(self, meeting_id: int) -> Sequence[CaseRecord]:
        self.meeting(meeting_id)
        with self._tx() as s:
            return s.scalars(select(CaseRecord).join(MeetingCase, MeetingCase.case_pk == CaseRecord.id)
                             .where(MeetingCase.meeting_id == meeting_id).order_by(MeetingCase.id)).all()

    # -- audit ---------------------------------------------------------------------
    def record(self, actor: str, action: str, object_type: str, object_id: object = None,
               **detail: Any) -> None:
        """An audit entry for a read or an export (changes are audited where they are made)."""
        with self._tx() as s:
            self._audit(s, actor, action, object_type, object_id, **detail)

    def audit_log(self, limit: int = 200, offset: int = 0) -> Sequence[AuditEntry]:
        with self._tx() as s:
            return s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
                             .offset(offset)).all()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
