"""Worker processes for the survival analysis and its figures.

The survival stack (lifelines, matplotlib) takes more than a second to import and each
framework's fits and figures take about half a second more. The workers are started before
the cohort is assessed. They come from a fork server that imports the stack once, while
the parent assesses, and then forks the workers, which fit and draw one framework each, in
parallel. Never forked from the parent itself: the parent runs polars' thread pool, which
a fork would copy mid-flight. The fork server is a fresh process; its children leave with
`os._exit`, without the seconds-long clean-up of everything the stack imported.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from rrall.cohort.survival import Survival

# The columns a fit reads (survival.by_group), so a worker gets only these.
FIT_COLUMNS = ("os_months", "os_event", "efs_months", "efs_event", "code")
FOLLOW_UP_COLUMN = "last_follow_up_date"


# Imported once by the fork server (survival_stack imports lifelines and matplotlib).
PRELOAD = ["rrall.cohort.survival_stack"]


def _fit(data: pl.DataFrame, framework: str, figures: Path | None, label: str) -> Survival:
    from rrall.cohort.survival import by_group

    return by_group(data, framework, figures, label)


def _context() -> BaseContext:
    """The fork server, started now without waiting for it (a worker's start waits for the
    server's imports, so the workers are started only when there is work); where there is
    no fork server (Windows) or it cannot start, spawned workers that import the stack on
    their first job. The server and its workers keep the environment of the moment it
    started (one server per process)."""
    try:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _without_output(forkserver.ensure_running)
    except (ValueError, OSError):
        return multiprocessing.get_context("spawn")
    return context


def _without_output(start: Callable[[], None]) -> None:
    """`start()` with standard output and error on the null device, so that the process it
    starts (the fork server outlives the run by its clean-up) does not hold the caller's
    pipes open: a reader of `rrall cohort ... | ...` would wait for it. A worker's error
    comes back through its job's result, not its stderr."""
    try:
        saved = (os.dup(1), os.dup(2))
    except OSError:  # no standard output to keep: nothing to hold open either
        start()
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(null, 1)
        os.dup2(null, 2)
        start()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


class SurvivalWorkers:
    """At most `size` worker processes. The fork server starts now and imports the survival
    stack; `by_group` forks the workers from it and runs each framework's fits and figures
    on them; `close` when done."""

    def __init__(self, size: int | None = None) -> None:
        size = size or min(4, os.cpu_count() or 1)
        self._pool = ProcessPoolExecutor(max_workers=size, mp_context=_context())

    def by_group(self, data: pl.DataFrame, jobs: Sequence[tuple[str, str]],
                 figures: Path | None) -> list[Survival]:
        """Survival by each (framework, label), in `jobs` order."""
        futures = [self._pool.submit(_fit, data.select([c for c in data.columns if c in FIT_COLUMNS
                                                           or c == f"{fw}_group"]), fw, figures, label)
                   for fw, label in jobs]
        return [f.result() for f in futures]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def follow_up_in_headers(inputs: Sequence[Path]) -> bool:
    """Whether a CSV or Parquet input names the follow-up column in its header, read without
    the run's checks (those come later and decide): asked first thing, so that the fork
    server imports the survival stack while the parent imports, loads and checks."""
    return any(FOLLOW_UP_COLUMN in _header(path) for path in inputs)


def _header(path: Path) -> list[str]:
    """The column names of a CSV or Parquet file; none if it cannot be read (the run's own
    checks report why)."""
    import csv

    if not path.is_file():  # regular files only: a named pipe would block here, before the checks
        return []
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                return next(csv.reader(handle), [])
        except (OSError, UnicodeDecodeError, csv.Error):
            return []
    if suffix == ".parquet":
        import polars as pl

        try:
            return list(pl.read_parquet_schema(path))
        except (OSError, pl.exceptions.PolarsError):
            return []
    return []


def wants_survival(first_rows: Sequence[tuple[str, int, dict[str, object]] | None]) -> bool:
    """Whether any table's first row (source, line, cells) has the follow-up column, so the
    summary will fit survival curves."""
    return any(row is not None and FOLLOW_UP_COLUMN in row[2] for row in first_rows)
