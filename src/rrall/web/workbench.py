"""What the API and the pages share: validate, assess, store, with one audit trail."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError

from rrall.assessment import Assessment, assess
from rrall.case.load import parse_case
from rrall.case.model import Case
from rrall.case.untrusted import as_json_document as as_json_document  # where bench/ finds it
from rrall.errors import KnowledgeError, ReleaseError
from rrall.knowledge.load import KnowledgeBase
from rrall.release.shelf import Shelf
from rrall.report.fastjson import AssessmentJson, assessment_json
from rrall.store.releases import Releases
from rrall.store.repository import Repository, StoredAssessment
from rrall.store.tables import AssessmentRecord, CaseRecord

log = logging.getLogger("rrall.web")
RECHECK_SECONDS = 2.0  # how often a running workbench looks for a newly installed release


@dataclass
class Workbench:
    repo: Repository
    kb: KnowledgeBase  # the release new assessments use: the newest installed, else the bundled one
    shelf: Shelf = field(default_factory=Shelf)  # every release kept, for reproducing old assessments
    json: AssessmentJson = field(default_factory=AssessmentJson, repr=False, compare=False)
    # Set by create_app when it chose `kb` from the installed releases: a release installed
    # while the workbench runs (`rrall knowledge install`) is then used without a restart.
    follows_releases: bool = False
    release_id: int | None = None  # the installed release `kb` is (None: the bundled one, or given)
    _checked: float = field(default=0.0, repr=False, compare=False)
    _checking: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def due(self) -> bool:
        """Whether to look for a newer installed release now (at most every RECHECK_SECONDS)."""
        return self.follows_releases and time.monotonic() - self._checked >= RECHECK_SECONDS

    def follow_releases(self) -> None:
        """Use the newest installed release if it is not the one in use. A release that fails
        its check (changed after it was installed) is not used: the one in use stays, and the
        log says so once. One thread looks at a time; the others go on with the one in use."""
        if not self._checking.acquire(blocking=False):
            return
        try:
            self._checked = time.monotonic()
            try:
                active = Releases(self.repo).active()
            except SQLAlchemyError as exc:  # never fail a request over the look: keep the one in use
                log.warning("could not look for a newer knowledge release: %s", type(exc).__name__)
                return
            if active is None or active.id == self.release_id:
                return
            try:
                kb = self.shelf.load(active.version, active.manifest_sha256)
            except ReleaseError as exc:
                log.warning("knowledge %s was installed but is not used: %s", active.version, exc)
                self.release_id = active.id  # said once; the release in use stays
                return
            self.kb, self.release_id = kb, active.id
            log.info("knowledge %s installed: new assessments use it", active.version)
        finally:
            self._checking.release()

    def validate(self, document: Any, today: date | None = None) -> Case:
        """The case, or CaseInputError with every problem and its field path."""
        return parse_case(document, self.kb, today)

    def result(self, document: Any) -> Assessment:
        kb = self.kb  # read once: a release installed meanwhile applies from the next case
        return assess(parse_case(document, kb), kb)

    def assess(self, document: Any) -> tuple[Assessment, bytes]:
        result = self.result(document)
        return result, self.json(result)

    def create(self, document: dict[str, Any], actor: str) -> tuple[CaseRecord, AssessmentRecord]:
        record, stored = self.repo.create_case(document, actor, self._stored(document))
        assert stored is not None
        return record, stored

    def update(self, pk: int, document: dict[str, Any], actor: str,
               base_version: int | None = None) -> tuple[CaseRecord, AssessmentRecord]:
        self.repo.case(pk)
        record, stored = self.repo.update_case(pk, document, actor, self._stored(document), base_version)
        assert stored is not None
        return record, stored

    def reassess(self, pk: int, actor: str) -> AssessmentRecord:
        """Assess the latest version again, e.g. after a knowledge-base update."""
        version = self.repo.version(pk)
        return self.repo.add_assessment(pk, version.version, self._stored(version.document), actor)

    def reproduce(self, assessment_id: int) -> bytes:
        """A stored assessment made again from its case version and knowledge version (the
        release it names, loaded from the shelf); equal to the stored JSON byte for byte."""
        record = self.repo.assessment(assessment_id)
        kb = self.shelf.load(record.knowledge_version)
        document = self.repo.version(record.case_pk, record.case_version).document
        return assessment_json(assess(parse_case(document, kb), kb))

    def release_of(self, record: AssessmentRecord) -> KnowledgeBase | None:
        """The knowledge release that made a stored assessment, where this workbench keeps
        it (None otherwise, e.g. a release from before the shelf)."""
        try:
            return self.shelf.load(record.knowledge_version)
        except (ReleaseError, KnowledgeError):
            return None

    def _stored(self, document: Any) -> StoredAssessment:
        result, body = self.assess(document)
        return StoredAssessment(result.input_sha256, result.engine_version, result.knowledge_version,
                                body.decode())


def result_of(record: AssessmentRecord) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(record.result_json)
    return loaded
