"""Scan what the code under test logs for anything identifying.

rrall keeps personal data out of its logs: a log line names a route template, a status,
an error's type; never a case id, a name, a date of birth, a patient's address on a FHIR
server, a password or a token. The `logscan` fixture (tests/conftest.py) records every
log record at DEBUG and up during a test and fails the test at teardown if one quotes

- a value registered with `logscan.forbid(...)` (case ids, names, passwords, tokens), or
  any non-ASCII character of one (WeasyPrint used to log a report's text one character
  at a time),
- the id or date of birth of an example case (examples/cases/),
- a URL that carries a patient: `Patient/ID`, `?patient=ID`, `?subject=ID`,
- a bearer token, or a password given as `password=...` or `password: ...`.

Records of the test's own HTTP client (httpx to http://testserver) are not the service's
log and are left out. Use it in a module with
`pytestmark = pytest.mark.usefixtures("logscan")`, or ask for the fixture to register
values of your own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cases"
PATTERNS = {
    "a FHIR URL with a patient": re.compile(r"\bPatient/[A-Za-z0-9\-.]{1,64}|[?&](patient|subject)=[^&\s]"),
    "a bearer token": re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    "a password": re.compile(r"(?i)\bpassword\s*[:=]\s*\S"),
}
_OWN_CLIENT = "http://testserver"
_FORMAT = logging.Formatter("%(name)s %(levelname)s %(message)s")


def example_identifiers() -> set[str]:
    found = set()
    for path in sorted(EXAMPLES.glob("*.yaml")):
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        found |= {str(case["id"]), str(case["date_of_birth"])}
    return found


class LogScan(logging.Handler):
    """A handler on the root logger that keeps every record for `leaks()`."""

    def __init__(self, forbidden: Iterable[str] = ()) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.forbidden: set[str] = set()
        self.forbid(*forbidden)

    def forbid(self, *values: str) -> None:
        """Values that must not appear in any log line (at least 3 characters long)."""
        self.forbidden |= {v for v in values if len(v) >= 3}

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> Iterator[str]:
        for record in self.records:
            text = _FORMAT.format(record)  # with the traceback, if any
            if record.name.startswith("httpx") and _OWN_CLIENT in text:
                continue
            yield text

    def leaks(self) -> list[str]:
        """Each log line that quotes something identifying, with what it quotes."""
        characters = {c for value in self.forbidden for c in value if not c.isascii()}
        found = []
        for line in self.lines():
            why = [f"the value {v!r}" for v in sorted(self.forbidden) if v in line]
            why += [what for what, pattern in PATTERNS.items() if pattern.search(line)]
            why += [f"the character {c!r} of a forbidden value" for c in sorted(characters) if c in line]
            if why:
                found.append(f"{line[:300]!r} quotes {', '.join(why)}")
        return found


@contextmanager
def scanning(forbidden: Iterable[str] = ()) -> Iterator[LogScan]:
    """Record every log record at DEBUG and up while the block runs."""
    scan = LogScan(forbidden)
    root = logging.getLogger()
    level = root.level
    root.addHandler(scan)
    root.setLevel(logging.DEBUG)
    try:
        yield scan
    finally:
        root.removeHandler(scan)
        root.setLevel(level)
