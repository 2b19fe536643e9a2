"""The case form, built from the Case model so that it always covers the whole format.

Field names are the error paths the validator reports (`relapses[0].date`), so each
error is shown beside its field. The form is rendered from the submitted values, so
nothing typed is lost when the case is refused.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from rrall.case.model import Case

Values = dict[str, list[str]]
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE]-?\d+)?$")
_THOUSANDS = re.compile(r"^-?\d{1,3}([,\u202f\u00a0 ]\d{3})+(\.\d+)?$")  # 54,000 or 54 000
TOKENS_NONE = "none"  # typed in a list-of-codes field: tested, none found


@dataclass
class Widget:
    kind: str  # text|date|date_or_text|number|enum|bool|multi|tokens|group|repeat
    name: str
    label: str
    help: str = ""
    required: bool = False
    nullable: bool = True
    options: tuple[str, ...] = ()
    children: list[Widget] = field(default_factory=list)
    model: type[BaseModel] | None = None
    default: str = ""  # what an empty field means, when the format gives a default


WORDS = {"id": "Case id", "cd19": "CD19", "cd22": "CD22", "cd7": "CD7", "bcr": "BCR::ABL1", "abl1": "ABL1",
         "cns": "CNS", "mrd": "MRD", "hsct": "HSCT", "wbc": "WBC", "hla": "HLA", "uL": "µL", "gy": "(Gy)",
         "percent": "(%)", "m2": "m²"}


def _label(name: str) -> str:
    words = name.replace("bcr_abl1", "bcr").split("_")
    text = " ".join(WORDS.get(w, w) for w in words).replace("mg per m²", "(mg/m²)")
    return text[:1].upper() + text[1:]


def _unwrap(annotation: Any) -> tuple[list[Any], bool]:
    """The alternatives of a type (Annotated stripped) and whether None is one of them."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = list(typing.get_args(annotation))
        nullable = type(None) in args
        flat: list[Any] = []
        for arg in args:
            if arg is not type(None):
                flat += _unwrap(arg)[0]
        return flat, nullable
    return [annotation], False


def _literals(arg: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in typing.get_args(arg)) if typing.get_origin(arg) is Literal else ()


def widgets(model: type[BaseModel] = Case, prefix: str = "") -> list[Widget]:
    out = []
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        alts, nullable = _unwrap(info.annotation)
        default = info.default if isinstance(info.default, str) else ""
        base = Widget("text", path, _label(name), info.description or "", info.is_required(),
                      nullable or not info.is_required(), default=default)
        out.append(_kind(base, alts))
    return out


def _kind(w: Widget, alts: list[Any]) -> Widget:
    lits = tuple(v for a in alts for v in _literals(a))
    first = alts[0]
    if date in alts and lits:
        w.kind, w.options = "date_or_text", lits
    elif lits:
        w.kind, w.options = "enum", lits
    elif first is date:
        w.kind = "date"
    elif first is bool:
        w.kind = "bool"
    elif first in (int, float, Decimal):
        w.kind = "number"
    elif typing.get_origin(first) is list:
        items, _ = _unwrap(typing.get_args(first)[0])
        item_lits = _literals(items[0])
        if item_lits:
            w.kind, w.options = "multi", item_lits
        elif isinstance(items[0], type) and issubclass(items[0], BaseModel):
            w.kind, w.model = "repeat", items[0]
        else:
            w.kind = "tokens"
    elif isinstance(first, type) and issubclass(first, BaseModel):
        w.kind, w.model, w.children = "group", first, widgets(first, w.name)
    return w


def rows(w: Widget, values: Values, more: str = "") -> list[list[Widget]]:
    """The entries of a repeated group: one per entry filled in, plus a blank one to add
    (two when the user asked for another with `more`)."""
    assert w.model is not None
    # At most 100 entries: a posted relapses[999999999].date made a billion rows.
    pattern = re.compile(re.escape(w.name) + r"\[([0-9]{1,2})\]\.")
    indices = {int(m.group(1)) for key, got in values.items()
               if (m := pattern.match(key)) and any(v.strip() for v in got)}
    count = max(indices, default=-1) + (3 if more == w.name else 2)
    return [widgets(w.model, f"{w.name}[{i}]") for i in range(count)]


# -- form values <-> case document -------------------------------------------------------
def to_document(values: Values) -> dict[str, Any]:
    """The case document the form describes; blank fields are left out (unknown)."""
    return _group(widgets(), values)


def _group(children: list[Widget], values: Values) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for w in children:
        value = _value(w, values)
        if value is not None:
            out[w.name.rsplit(".", 1)[-1]] = value
    return out


def _value(w: Widget, values: Values) -> Any:
    raw = [v.strip() for v in values.get(w.name, [])]
    text = raw[0] if raw else ""
    if w.kind == "group":
        inner = _group(w.children, values)
        return inner or None
    if w.kind == "repeat":
        entries = [_group(r, values) for r in rows(w, values)]
        entries = [e for e in entries if e]
        return entries or None
    if w.kind == "multi":
        chosen = [v for v in raw if v]
        reported = bool(values.get(w.name + "._reported")) or not w.nullable
        return chosen if chosen or (reported and w.nullable) else None
    if w.kind == "tokens":
        joined = ",".join(raw)  # one typed field, or several values from a stored list
        if not joined.strip(", "):
            return [] if values.get(w.name + "._reported") else None
        if joined.lower() == TOKENS_NONE:
            return []
        return [t for t in re.split(r"[\s,;]+", joined) if t]
    if not text:
        return None
    if w.kind == "bool":
        return {"yes": True, "no": False}.get(text, text)
    if w.kind == "number" and _THOUSANDS.match(text):
        text = re.sub(r"[,\u202f\u00a0 ]", "", text)
    if w.kind == "date_or_text":
        spoken = {o.replace("_", " "): o for o in w.options}  # "not completed" as typed
        text = spoken.get(text.lower(), text)
    if w.kind == "number" and _NUMBER.match(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    return text  # dates stay text: the validator reads YYYY-MM-DD and names a bad one


def to_values(document: Any, prefix: str = "") -> Values:
    """Flatten a case document into form values (for editing a stored case)."""
    out: Values = {}
    if isinstance(document, dict):
        for key, value in document.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                for i, item in enumerate(value):
                    out.update(to_values(item, f"{path}[{i}]"))
            elif isinstance(value, dict):
                out.update(to_values(value, path))
            elif isinstance(value, list):
                out[path] = [str(v) for v in value]
                out[path + "._reported"] = ["1"]
            elif isinstance(value, bool):
                out[path] = ["yes" if value else "no"]
            elif value is not None:
                out[path] = [str(value)]
    return out


def token_text(values: Values, name: str) -> str:
    """A list-of-codes field as typed: 'none' for an empty list that was reported."""
    found = values.get(name, [])
    if not found and values.get(name + "._reported"):
        return TOKENS_NONE
    return ", ".join(found) if len(found) > 1 else (found[0] if found else "")
