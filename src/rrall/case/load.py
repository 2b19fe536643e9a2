"""Read cases from JSON, YAML or JSON Lines, and turn every problem into a FieldError."""

from __future__ import annotations

import reprlib
import sys
import types
import typing
from collections.abc import Iterator, Mapping
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import BaseModel, ValidationError

from rrall.case.checks import check_case
from rrall.case.model import CASE_ID_MAX, Case
from rrall.case.untrusted import ALLOWED_SHAPE, load_yaml, shape_problem, yaml_problem
from rrall.errors import CaseInputError, FieldError
from rrall.knowledge.load import KnowledgeBase, default_knowledge

CASE_SUFFIXES = (".json", ".yaml", ".yml")
# Values quoted in messages are cut short: a value may be huge, and printing it in full
# made a 16 MB id take minutes to report.
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxdict, _SHORT.maxlist, _SHORT.maxstring, _SHORT.maxlong = 2, 4, 4, 50, 40


def parse_case(raw: Any, kb: KnowledgeBase | None = None, today: date | None = None,
               source: str | None = None, line: int | None = None) -> Case:
    """Validate one parsed case; raise CaseInputError with every problem found."""
    kb = kb or default_knowledge()
    today = today or date.today()
    if not isinstance(raw, Mapping):
        raise CaseInputError([FieldError("", f"a case is a JSON/YAML object, not {_kind(raw)}",
                                         "an object with id, sex, date_of_birth, diagnosis, ...")],
                             source, line)
    problem = shape_problem(raw)
    if problem:
        raise CaseInputError([FieldError("", problem, ALLOWED_SHAPE)], source, line)
    case_id = shown_id(raw.get("id"))
    errors: list[FieldError] = []
    case: Case | None = None
    try:
        case = Case.model_validate(raw)
    except ValidationError as exc:
        errors += field_errors(exc)
    errors += check_case(raw, today, kb.classification.site)
    if errors or case is None:
        raise CaseInputError(errors, source, line, case_id)
    if case.assessment_date is None:
        case = case.model_copy(update={"assessment_date": today})
    return case


def load_case(source: str | Path | Mapping[str, Any], kb: KnowledgeBase | None = None,
              today: date | None = None) -> Case:
    """One case from a file path (JSON or YAML) or an already-parsed mapping."""
    if isinstance(source, Mapping):
        return parse_case(source, kb, today)
    path = Path(source)
    cases = list(iter_cases(path, kb, today))
    if len(cases) != 1:
        raise CaseInputError([FieldError("", f"{len(cases)} cases in the file, expected one",
                                         "one case per file; use iter_cases for .jsonl")], str(path))
    if isinstance(cases[0], CaseInputError):
        raise cases[0]
    return cases[0]


STDIN = "-"  # the path that names standard input
STDIN_NAME = "standard input"


def no_cases(source: str) -> CaseInputError:
    """A JSON Lines input without a single case: said, never passed over as a batch of none."""
    return CaseInputError([FieldError("", "no case: every line is empty", "one case per line")], source)

INPUT_FORMATS = ("json", "yaml", "jsonl")  # for an input whose name does not give its format


def iter_cases(path: Path, kb: KnowledgeBase | None = None, today: date | None = None,
               input_format: str | None = None, how_to_say: str = "") -> Iterator[Case | CaseInputError]:
    """Each case in a file (or standard input, `-`), or the error that stopped it; a bad
    case never stops the rest. `input_format` (json, yaml or jsonl) reads an input whose
    name does not give its format: standard input, a pipe, a name without a known suffix;
    `how_to_say` is how the caller's user gives it, added to the message when it is missing."""
    kb = kb or default_knowledge()
    today = today or date.today()
    stdin = str(path) == STDIN
    source = STDIN_NAME if stdin else str(path)
    suffix = "" if stdin else path.suffix
    if suffix not in (*CASE_SUFFIXES, ".jsonl"):
        if input_format not in INPUT_FORMATS:
            said = (f"unknown file type {path.suffix!r}" if path.suffix else
                    "its format is not given" if stdin else "the name does not say its format")
            allowed = "json, yaml or jsonl" if stdin else "a name ending .json, .yaml, .yml or .jsonl"
            yield CaseInputError([FieldError("", said, allowed + how_to_say)], source)
            return
        suffix = f".{input_format}"
    if stdin and sys.stdin is None:
        yield CaseInputError([FieldError("", "standard input is closed", "cases piped or redirected in")],
                             source)
        return
    try:
        data = sys.stdin.buffer.read() if stdin else path.read_bytes()
    except OSError as exc:
        yield CaseInputError([FieldError("", f"cannot read file: {exc.strerror or exc}", None)], source)
        return
    if suffix == ".jsonl":  # one case per line: a bad line, even a bad byte, spoils only itself
        lines = [(n, line) for n, line in enumerate(data.splitlines(), start=1) if line.strip()]
        if not lines:
            yield no_cases(source)
        for number, line in lines:
            yield _one(partial(parse_json, line), kb, today, source, number)
    else:
        parse = parse_json if suffix == ".json" else load_yaml
        yield _one(lambda: parse(_utf8(data)), kb, today, source, None)


def _one(parse: typing.Callable[[], Any], kb: KnowledgeBase, today: date, source: str,
         line: int | None) -> Case | CaseInputError:
    raw = read_or_error(parse, source, line)
    if isinstance(raw, CaseInputError):
        return raw
    try:
        return parse_case(raw, kb, today, source, line)
    except CaseInputError as exc:
        return exc


def read_or_error(parse: typing.Callable[[], Any], source: str, line: int | None) -> Any:
    """The parsed document, or the CaseInputError that says why the text is not one."""
    try:
        return parse()
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at byte {exc.start + 1})"
        return CaseInputError([FieldError("", problem, "UTF-8 text")], source, line)
    except orjson.JSONDecodeError as exc:
        return CaseInputError([FieldError("", f"not valid JSON: {exc}", None)], source, line)
    except yaml.YAMLError as exc:
        return CaseInputError([FieldError("", f"not valid YAML: {yaml_problem(exc)}", None)], source, line)


def _utf8(data: bytes) -> str:
    return data.decode("utf-8")


def parse_json(data: bytes | str) -> Any:
    """orjson: it stops at 1024 levels, where the standard library recurses until
    RecursionError. Bytes that are not UTF-8 raise UnicodeDecodeError, for a clear message."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        if isinstance(data, bytes):
            data.decode("utf-8")  # the reason, when it is the encoding
        raise


def shown_id(value: Any) -> str | None:
    """A case id as errors may quote it: a valid id as it is, longer text cut short
    (messages quote it with repr, JSON records escaped), anything else (a number, bytes) not."""
    if not isinstance(value, str):
        return None
    if len(value) <= CASE_ID_MAX:
        return value
    return f"{value[:40]}... ({len(value)} characters)"


def _kind(value: Any) -> str:
    return {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false",
            type(None): "empty"}.get(type(value), type(value).__name__)


def field_errors(exc: ValidationError) -> list[FieldError]:
    """pydantic's errors as FieldErrors: readable path, plain message, what is allowed."""
    merged: dict[str, FieldError] = {}
    for err in exc.errors(include_url=False):
        path, model = _path(err["loc"], err["type"] == "extra_forbidden")
        message, allowed = _describe(err, model)
        if path in merged:  # the branches of a union (a date or "not_completed") fail together
            old = merged[path]
            allowed = " or ".join(a for a in (old.allowed, allowed) if a)
            merged[path] = FieldError(path, old.message, allowed)
        else:
            merged[path] = FieldError(path, message, allowed)
    return list(merged.values())


def _path(loc: tuple[int | str, ...], extra: bool) -> tuple[str, type[BaseModel] | None]:
    """`relapses[0].date` from ('relapses', 0, 'date'), and the model holding the last field.

    Strings that are not field names tag a union branch and are not part of the user's
    path, except the last one of an unknown-field error, which is the unknown field.
    """
    text = ""
    model: type[BaseModel] | None = Case
    container = model
    for i, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        elif (model is not None and part in model.model_fields) or (extra and i == len(loc) - 1):
            name = shown_id(part) or ""  # an unknown field's name may be huge
            text += f".{name}" if text else name
            container = model
            if model is not None and part in model.model_fields:
                model = _submodel(model.model_fields[part].annotation)
    return text, container


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _submodel(arg)
            if found is not None:
                return found
    return None


def _describe(err: Any, model: type[BaseModel] | None) -> tuple[str, str | None]:
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        return "is required", None
    if kind == "extra_forbidden":
        fields = ", ".join(model.model_fields) if model else None
        return "is not a field of the case format", fields
    if kind == "literal_error":
        return f"{_shown(value)} is not an allowed value", err["ctx"]["expected"]
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, "), None
    if kind in _WRITE_INSTEAD:
        return f"{_shown(value)} is not {_WRITE_INSTEAD[kind]}", None
    return f"{_shown(value)}: {err['msg']}", None


# What to write instead, for the type errors a person makes in a form or a file.
_WRITE_INSTEAD = {
    "float_parsing": "a number; write digits with a decimal point if needed, without units (e.g. 65 or 0.5)",
    "float_type": "a number; write digits with a decimal point if needed, without units (e.g. 65 or 0.5)",
    "int_parsing": "a whole number; write digits only (e.g. 54000)",
    "int_type": "a whole number; write digits only (e.g. 54000)",
    "int_from_float": "a whole number; write it without decimals (e.g. 54000)",
    "bool_parsing": "yes or no; write true or false",
    "bool_type": "yes or no; write true or false",
}


def _shown(value: Any) -> str:
    text = _SHORT.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
