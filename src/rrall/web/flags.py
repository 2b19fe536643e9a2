"""The case list's and agenda's flag: what the workbench's knowledge release would change in
a case's latest assessment, in a few words."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from rrall.release.impact import Change
from rrall.store.releases import Releases


def headline(version: str, changes: list[dict[str, Any]]) -> str:
    """ "knowledge 2027.1.0 changes: HSCT rule (BFM), Blinatumomab status"."""
    said = list(dict.fromkeys(Change(**c).headline() for c in changes))
    return f"knowledge {version} changes: {', '.join(said)}"


def current_flags(request: Request, pks: list[int]) -> dict[int, str]:
    """Case -> the headline of what the workbench's release would change in its latest assessment."""
    wb = request.app.state.workbench
    found = Releases(wb.repo).flags(wb.kb.version, pks)
    return {pk: headline(wb.kb.version, flag.changes) for pk, flag in found.items()}
