"""Build a pydantic model from values that are already validated, fast.

`Model.model_construct` checks defaults and aliases for every call, which costs about
20 µs per object; the engine builds several per case from values it has typed itself.
`build` sets the same state directly. Every field must be given (tests compare built
objects with validated ones through their JSON).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


_FIELDS: dict[type[BaseModel], frozenset[str]] = {}
_set = object.__setattr__


def build(cls: type[M], **fields: Any) -> M:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = frozenset(cls.model_fields)
    if fields.keys() != names:
        raise TypeError(f"{cls.__name__}: every field must be given, and only fields: "
                        f"{sorted(set(cls.model_fields) ^ set(fields))}")
    obj = cls.__new__(cls)
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_fields_set__", set(fields))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj
