"""Renderers: they format an Assessment and decide nothing clinical."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rrall.assessment import Assessment
    from rrall.errors import CaseInputError


class Renderer(Protocol):
    """What the CLI writes results through, one case at a time, in input order."""

    def assessment(self, assessment: Assessment) -> None: ...

    def error(self, error: CaseInputError) -> None: ...

    def close(self) -> None: ...
