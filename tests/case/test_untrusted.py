"""Hostile case files on the command line: YAML alias bombs, deep nesting, bytes that are
not UTF-8, huge ids, binary and control-character ids. Each is one bad case with a clear
message and exit 2; the files and lines after it are still assessed; nothing is echoed
in full."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from rrall.case.untrusted import MAX_DEPTH, read_document, shape_problem
from rrall.cli import app
from tests.conftest import BASE_CASE, make_case

runner = CliRunner()
# The 400-byte "billion laughs": nine levels of nine aliases, 9^9 strings when expanded.
ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True))
GOOD = orjson.dumps(BASE_CASE).decode()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def assess(*paths: Path, fmt: str = "json") -> tuple[int, str, str]:
    result = runner.invoke(app, ["assess", "-f", fmt, *map(str, paths)])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def records(stdout: str, fmt: str) -> list[dict[str, object]]:
    if fmt == "jsonl":
        return [json.loads(line) for line in stdout.splitlines()]
    loaded = json.loads(stdout)
    return loaded if isinstance(loaded, list) else [loaded]


def test_the_alias_bomb_is_refused_at_once_and_the_next_file_assessed(tmp_path: Path) -> None:
    assert len(ALIAS_BOMB) < 400 and ALIAS_BOMB.count("*") == 72
    bomb, good = tmp_path / "a-bomb.yaml", tmp_path / "b-good.json"
    bomb.write_text(ALIAS_BOMB)
    good.write_text(GOOD)
    code, stdout, stderr = assess(bomb, good)
    assert code == 2
    first, second = records(stdout, "json")
    assert first["errors"] == [{"path": "", "message": "not valid YAML: aliases (*name) are not allowed "
                                                      "in a case file (line 2, column 8)"}]
    assert second["case_id"] == "base" and "risk" in second
    assert "lol" not in stderr and "lol" not in stdout  # no value is quoted


@pytest.mark.parametrize("text", [
    "id: &x one\nsex: *x\n",  # an alias of a plain value
    f"id: x\nextra: {nested(500)}\n",  # RecursionError in PyYAML's composer before
    f"id: x\nextra: {nested(5000)}\n",  # libyaml's own limit
    "- " * 100 + "x\n",  # block style
])
def test_yaml_aliases_and_deep_nesting_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    code, stdout, _ = assess(path)
    assert code == 2
    (error,) = records(stdout, "json")[0]["errors"]  # type: ignore[misc]
    assert error["message"].startswith("not valid YAML: ")
    assert any(word in error["message"] for word in ("aliases", "nested more than", "nesting depth"))


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_deep_json_is_one_bad_case(tmp_path: Path, suffix: str) -> None:
    """2 kB of nested arrays gave `internal error: RecursionError`, exit 1, and the next
    file was never assessed."""
    deep = tmp_path / f"a-deep{suffix}"
    deep.write_text(nested(1000))
    deeper = tmp_path / f"b-deeper{suffix}"
    deeper.write_text(nested(5000))
    inside = tmp_path / f"c-inside{suffix}"
    inside.write_text(GOOD.replace('"id":"base"', f'"id":"inside","extra":{nested(600)}'))
    good = tmp_path / "d-good.json"
    good.write_text(GOOD)
    code, stdout, _ = assess(deep, deeper, inside, good)
    assert code == 2
    first, second, third, fourth = records(stdout, "json")
    assert first["errors"][0]["message"] == "a case is a JSON/YAML object, not a list"  # type: ignore[index]
    assert "not valid JSON: depth limit exceeded" in second["errors"][0]["message"]  # type: ignore[index]
    assert third["errors"] == [{"path": "", "message": f"nested more than {MAX_DEPTH} levels deep",
                                 "allowed": f"a case object nested at most {MAX_DEPTH} levels deep, each "
                                            "list and object written out once"}]
    assert fourth["case_id"] == "base"


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl"])
def test_a_byte_that_is_not_utf8_spoils_only_its_line(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "cases.jsonl"
    second = GOOD.replace('"base"', '"second"')
    path.write_bytes(GOOD.encode() + b'\n{"id": "caf\xe9"}\n' + second.encode() + b"\n")
    code, stdout, stderr = assess(path, fmt=fmt)
    assert code == 2
    if fmt == "text":
        assert stdout.count("assessed 2022-01-10") == 2
        said = " ".join(stderr.split())  # as the terminal wrapped it
        assert "line 2: not valid" in said and "not UTF-8 text (byte 0xe9 at byte 12)" in said
        return
    found = records(stdout, fmt)
    assert [r["case_id"] for r in found] == ["base", None, "second"]
    assert found[1]["errors"] == [{"path": "", "message": "not UTF-8 text (byte 0xe9 at byte 12)",
                                   "allowed": "UTF-8 text"}]


@pytest.mark.parametrize(("fmt", "size"), [("text", 16_000_000), ("json", 1_000_000), ("jsonl", 1_000_000)])
def test_a_huge_id_is_not_echoed_in_full(tmp_path: Path, fmt: str, size: int) -> None:
    """A 16 MB id took 122 s to report (the whole id went through the terminal's text
    wrapping) and a 200 MB one did not finish: the id is now quoted by its first 40
    characters and its length."""
    path = tmp_path / "long.jsonl"
    path.write_text(orjson.dumps(make_case(id="x" * size)).decode() + "\n" + GOOD + "\n")
    code, stdout, stderr = assess(path, fmt=fmt)
    assert code == 2
    assert len(stderr) < 1_000 and "x" * 41 not in stdout + stderr  # the id is never quoted in full
    assert len(stdout) < 400_000  # the good case's assessment (about 200 KB of JSON), nothing more
    assert f"{'x' * 40}... ({size} characters)" in stdout + stderr
    assert "at most 200 characters" in stdout + stderr


@pytest.mark.parametrize(("text", "says"), [
    (GOOD.replace('"base"', '"MRN\\u0000123"'), "contains the control character U+0000"),
    (GOOD.replace('"base"', '"MRN\\u001b[31m"'), "contains the control character U+001B"),
    (GOOD.replace('"base"', '"MRN\\u202e321"'), "contains the control character U+202E"),
    (GOOD.replace('"base"', '"MRN\\u2028"'), "contains the control character U+2028"),
])
def test_ids_with_control_characters_are_refused(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "case.json"
    path.write_text(text)
    code, stdout, _ = assess(path)
    assert code == 2
    (error,) = records(stdout, "json")[0]["errors"]  # type: ignore[misc]
    assert error == {"path": "id", "message": f"{says}; an id is printable text"}


def test_binary_ids_are_refused(tmp_path: Path) -> None:
    """pydantic reads bytes as text: YAML's !!binary made an id of any bytes."""
    path = tmp_path / "case.yaml"
    path.write_text(json.dumps(BASE_CASE).replace('"base"', "!!binary TVJOMTIz"))
    code, stdout, _ = assess(path)
    assert code == 2
    (error,) = records(stdout, "json")[0]["errors"]  # type: ignore[misc]
    assert "binary values (!!binary) are not allowed" in error["message"]
    from rrall.case.load import parse_case

    with pytest.raises(Exception, match="must be text"):
        parse_case(make_case(id=b"MRN123"))


def test_read_document_quotes_no_value_and_walks_without_recursion() -> None:
    with pytest.raises(ValueError, match=r"^aliases \(\*name\) are not allowed in a case file \(line 2"):
        read_document(ALIAS_BOMB)
    shared: list[object] = ["x"]
    assert shape_problem({"a": shared, "b": shared}) == ("the same list or object appears more than "
                                                         "once (a YAML alias?)")
    deep: list[object] = []
    for _ in range(100_000):  # far past the interpreter's recursion limit
        deep = [deep]
    assert shape_problem(deep) == f"nested more than {MAX_DEPTH} levels deep"
    assert shape_problem(make_case()) is None
