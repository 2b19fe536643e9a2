"""The parallel JSON Lines path gives exactly the sequential output, in order."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from rrall import batch
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import BASE_CASE, TODAY, make_case


def test_parallel_equals_sequential(tmp_path: Path, kb: KnowledgeBase,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    lines = []
    for i in range(60):
        case = make_case(id=f"c{i}", **{"relapses.0.marrow_blasts_percent": i % 100})
        lines.append(orjson.dumps(case if i % 7 else {**BASE_CASE, "id": f"bad{i}", "sex": "?"}))
    lines.insert(10, b"{broken")
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    sequential = list(batch.assess_jsonl(path, kb, TODAY, workers=1))
    monkeypatch.setattr(batch, "PARALLEL_FROM", 1)
    monkeypatch.setattr(batch, "CHUNK", 7)
    parallel = list(batch.assess_jsonl(path, kb, TODAY, workers=2))
    assert parallel == sequential
    assert len(parallel) == 61 and sum(not ok for _, ok in parallel) == 10
    assert orjson.loads(parallel[10][0])["line"] == 11
