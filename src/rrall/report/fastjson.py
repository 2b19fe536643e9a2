"""The assessment as JSON bytes, fast: the same document as `Assessment.model_dump_json()`.

Option, prognosis and reference objects are shared between cases (options/memo.py), so
their JSON is made once and embedded as a fragment; only the per-case parts are
serialised per case. tests/report/test_fastjson.py proves the output equal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter

from rrall.assessment import Assessment, MissingData
from rrall.classify.model import Warning
from rrall.risk.model import FrameworkResult

_CACHE: dict[int, tuple[object, orjson.Fragment]] = {}
_CACHE_MAX = 20_000
_RISK = TypeAdapter(dict[str, FrameworkResult])
_MISSING = TypeAdapter(list[MissingData])
_WARNINGS = TypeAdapter(list[Warning])


def _shared(thing: object, dump: Callable[[], bytes | str]) -> orjson.Fragment:
    """JSON of an object that many assessments share; the cache keeps the object alive, so
    its id cannot be reused while the entry exists."""
    hit = _CACHE.get(id(thing))
    if hit is None or hit[0] is not thing:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        hit = _CACHE[id(thing)] = (thing, orjson.Fragment(dump()))
    return hit[1]


_LISTS: dict[int, tuple[object, orjson.Fragment]] = {}
_LISTS_MAX = 2_000  # whole lists are large (tens of KB): keep few


def _list(items: list[Any]) -> orjson.Fragment:
    """A shared list (cases with the same criterion results share their options, prognosis
    and trial lists) as one fragment."""
    hit = _LISTS.get(id(items))
    if hit is None or hit[0] is not items:
        if len(_LISTS) >= _LISTS_MAX:
            _LISTS.clear()
        hit = _LISTS[id(items)] = (items, orjson.Fragment(orjson.dumps([_model(i) for i in items])))
    return hit[1]


def _model(model: BaseModel) -> orjson.Fragment:
    return _shared(model, model.model_dump_json)


def _own(model: BaseModel) -> orjson.Fragment:
    return orjson.Fragment(model.model_dump_json())


def assessment_json(a: Assessment) -> bytes:
    refs = a.references
    data: dict[str, Any] = {
        "case_id": a.case_id,
        "engine_version": a.engine_version,
        "knowledge_version": a.knowledge_version,
        "assessment_date": a.assessment_date.isoformat(),
        "input_sha256": a.input_sha256,
        "notice": a.notice,
        "classification": _own(a.classification),
        "risk": orjson.Fragment(_RISK.dump_json(a.risk)),
        "options": _list(a.options),
        "cumulative_anthracycline": _own(a.cumulative_anthracycline),
        "prognosis": _list(a.prognosis),
        "trials": _list(a.trials),
        "missing_data": orjson.Fragment(_MISSING.dump_json(a.missing_data)),
        "warnings": orjson.Fragment(_WARNINGS.dump_json(a.warnings)),
        "references": _shared(a.references, lambda: orjson.dumps({k: _model(r) for k, r in refs.items()})),
    }
    return orjson.dumps(data)
