"""One tree of errors, and the exit codes of every command. Clinical findings are values in
the Assessment, never exceptions.

    RrallError
    ├── CaseInputError      a case that cannot be assessed as given (field errors, all at once)
    ├── CohortInputError    a cohort input as a whole (columns, format), before any row
    ├── KnowledgeError      the knowledge base does not load or lint
    │   └── TableError      a decision table matched no row or several at run time
    ├── ReleaseError        a knowledge release that cannot be used as given (manifest, signature,
    │                       archive, unknown release id): the message says which and what to do
    ├── StudyError          a ClinicalTrials.gov record that cannot become a trial
    ├── FetchError          a FHIR server could not be read
    │   └── UnsafeServer    a FHIR server address rrall will not read from
    ├── ApiError            an HTTP request the service refuses (status, code, field errors)
    ├── NotFoundError       a stored object that does not exist
    └── ConflictError       a change that clashes with what is stored
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """What every `rrall` command exits with."""

    OK = 0
    INTERNAL = 1  # a fault in rrall: the message says so and asks for a report
    BAD_INPUT = 2  # the input (a case, a file, an option) was refused; the message says why


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


class TableError(KnowledgeError):
    """A decision table matched no row or several for a case: the knowledge lint should
    have caught it."""

    def __init__(self, message: str) -> None:
        super().__init__([message])


class ReleaseError(RrallError):
    """A knowledge release refused as given: its files do not match its manifest, its
    signature does not verify, its archive is unsafe, or no release has that id. Bad input
    (exit status 2); the message says which file and the command that fixes it."""


class CohortInputError(RrallError):
    """Problems with a cohort input as a whole (its columns, its format), found before any row."""

    def __init__(self, source: str, errors: list[FieldError]) -> None:
        super().__init__(f"{source}: " + "; ".join(f"{e.path}: {e.message}" for e in errors))
        self.source = source
        self.errors = errors


class StudyError(RrallError, ValueError):
    """A study record that cannot become a trial; the message says which field and why."""


class FetchError(RrallError):
    """A FHIR server could not be read (refused, unreachable, not FHIR)."""


class UnsafeServer(FetchError, ValueError):
    """A FHIR server address rrall will not read from; the message says why."""


# The API's short error codes, by HTTP status.
API_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 409: "conflict", 412: "precondition_failed", 413: "too_large",
             415: "unsupported_media_type", 422: "invalid_input", 429: "too_many_requests",
             500: "internal_error"}


class ApiError(RrallError):
    """A request the service refuses: the HTTP status, a short code, the message and every
    field error (the one error shape of the API, web/errors.py)."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or API_CODES.get(status, "error")
        self.message = message
        self.errors = errors or []


class NotFoundError(RrallError):
    """A stored object (case, assessment, meeting, user) that does not exist."""

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key} not found")
        self.what = what
        self.key = key


class ConflictError(RrallError):
    """A change that clashes with what is stored (a case id already taken, ...)."""
