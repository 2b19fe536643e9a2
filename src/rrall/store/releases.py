"""Stored knowledge releases and the cases each would change (one transaction per install,
with its audit entry). Stored assessments are never changed here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from rrall.errors import ConflictError
from rrall.store.repository import Repository
from rrall.store.tables import KnowledgeRelease, ReleaseImpact
from rrall.store.transactions import now


@dataclass(frozen=True)
class Flag:
    """A case the release would change: the assessment compared and what would change."""

    case_pk: int
    assessment_id: int
    changes: list[dict[str, Any]]


class Releases:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo

    def install(
        self, version: str, manifest_sha256: str, signed: bool, actor: str, flags: Sequence[Flag]
    ) -> KnowledgeRelease:
        """Record a release and its flags; a version installed before is refused unless its
        manifest is the same (then nothing is written)."""
        found = self.release(version)
        if found is not None:
            if found.manifest_sha256 != manifest_sha256:
                raise ConflictError(
                    f"knowledge {version} is already installed with other contents; a "
                    "changed release needs a new version number"
                )
            return found
        record = KnowledgeRelease(
            version=version,
            manifest_sha256=manifest_sha256,
            signed=signed,
            installed_at=now(),
            installed_by=actor,
        )
        try:
            with self.repo._tx() as s:
                s.add(record)
                s.flush()
                for flag in flags:
                    s.add(
                        ReleaseImpact(
                            release_id=record.id,
                            case_pk=flag.case_pk,
                            assessment_id=flag.assessment_id,
                            changes=flag.changes,
                        )
                    )
                Repository._audit(
                    s,
                    actor,
                    "knowledge.install",
                    "knowledge_release",
                    record.id,
                    version=version,
                    manifest_sha256=manifest_sha256,
                    signed=signed,
                    cases_flagged=len(flags),
                )
        except IntegrityError:
            raise ConflictError(f"knowledge {version} was installed by someone else meanwhile") from None
        return record

    def release(self, version: str) -> KnowledgeRelease | None:
        with self.repo._tx() as s:
            return s.scalar(select(KnowledgeRelease).where(KnowledgeRelease.version == version))

    def releases(self) -> Sequence[KnowledgeRelease]:
        """Every installed release, the newest install last."""
        with self.repo._tx() as s:
            return s.scalars(select(KnowledgeRelease).order_by(KnowledgeRelease.id)).all()

    def active(self) -> KnowledgeRelease | None:
        found = self.releases()
        return found[-1] if found else None

    def flags(self, version: str, case_pks: Sequence[int] | None = None) -> dict[int, ReleaseImpact]:
        """The release's flags that still hold: the case's latest assessment is the one
        compared (a re-assessment or a new case version clears the flag)."""
        release = self.release(version)
        if release is None:
            return {}
        stmt = select(ReleaseImpact).where(ReleaseImpact.release_id == release.id)
        if case_pks is not None:
            stmt = stmt.where(ReleaseImpact.case_pk.in_(case_pks))
        with self.repo._tx() as s:
            rows = s.scalars(stmt).all()
        latest = self.repo.latest_assessments([r.case_pk for r in rows])
        return {r.case_pk: r for r in rows if r.case_pk in latest and latest[r.case_pk].id == r.assessment_id}
