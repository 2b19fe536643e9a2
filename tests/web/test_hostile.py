"""Hostile input to the workbench: alias bombs and deep nesting through the web import,
the API and `rrall serve --load-cases`; numbers past what the database stores; long
search strings. Each is a 4xx in the documented shape (or a clear line on the terminal),
never a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.case.test_untrusted import ALIAS_BOMB, nested
from tests.web.conftest import Workbench, example
from tests.web.test_api import error


def _import(bench: Workbench, content: bytes) -> Any:
    bench.login()
    return bench.client.post("/cases/import", data={"csrf_token": bench.csrf()},
                             files={"file": ("case.yaml", content, "text/plain")})


@pytest.mark.parametrize(("content", "says"), [
    (b"[" * 500, "nested more than 32 levels deep"),  # was a RecursionError: 500
    (ALIAS_BOMB.encode(), "aliases (*name) are not allowed in a case file"),
    (b"id: caf\xe9\n", "it is not UTF-8 text"),
    (f"id: x\nextra: {nested(40)}\n".encode(), "nested more than 32 levels deep"),
])
def test_the_web_import_refuses_hostile_files(bench: Workbench, content: bytes, says: str) -> None:
    answer = _import(bench, content)
    assert answer.status_code == 422
    assert f"not a JSON or YAML case file: {says}" in answer.text.replace("&#39;", "'")
    assert bench.client.get("/api/v1/cases", headers=bench.auth()).json()["total"] == 0


@pytest.mark.parametrize("depth", [100, 1000])
def test_the_api_refuses_deep_nesting(bench: Workbench, depth: int) -> None:
    body = orjson.dumps(example("b-marrow-early") | {"extra": "X"}).replace(b'"X"', nested(depth).encode())
    for path in ("/api/v1/assess", "/api/v1/cases"):
        answer = bench.client.post(path, content=body, headers=bench.auth() | {
            "content-type": "application/json"})
        found = error(answer, 422, "invalid_case")
        assert found["errors"] == [{"path": "", "message": "nested more than 32 levels deep",
                                    "allowed": "a case object nested at most 32 levels deep, each list "
                                               "and object written out once"}]
    deeper = nested(5000).encode()
    error(bench.client.post("/api/v1/assess", content=deeper, headers=bench.auth()), 400, "invalid_json")


def test_load_cases_reports_hostile_files_and_stores_the_rest(bench: Workbench, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from rrall.web.cli import _load

    (tmp_path / "a-bomb.yaml").write_text(ALIAS_BOMB)
    (tmp_path / "b-deep.yaml").write_text("[" * 500)
    (tmp_path / "c-binary.yaml").write_text("id: !!binary TVJOMTIz\n")
    (tmp_path / "d-good.json").write_bytes(orjson.dumps(example("b-marrow-early")))
    _load(bench.app.state.workbench, [tmp_path])
    said = capsys.readouterr().err
    assert "a-bomb.yaml: not loaded: not a JSON or YAML case file: aliases (*name) are not allowed" in said
    assert "b-deep.yaml: not loaded: not a JSON or YAML case file: nested more than 32 levels deep" in said
    assert "c-binary.yaml: not loaded: not a JSON or YAML case file: binary values (!!binary)" in said
    assert "Loaded 1 case(s) from 4 file(s); 3 skipped." in said
    assert bench.client.get("/api/v1/cases", headers=bench.auth()).json()["total"] == 1
