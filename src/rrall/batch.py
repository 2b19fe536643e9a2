"""Large JSON Lines batches across all local cores, output in input order.

Each worker runs the same parse_case + assess as a single case; only the work is split.
A bad line becomes an error record in its place and never stops the batch.

Two things keep the cores busy on assessment rather than on overhead. The parent
assesses the first chunk itself before starting the workers, which are forked from it
and so begin with its knowledge base and its warm memo tables. And when the output is a
real file or pipe, each worker writes its own block straight to it, in turn, instead of
sending ~90 KB per case back through the parent.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from rrall.assessment import assess, summarize
from rrall.case.load import no_cases, parse_case, parse_json, read_or_error
from rrall.case.model import Case
from rrall.errors import CaseInputError
from rrall.knowledge.load import KnowledgeBase
from rrall.report.fastjson import AssessmentJson
from rrall.runtime import freeze_loaded

CHUNK = 400
WARM_UP = 100
PARALLEL_FROM = 2000  # below this many lines, starting workers costs more than it saves
_KB: KnowledgeBase | None = None
_JSON: Callable[[Case, str | None], bytes] | None = None  # the shape asked for (--detail)
_TURN: Any = None  # (Condition, Value): the index of the next chunk to write


def _shape(detail: str) -> Callable[[Case, str | None], bytes]:
    """The writer of one batch (forked workers each carry on with their copy): the whole
    assessment, or its summary made without the words and trials it does not show."""
    if detail == "summary":
        return lambda case, table: orjson.dumps(summarize(case, _KB, anthracycline_table=table))
    write = AssessmentJson()
    return lambda case, table: write(assess(case, _KB, anthracycline_table=table))


def _run_chunk(chunk: list[tuple[int, bytes]], source: str, today: date,
               anthracycline_table: str | None = None) -> list[tuple[bytes, bool]]:
    assert _KB is not None and _JSON is not None
    out = []
    for number, line in chunk:
        raw = read_or_error(partial(parse_json, line), source, number)
        if isinstance(raw, CaseInputError):  # not JSON, or not UTF-8: this line only
            out.append((orjson.dumps(raw.record()), False))
            continue
        try:
            case = parse_case(raw, _KB, today, source, number)
        except CaseInputError as exc:
            out.append((orjson.dumps(exc.record()), False))
            continue
        out.append((_JSON(case, anthracycline_table), True))
    return out


def _block(chunk: list[tuple[int, bytes]], source: str, today: date,
           anthracycline_table: str | None) -> tuple[bytes, int]:
    """The chunk's output as one block of JSON Lines, and how many lines were bad."""
    records = _run_chunk(chunk, source, today, anthracycline_table)
    return b"\n".join(r for r, _ in records) + b"\n", sum(not ok for _, ok in records)


def _write_in_turn(job: tuple[int, list[tuple[int, bytes]]], fd: int, source: str, today: date,
                   anthracycline_table: str | None) -> int:
    """Assess a chunk, then wait for its turn and write it to `fd` (shared by all workers)."""
    index, chunk = job
    block, bad = _block(chunk, source, today, anthracycline_table)
    condition, turn = _TURN
    with condition:
        while turn.value != index:
            condition.wait()
        view = memoryview(block)
        while view:
            view = view[os.write(fd, view):]
        turn.value = index + 1
        condition.notify_all()
    return bad


def _chunks(lines: list[bytes]) -> Iterator[list[tuple[int, bytes]]]:
    """A small first chunk (the parent assesses it alone, to warm the memos the workers
    inherit), then chunks of CHUNK lines."""
    numbered = [(i, line) for i, line in enumerate(lines, start=1) if line.strip()]
    first = min(WARM_UP, CHUNK)
    if numbered[:first]:
        yield numbered[:first]
    for start in range(first, len(numbered), CHUNK):
        yield numbered[start : start + CHUNK]


def assess_jsonl(path: Path, kb: KnowledgeBase, today: date | None = None,
                 workers: int | None = None, anthracycline_table: str | None = None,
                 detail: str = "full") -> Iterator[tuple[bytes, bool]]:
    """(JSON record, ok) per non-empty line of `path`, in order; `detail`: full or summary."""
    global _KB, _JSON
    _KB, _JSON = kb, _shape(detail)
    chunks, parallel = _plan(path, workers)
    if not chunks:
        yield orjson.dumps(no_cases(str(path)).record()), False
        return
    work = partial(_run_chunk, source=str(path), today=today or date.today(),
                   anthracycline_table=anthracycline_table)
    for chunk in chunks[:1] if parallel else chunks:  # the first chunk warms the shared memos
        yield from work(chunk)
    if parallel:
        freeze_loaded()
        with _fork().Pool(workers) as pool:
            for records in pool.imap(work, chunks[1:]):
                yield from records


def write_jsonl(path: Path, kb: KnowledgeBase, out: BinaryIO, today: date | None = None,
                workers: int | None = None, anthracycline_table: str | None = None,
                detail: str = "full") -> int:
    """Write one JSON record per non-empty line of `path` to `out`, in order; return the
    number of bad lines (their records are error records). `detail`: full or summary."""
    global _KB, _TURN, _JSON
    _KB, _JSON = kb, _shape(detail)
    chunks, parallel = _plan(path, workers)
    if not chunks:
        out.write(orjson.dumps(no_cases(str(path)).record()) + b"\n")
        return 1
    block = partial(_block, source=str(path), today=today or date.today(),
                    anthracycline_table=anthracycline_table)
    bad = 0
    for chunk in chunks[:1] if parallel else chunks:  # the first chunk warms the shared memos
        data, failed = block(chunk)
        out.write(data)
        bad += failed
    if not parallel:
        return bad
    freeze_loaded()
    context, fd = _fork(), _file_descriptor(out)
    if fd is None:  # not a real file (e.g. in memory): blocks come back through the parent
        with context.Pool(workers) as pool:
            for data, failed in pool.imap(block, chunks[1:]):
                out.write(data)
                bad += failed
        return bad
    out.flush()  # everything written so far is in the file before the workers write to it
    _TURN = (context.Condition(), context.Value("i", 0, lock=False))
    try:
        with context.Pool(workers) as pool:
            in_turn = partial(_write_in_turn, fd=fd, source=str(path), today=today or date.today(),
                              anthracycline_table=anthracycline_table)
            bad += sum(int(failed) for failed in pool.imap(in_turn, enumerate(chunks[1:])))
    finally:
        _TURN = None
    return bad


def _plan(path: Path, workers: int | None) -> tuple[list[list[tuple[int, bytes]]], bool]:
    chunks = list(_chunks(path.read_bytes().splitlines()))
    count = sum(len(c) for c in chunks)
    parallel = (workers or os.cpu_count() or 1) > 1 and len(chunks) > 1 and count >= PARALLEL_FROM
    return chunks, parallel


def _fork() -> Any:
    """Workers are forked so that they inherit the knowledge base and its warm memos."""
    return multiprocessing.get_context("fork")


def _file_descriptor(out: BinaryIO) -> int | None:
    try:
        return int(out.fileno())
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None
