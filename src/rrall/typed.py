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


def build(cls: type[M], **fields: Any) -> M:
    missing = cls.model_fields.keys() - fields.keys()
    if missing:
        raise TypeError(f"{cls.__name__}: every field must be given; missing {sorted(missing)}")
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", fields)
    object.__setattr__(obj, "__pydantic_fields_set__", set(fields))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj
