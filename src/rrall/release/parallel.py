"""A large impact run on several cores: JSON Lines cases in chunks, one forked worker per core.

The parent compares a first chunk itself (so the workers inherit warm decision tables and
both engines), then forks the workers; each reads its lines from the inherited list, and
sends back only the cases that change and the errors, in input order.
"""

from __future__ import annotations

import multiprocessing
import os
from datetime import date
from functools import partial
from pathlib import Path

from rrall.case.load import iter_cases, parse_case, parse_json, read_or_error
from rrall.case.model import Case
from rrall.errors import CaseInputError
from rrall.release.impact import Impact, ImpactReport

CHUNK = 1_000
PARALLEL_FROM = 4_000  # lines; below this, forking costs more than it saves
_LINES: list[bytes] = []
_IMPACT: list[Impact] = []


def _run(start: int, source: str, today: date) -> ImpactReport:
    """One chunk's report (the cases that change and the errors), with its distinct pairs."""
    impact = _IMPACT[0]
    report = impact.report = ImpactReport(impact.report.old_version, impact.report.new_version)
    before = impact.sides.distinct
    for number, line in enumerate(_LINES[start : start + CHUNK], start=start + 1):
        if line.strip():
            impact.add(_case(line, impact, today, source, number))
    report.distinct = impact.sides.distinct - before
    return report


def _case(line: bytes, impact: Impact, today: date, source: str, number: int) -> Case | CaseInputError:
    raw = read_or_error(partial(parse_json, line), source, number)
    if isinstance(raw, CaseInputError):
        return raw
    try:
        return parse_case(raw, impact.new, today, source, number)
    except CaseInputError as exc:
        return exc


def run_jsonl(impact: Impact, path: Path, workers: int | None = None) -> None:
    """Add every case of a JSON Lines file to the impact run, on several cores when it is large."""
    workers = workers or len(os.sched_getaffinity(0))
    lines = path.read_bytes().splitlines()
    if workers < 2 or len(lines) < PARALLEL_FROM:
        for item in iter_cases(path, impact.new):
            impact.add(item)
        return
    total = impact.report
    today = date.today()
    _LINES[:] = lines
    _IMPACT[:] = [impact]
    try:
        parts = [_run(0, str(path), today)]  # warms the tables the workers inherit
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts += pool.map(partial(_run, source=str(path), today=today), range(CHUNK, len(lines), CHUNK))
    finally:
        _LINES.clear()
        _IMPACT.clear()
        impact.report = total
    for part in parts:
        total.cases += part.cases
        total.changed += part.changed
        total.errors += part.errors
        total.error_records += part.error_records
        total.by_kind += part.by_kind
        impact.extra_distinct += part.distinct
