"""Knowledge releases in the workbench: installing one (checked, kept, audited) and showing
which cases it would change, with the changes one click away.

Installing never changes a stored assessment. It keeps the release beside the earlier ones
(RRALL_HOME/knowledge/<version>), compares every case's latest assessment with what the new
release would conclude, and flags the cases that would change. A clinician re-assesses a
flagged case explicitly; the earlier assessment stays in the history.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from rrall.case.load import parse_case
from rrall.errors import ApiError, CaseInputError, NotFoundError, ReleaseError
from rrall.knowledge.load import KnowledgeBase, load_knowledge
from rrall.release.diff import diff_releases
from rrall.release.files import resolve_release
from rrall.release.impact import KINDS, Impact
from rrall.release.manifest import SIGNATURE, SUMS, file_sha256, require_verified
from rrall.release.shelf import Shelf
from rrall.release.sign import site_public_key, verify_signature
from rrall.store.releases import Flag, Releases
from rrall.store.repository import Repository
from rrall.store.tables import ReleaseImpact, User
from rrall.web.auth import page_user
from rrall.web.flags import headline
from rrall.web.params import Pk
from rrall.web.view import html

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(page_user("viewer"))]


@dataclass(frozen=True)
class Installed:
    version: str
    path: Path
    cases: int  # cases compared
    flagged: int
    skipped: list[str]  # cases that could not be compared, and why


def install_release(
    repo: Repository,
    source: str,
    actor: str = "cli",
    public_key: Path | None = None,
    home: Path | None = None,
) -> Installed:
    """Check a release (manifest, signature if the site asks for one, lint), keep it, flag the
    cases it would change and record the install with its audit entry."""
    from rrall.lint import lint

    if actor != "cli" and not any(
        u.username == actor and u.role == "admin" and not u.disabled for u in repo.users()
    ):
        raise ReleaseError(f"{actor}: installing a knowledge release needs an administrator")
    root = resolve_release(source, home)
    require_verified(root)
    key = public_key or site_public_key()
    if key is not None:
        verify_signature(root, key)
    problems = lint(root)
    if problems:
        raise ReleaseError(
            f"{root}: the release does not pass the knowledge checks:"
            + "".join(f"\n  - {p}" for p in problems)
        )
    version = load_knowledge(root).version
    shelf = Shelf(home)
    shelf.keep_bundled()
    kept = shelf.keep(root, version)
    new = shelf.load(version)
    flags, compared, skipped = _flags(repo, shelf, new)
    Releases(repo).install(
        version, file_sha256(kept / SUMS), key is not None and (kept / SIGNATURE).is_file(), actor, flags
    )
    return Installed(version, kept, compared, len(flags), skipped)


def _flags(repo: Repository, shelf: Shelf, new: KnowledgeBase) -> tuple[list[Flag], int, list[str]]:
    _total, records = repo.cases("", 1_000_000, 0)
    latest = repo.latest_assessments([r.id for r in records])
    impacts: dict[str, Impact] = {}
    flags, skipped, compared = [], [], 0
    for record in records:
        stored = latest.get(record.id)
        if stored is None or stored.knowledge_version == new.version:
            continue
        try:
            impact = impacts.get(stored.knowledge_version)
            if impact is None:
                impact = impacts[stored.knowledge_version] = Impact(shelf.load(stored.knowledge_version), new)
            case = parse_case(repo.version(record.id, stored.case_version).document, new)
        except (ReleaseError, CaseInputError) as exc:
            skipped.append(f"case {record.case_id}: {str(exc).splitlines()[0]}")
            continue
        compared += 1
        found = impact.add(case)
        if found is not None:
            flags.append(Flag(record.id, stored.id, [asdict(c) for c in found.changes]))
    return flags, compared, skipped


def _changes(flag: ReleaseImpact) -> list[dict[str, Any]]:
    return [{**c, "label": KINDS[c["kind"]]} for c in flag.changes]


@router.get("/cases/{pk}/knowledge-changes")
def case_changes(request: Request, pk: Pk, user: Viewer) -> HTMLResponse:
    wb = request.app.state.workbench
    case = wb.repo.case(pk)
    flag = Releases(wb.repo).flags(wb.kb.version, [pk]).get(pk)
    if flag is None:
        raise NotFoundError("knowledge change for case", pk)
    stored = wb.repo.assessment(flag.assessment_id)
    wb.repo.record(user.username, "case.knowledge_changes", "case", pk, version=wb.kb.version)
    return html(
        request,
        "knowledge_changes.html.j2",
        case=case,
        stored=stored,
        version=wb.kb.version,
        changes=_changes(flag),
        refs=wb.kb.references,
        title=headline(wb.kb.version, flag.changes),
    )


@router.get("/knowledge/diff")
def release_diff(request: Request, user: Viewer, old: str, new: str) -> HTMLResponse:
    wb = request.app.state.workbench
    shelf: Shelf = wb.shelf
    paths = [shelf.path(v) for v in (old, new)]
    if paths[0] is None or paths[1] is None:
        raise ApiError(404, f"knowledge {old if paths[0] is None else new} is not kept in this workbench")
    found = diff_releases(paths[0], paths[1], old, new, wb.kb.glossary)
    return html(request, "knowledge_diff.html.j2", diff=found)
