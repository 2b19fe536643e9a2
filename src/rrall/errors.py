"""One tree of errors. Clinical findings are values in the Assessment, never exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with the input: where, what, and what would be accepted."""

    path: str
    message: str
    allowed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "message": self.message}
        if self.allowed is not None:
            out["allowed"] = self.allowed
        return out

    def __str__(self) -> str:
        text = f"{self.path or '(case)'}: {self.message}"
        return f"{text} (allowed: {self.allowed})" if self.allowed else text


class RrallError(Exception):
    """Base of every error rrall raises on purpose."""


@dataclass
class CaseInputError(RrallError):
    """A case that cannot be assessed as given; carries every problem found at once."""

    errors: list[FieldError]
    source: str | None = None
    line: int | None = None
    case_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        where = self.source or "input"
        if self.line is not None:
            where += f", line {self.line}"
        head = f"{where}: case {self.case_id!r} is not valid" if self.case_id else f"{where}: not valid"
        return head + "".join(f"\n  - {e}" for e in self.errors)

    def record(self) -> dict[str, Any]:
        """The error record printed in place of an assessment in JSON/JSONL output."""
        return {
            "case_id": self.case_id,
            "source": self.source,
            "line": self.line,
            "errors": [e.to_dict() for e in self.errors],
        }


@dataclass
class KnowledgeError(RrallError):
    """The knowledge base failed to load or lint."""

    problems: list[str]

    def __str__(self) -> str:
        return "knowledge base is not valid:" + "".join(f"\n  - {p}" for p in self.problems)


class NotFoundError(RrallError):
    """A stored object (case, assessment, meeting, user) that does not exist."""

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key} not found")
        self.what = what
        self.key = key


class ConflictError(RrallError):
    """A change that clashes with what is stored (a case id already taken, ...)."""
