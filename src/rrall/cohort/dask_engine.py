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


def _versions(root: str | None) -> tuple[str, str, str]:
    from rrall._version import __version__

    kb = _knowledge(root)
    return __version__, kb.version, registry_fingerprint(kb)


def registry_fingerprint(kb: KnowledgeBase) -> str:
    """The trial registry a process matches against (curated plus RRALL_HOME's imports), as
    its size and a digest of each trial's id, status, status date and version."""
    import hashlib

    from rrall.engine import engine_for

    trials = engine_for(kb).registry.trials
    digest = hashlib.sha256("\n".join(sorted(f"{t.id}|{t.status}|{t.status_as_of}|{t.version}"
                                             for t in trials)).encode()).hexdigest()
    return f"{len(trials)} trials ({digest[:12]})"


def worker_problems(client: Any, knowledge_root: Path | None, kb: KnowledgeBase) -> list[str]:
    """Why the cluster cannot give the results a local run would: no worker, or a worker
    with another rrall version, knowledge base or trial registry (asked of every worker
    before the run)."""
    from rrall._version import __version__

    if not client.scheduler_info().get("workers"):
        return ["--scheduler: the Dask scheduler has no workers (start `dask worker ADDRESS` on the "
                "cluster's hosts)"]
    root = str(knowledge_root) if knowledge_root else None
    try:
        found = client.run(_versions, root)
    except Exception as exc:  # any failure on a worker is reported as such
        return [f"--scheduler: a Dask worker could not load rrall and its knowledge base "
                f"({type(exc).__name__}: {exc}) (allowed: workers with rrall {__version__} installed and the "
                "same knowledge base)"]
    expected = (__version__, kb.version, registry_fingerprint(kb))
    return [f"--scheduler: the Dask worker {address} has rrall {engine}, knowledge {knowledge}, registry "
            f"{registry} (allowed: rrall {expected[0]}, knowledge {expected[1]}, registry {expected[2]}, as "
            "here, so that results equal a local run)"
            for address, (engine, knowledge, registry) in sorted(found.items())
            if (engine, knowledge, registry) != expected]


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


def _vector_task(batch: Any, root: str | None, today: date,
                 long: dict[str, list[dict[str, Any]]]) -> tuple[Any, list[bytes]]:
    """One batch of a flat table through the vectorised path. Each task keeps its own
    memo of classes, so tasks running side by side in a worker's threads share nothing."""
    from rrall.cohort import vector

    kb = _knowledge(root)
    limits = vector.limits(kb)
    if limits is None:  # the client checked; a worker with another knowledge base must not guess
        raise RuntimeError("this worker's knowledge base compares a quantity the vectorised path cannot key")
    return vector.VectorRun(kb, today, long, limits, workers=1).batch(batch, {})


def assess_flat_dask(paths: list[Path], scheduler: Any, knowledge_root: Path | None, today: date,
                     long: dict[str, list[dict[str, Any]]] | None = None,
                     ) -> Iterator[tuple[Any, list[bytes]]]:
    """The vectorised path on a cluster: the client reads the tables in batches, each batch
    is one task, and the results come back in input order."""
    from distributed import Client

    from rrall.cohort import vector

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)  # type: ignore[no-untyped-call]
    root = str(knowledge_root) if knowledge_root else None
    pending: deque[Any] = deque()
    try:
        for path in paths:
            for batch in vector.batches(path):
                pending.append(client.submit(_vector_task, batch, root, today, long or {}, pure=False))
                while len(pending) > IN_FLIGHT:
                    yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        if client is not scheduler:
            client.close()  # type: ignore[no-untyped-call]
