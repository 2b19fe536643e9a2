"""Large JSON Lines batches across all local cores, output in input order.

Each worker runs the same parse_case + assess as a single case; only the work is split.
A bad line becomes an error record in its place and never stops the batch.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from datetime import date
from functools import partial
from pathlib import Path

import orjson

from rrall.assessment import assess
from rrall.case.load import parse_case
from rrall.errors import CaseInputError, FieldError
from rrall.knowledge.load import KnowledgeBase, load_knowledge
from rrall.report.fastjson import assessment_json

CHUNK = 400
PARALLEL_FROM = 2000  # below this many lines, starting workers costs more than it saves
_KB: KnowledgeBase | None = None


def _init(root: str) -> None:
    global _KB
    _KB = load_knowledge(Path(root))


def _run_chunk(chunk: list[tuple[int, bytes]], source: str, today: date,
               anthracycline_table: str | None = None) -> list[tuple[bytes, bool]]:
    assert _KB is not None
    out = []
    for number, line in chunk:
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            error = CaseInputError([FieldError("", f"not valid JSON: {exc}", None)], source, number)
            out.append((orjson.dumps(error.record()), False))
            continue
        try:
            case = parse_case(raw, _KB, today, source, number)
        except CaseInputError as exc:
            out.append((orjson.dumps(exc.record()), False))
            continue
        result = assess(case, _KB, anthracycline_table=anthracycline_table)
        out.append((assessment_json(result), True))
    return out


def _chunks(lines: list[bytes]) -> Iterator[list[tuple[int, bytes]]]:
    numbered = [(i, line) for i, line in enumerate(lines, start=1) if line.strip()]
    for start in range(0, len(numbered), CHUNK):
        yield numbered[start : start + CHUNK]


def assess_jsonl(path: Path, kb: KnowledgeBase, today: date | None = None,
                 workers: int | None = None, anthracycline_table: str | None = None,
                 ) -> Iterator[tuple[bytes, bool]]:
    """(JSON record, ok) per non-empty line of `path`, in order."""
    lines = path.read_bytes().splitlines()
    today = today or date.today()
    workers = workers or os.cpu_count() or 1
    work = partial(_run_chunk, source=str(path), today=today, anthracycline_table=anthracycline_table)
    if workers == 1 or len(lines) < PARALLEL_FROM:
        _init_local(kb)
        for chunk in _chunks(lines):
            yield from work(chunk)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with context.Pool(workers, initializer=_init, initargs=(str(kb.root),)) as pool:
        for results in pool.imap(work, _chunks(lines)):
            yield from results


def _init_local(kb: KnowledgeBase) -> None:
    global _KB
    _KB = kb
