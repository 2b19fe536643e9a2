"""Read cases from JSON, YAML or JSON Lines, and turn every problem into a FieldError."""

from __future__ import annotations

import json
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
from rrall.case.model import Case
from rrall.errors import CaseInputError, FieldError
from rrall.knowledge.load import KnowledgeBase, default_knowledge

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CASE_SUFFIXES = (".json", ".yaml", ".yml")


def parse_case(raw: Any, kb: KnowledgeBase | None = None, today: date | None = None,
               source: str | None = None, line: int | None = None) -> Case:
    """Validate one parsed case; raise CaseInputError with every problem found."""
    kb = kb or default_knowledge()
    today = today or date.today()
    case_id = raw.get("id") if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) else None
    if not isinstance(raw, Mapping):
        raise CaseInputError([FieldError("", f"a case is a JSON/YAML object, not {type(raw).__name__}",
                                         "an object with id, sex, date_of_birth, diagnosis, ...")],
                             source, line, case_id)
    errors: list[FieldError] = []
    case: Case | None = None
    try:
        case = Case.model_validate(raw)
    except ValidationError as exc:
        errors += field_errors(exc)
    errors += check_case(raw, today, kb.classification.site.combined_marrow_blasts_percent)
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


def iter_cases(path: Path, kb: KnowledgeBase | None = None,
               today: date | None = None) -> Iterator[Case | CaseInputError]:
    """Each case in a file, or the error that stopped it; a bad case never stops the rest."""
    kb = kb or default_knowledge()
    today = today or date.today()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield CaseInputError([FieldError("", f"cannot read file: {exc}", None)], str(path))
        return
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield _one(partial(orjson.loads, line), kb, today, str(path), number)
    elif path.suffix in CASE_SUFFIXES:
        parse = _parse_json if path.suffix == ".json" else _parse_yaml
        yield _one(lambda: parse(text), kb, today, str(path), None)
    else:
        yield CaseInputError([FieldError("", f"unknown file type {path.suffix!r}",
                                         ".json, .yaml, .yml or .jsonl")], str(path))


def _one(parse: typing.Callable[[], Any], kb: KnowledgeBase, today: date, source: str,
         line: int | None) -> Case | CaseInputError:
    try:
        raw = parse()
    except (json.JSONDecodeError, orjson.JSONDecodeError) as exc:
        return CaseInputError([FieldError("", f"not valid JSON: {exc}", None)], source, line)
    except yaml.YAMLError as exc:
        return CaseInputError([FieldError("", f"not valid YAML: {exc}", None)], source, line)
    try:
        return parse_case(raw, kb, today, source, line)
    except CaseInputError as exc:
        return exc


def _parse_json(text: str) -> Any:
    return json.loads(text)


def _parse_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


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
            text += f".{part}" if text else part
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
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
