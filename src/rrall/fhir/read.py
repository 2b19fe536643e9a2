"""Reading FHIR resources: a Bundle (searchset, collection, transaction), NDJSON from a Bulk
Data export, or a folder of NDJSON files; each resource validated with fhir.resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from rrall.errors import FieldError

BUNDLE_TYPES = ("searchset", "collection", "transaction", "batch", "document")


@dataclass
class Resources:
    """Validated resources (as plain JSON) by type, and how each can be referenced."""

    by_type: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_ref: dict[str, dict[str, Any]] = field(default_factory=dict)
    timestamp: str | None = None
    errors: list[FieldError] = field(default_factory=list)

    def add(self, resource: dict[str, Any], full_url: str | None, where: str) -> None:
        kind = resource.get("resourceType")
        if not isinstance(kind, str):
            self.errors.append(FieldError(where, "not a FHIR resource: resourceType is missing"))
            return
        problem = _validate(kind, resource)
        if problem:
            self.errors.append(FieldError(f"{where} ({label(resource)})", problem))
            return
        self.by_type.setdefault(kind, []).append(resource)
        if resource.get("id"):
            self.by_ref[f"{kind}/{resource['id']}"] = resource
        if full_url:
            self.by_ref[full_url] = resource
            if "/" in full_url and not full_url.startswith("urn:"):  # http://x/fhir/Condition/1
                self.by_ref["/".join(full_url.rsplit("/", 2)[-2:])] = resource

    def resolve(self, reference: dict[str, Any] | None) -> dict[str, Any] | None:
        if not reference or not isinstance(reference.get("reference"), str):
            return None
        return self.by_ref.get(reference["reference"])


def label(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType', '?')}/{resource.get('id', '(no id)')}"


def _validate(kind: str, resource: dict[str, Any]) -> str | None:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        model = get_fhir_model_class(kind)
    except KeyError:
        return f"{kind} is not a FHIR R4 resource type"
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"not valid FHIR R4 at {where}: {first['msg']} ({len(exc.errors())} problem(s))"
    return None


def read_resources(source: Path | dict[str, Any] | list[dict[str, Any]]) -> Resources:
    found = Resources()
    if isinstance(source, Path):
        files = sorted(source.glob("*.ndjson")) if source.is_dir() else [source]
        for file in files:
            _read_file(file, found)
    elif isinstance(source, list):
        for i, resource in enumerate(source):
            found.add(resource, None, f"[{i}]")
    else:
        _read_json(source, found, "bundle")
    return found


def _read_file(path: Path, found: Resources) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        found.errors.append(FieldError(str(path), f"cannot read: {exc}"))
        return
    if path.suffix == ".ndjson":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    found.add(orjson.loads(line), None, f"{path.name} line {number}")
                except orjson.JSONDecodeError as exc:
                    found.errors.append(FieldError(f"{path.name} line {number}", f"not JSON: {exc}"))
        return
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        found.errors.append(FieldError(str(path), f"not JSON: {exc}"))
        return
    _read_json(data, found, path.name)


def _read_json(data: Any, found: Resources, where: str) -> None:
    if not isinstance(data, dict):
        found.errors.append(FieldError(where, "expected a FHIR Bundle or resource (a JSON object)"))
        return
    if data.get("resourceType") != "Bundle":
        found.add(data, None, where)
        return
    if data.get("type") not in BUNDLE_TYPES:
        found.errors.append(FieldError(f"{where}.type", f"Bundle type {data.get('type')!r} is not read",
                                       ", ".join(BUNDLE_TYPES)))
        return
    found.timestamp = data.get("timestamp")
    for i, entry in enumerate(data.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            if resource.get("resourceType") == "Bundle":  # a searchset inside a batch answer
                _read_json(resource, found, f"{where}.entry[{i}]")
            else:
                found.add(resource, entry.get("fullUrl"), f"{where}.entry[{i}]")
