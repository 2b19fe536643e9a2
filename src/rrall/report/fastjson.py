"""The assessment as JSON bytes (the same document as `Assessment.model_dump_json()`)."""

from __future__ import annotations

from rrall.results import Assessment


def assessment_json(a: Assessment) -> bytes:
    return a.__pydantic_serializer__.to_json(a)
