"""Worker processes for the survival analysis and its figures.

The survival stack (lifelines, matplotlib) takes seconds to import and each framework's
fits and figures take about a second more. The workers are started before the cohort is
assessed, so they import that stack while the parent assesses, and then fit and draw one
framework each, in parallel. Spawned (not forked): the parent runs polars' thread pool,
which a fork would copy mid-flight.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from rrall.cohort.survival import Survival

# The columns a fit reads (survival.by_group), so a worker gets only these.
FIT_COLUMNS = ("os_months", "os_event", "efs_months", "efs_event", "code")
FOLLOW_UP_COLUMN = "last_follow_up_date"


def warm() -> None:
    """A worker's first job: import what fitting and drawing need."""
    import lifelines  # noqa: F401
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    import rrall.cohort.survival  # noqa: F401


def _fit(data: pl.DataFrame, framework: str, figures: Path | None, label: str) -> Survival:
    from rrall.cohort.survival import by_group

    return by_group(data, framework, figures, label)


class SurvivalWorkers:
    """At most `size` worker processes, started now and warming up; `by_group` then runs
    each framework's fits and figures on them; `close` when done."""

    def __init__(self, size: int | None = None) -> None:
        size = size or min(4, os.cpu_count() or 1)
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=warm)
        # A job per worker makes the pool start them all now, not on first use.
        self._started: list[Future[int]] = [self._pool.submit(int) for _ in range(size)]

    def by_group(self, data: pl.DataFrame, jobs: Sequence[tuple[str, str]],
                 figures: Path | None) -> list[Survival]:
        """Survival by each (framework, label), in `jobs` order."""
        futures = [self._pool.submit(_fit, data.select([c for c in data.columns if c in FIT_COLUMNS
                                                           or c == f"{fw}_group"]), fw, figures, label)
                   for fw, label in jobs]
        return [f.result() for f in futures]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def wants_survival(first_rows: Sequence[tuple[str, int, dict[str, object]] | None]) -> bool:
    """Whether any table's first row (source, line, cells) has the follow-up column, so the
    summary will fit survival curves."""
    return any(row is not None and FOLLOW_UP_COLUMN in row[2] for row in first_rows)
