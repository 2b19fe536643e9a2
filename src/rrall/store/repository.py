"""The one storage interface: every read and write the service makes goes through here.

Each change is written in one transaction together with its audit entry, so the audit log
cannot miss a change (store/transactions.py). Audit details hold ids and field names, never
case contents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from rrall.case.model import CASE_ID_MAX
from rrall.errors import ConflictError, NotFoundError
from rrall.store.accounts import Accounts
from rrall.store.tables import (
    AssessmentRecord,
    CaseRecord,
    CaseVersion,
    Decision,
    Meeting,
    MeetingCase,
)
from rrall.store.transactions import now


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


class Repository(Accounts):
    """Accounts (store/accounts.py), then cases, their versions and assessments, tumor-board
    decisions and meetings."""

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
def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
