"""Run the same chunked assessment on a Dask distributed cluster.

Each chunk is one task: the worker loads the knowledge base once (the bundled release, or
the folder named, which must exist on the workers) and runs the same per-case `assess()`
as a local run, so the results are identical provided every worker has the same rrall
version, knowledge base and trial registry (RRALL_HOME). Chunks are submitted with a
bounded number in flight and their results taken back in input order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from rrall.cohort import run
from rrall.knowledge.load import KnowledgeBase, default_knowledge, load_knowledge

IN_FLIGHT = 8
_LOADED: dict[str, KnowledgeBase] = {}


def _knowledge(root: str | None) -> KnowledgeBase:
    key = root or ""
    if key not in _LOADED:
        _LOADED[key] = load_knowledge(Path(root)) if root else default_knowledge()
    return _LOADED[key]


def _task(chunk: list[run.Row], root: str | None, today: date,
          long: dict[str, list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], list[bytes]]:
    return run._assess_chunk(chunk, today, _knowledge(root), long)


def assess_rows_dask(rows: Iterator[run.Row], scheduler: Any, knowledge_root: Path | None, today: date,
                     long: dict[str, list[dict[str, Any]]] | None = None,
                     ) -> Iterator[tuple[list[dict[str, Any]], list[bytes]]]:
    """`scheduler`: a scheduler address ("tcp://host:8786") or a distributed Client."""
    from distributed import Client

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)  # type: ignore[no-untyped-call]
    root = str(knowledge_root) if knowledge_root else None
    pending: deque[Any] = deque()
    try:
        for chunk in run._chunks(rows):
            subset = long or {}  # ids of JSON Lines rows are known only once parsed: send all
            pending.append(client.submit(_task, chunk, root, today, subset, pure=False))
            while len(pending) > IN_FLIGHT:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        if client is not scheduler:
            client.close()  # type: ignore[no-untyped-call]
