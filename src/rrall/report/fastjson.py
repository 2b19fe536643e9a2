"""The assessment as JSON bytes (the same document as `Assessment.model_dump_json()`).

`AssessmentJson` writes many assessments and serialises each shared sub-result once: the
engine shares a framework's, option's, figure's or trial's result between every case that
comes out the same, and these are most of the bytes (about 140 KB of 145 KB per case). The
rest of each assessment is serialised with the shared fields left empty, and the kept
fragments are put in their place. A test proves the bytes equal `model_dump_json()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from pydantic import BaseModel

from rrall.results import Assessment, FrozenMap

_LISTS = ("options", "prognosis", "trials")
_MAPS = ("risk", "references")
_EMPTIED: dict[str, Any] = {**dict.fromkeys(_LISTS, ()), **{m: FrozenMap({}) for m in _MAPS}}


def assessment_json(a: Assessment) -> bytes:
    return a.__pydantic_serializer__.to_json(a)


class AssessmentJson:
    """Writes assessments as JSON, keeping each shared sub-result's bytes (one writer per
    batch, worker or service). Bounded by `size` bytes of kept fragments (64 MB), cleared
    whole when full; an item kept here stays alive until then."""

    def __init__(self, size: int = 64 * 2**20) -> None:
        self.size = size
        self._bytes = 0
        self._kept: dict[int, tuple[BaseModel, bytes]] = {}

    def __call__(self, a: Assessment) -> bytes:
        shell = a.model_copy(update=_EMPTIED)
        raw = shell.__pydantic_serializer__.to_json(shell)
        pieces: dict[bytes, bytes] = {}
        for name in _LISTS:
            pieces[b'"%s":[]' % name.encode()] = b'"%s":[%s]' % (name.encode(), self._join(getattr(a, name)))
        for name in _MAPS:
            pieces[b'"%s":{}' % name.encode()] = b'"%s":{%s}' % (name.encode(), self._pairs(getattr(a, name)))
        if self._bytes > self.size:
            self._kept.clear()
            self._bytes = 0
        if any(raw.count(token) != 1 for token in pieces):  # never guess where a field is
            return assessment_json(a)
        places = sorted((raw.index(token), token) for token in pieces)
        out: list[bytes] = []
        start = 0
        for at, token in places:
            out += (raw[start:at], pieces[token])
            start = at + len(token)
        out.append(raw[start:])
        return b"".join(out)

    def _one(self, item: BaseModel) -> bytes:
        kept = self._kept.get(id(item))
        if kept is not None and kept[0] is item:  # the entry keeps the item, so its id is its own
            return kept[1]
        data = item.__pydantic_serializer__.to_json(item)
        self._kept[id(item)] = (item, data)
        self._bytes += len(data)
        return data

    def _join(self, items: Iterable[BaseModel]) -> bytes:
        return b",".join(self._one(item) for item in items)

    def _pairs(self, items: Mapping[str, BaseModel]) -> bytes:
        return b",".join(orjson.dumps(key) + b":" + self._one(value) for key, value in items.items())
