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


def test_written_output_equals_the_records(tmp_path: Path, kb: KnowledgeBase,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    lines = [orjson.dumps(make_case(id=f"c{i}")) for i in range(20)] + [b"{broken"]
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    records = list(batch.assess_jsonl(path, kb, TODAY, workers=1))
    monkeypatch.setattr(batch, "PARALLEL_FROM", 1)
    monkeypatch.setattr(batch, "CHUNK", 6)
    out = io.BytesIO()
    bad = batch.write_jsonl(path, kb, out, TODAY, workers=2)
    assert out.getvalue() == b"".join(r + b"\n" for r, _ in records)
    assert bad == 1


def test_workers_write_in_turn_to_a_real_file(tmp_path: Path, kb: KnowledgeBase,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [orjson.dumps(make_case(id=f"c{i}")) for i in range(30)] + [b"{broken"]
    path = tmp_path / "cases.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    expected = b"".join(r + b"\n" for r, _ in batch.assess_jsonl(path, kb, TODAY, workers=1))
    monkeypatch.setattr(batch, "PARALLEL_FROM", 1)
    monkeypatch.setattr(batch, "CHUNK", 4)
    target = tmp_path / "out.jsonl"
    with target.open("wb") as out:
        out.write(b"")  # the parent may have written before; its buffer is flushed first
        bad = batch.write_jsonl(path, kb, out, TODAY, workers=2)
    assert target.read_bytes() == expected
    assert bad == 1
