"""Reading FHIR resources: a Bundle (searchset, collection, transaction), NDJSON from a Bulk
Data export, or a folder of NDJSON files; each resource validated with fhir.resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from rrall.errors import FieldError

BUNDLE_TYPES = ("searchset", "collection", "transaction", "batch", "batch-response", "transaction-response",
                "document")
# The resource types the mapping reads: an invalid one of these is an error; an invalid
# resource of any other type is only a warning, since it would not be used anyway.
USED = {"Patient", "Condition", "Observation", "Procedure", "MedicationStatement", "MedicationAdministration",
        "MedicationRequest", "Medication"}


@dataclass
class Resources:
    """Validated resources (as plain JSON) by type, and how each can be referenced."""

    by_type: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_ref: dict[str, dict[str, Any]] = field(default_factory=dict)
    timestamp: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Type/id -> (server base or None, resource) of each resource with that Type/id: the same
    # Type/id on two servers (different absolute fullUrls) is two resources, never merged.
    seen: dict[str, list[tuple[str | None, dict[str, Any]]]] = field(default_factory=dict)
    base: dict[int, str] = field(default_factory=dict)  # id(resource) -> its server base
    ambiguous: set[str] = field(default_factory=set)  # Type/id held by resources of two servers

    def add(self, resource: dict[str, Any], full_url: str | None, where: str) -> None:
        kind = resource.get("resourceType")
        if not isinstance(kind, str):
            self.errors.append(FieldError(where, "not a FHIR resource: resourceType is missing"))
            return
        problem = _validate(kind, resource)
        if problem and kind in USED:
            self.errors.append(FieldError(f"{where} ({label(resource)})", problem))
            return
        if problem:
            self.warnings.append(f"{label(resource)}: {problem}; not used")
            return
        key = f"{kind}/{resource['id']}" if resource.get("id") else None
        base = server_base(full_url, key)
        if key:
            if self._seen_before(key, base, resource, where):
                return
            if key in self.seen:
                self.ambiguous.add(key)
            self.seen.setdefault(key, []).append((base, resource))
        self.by_type.setdefault(kind, []).append(resource)
        if base:
            self.base[id(resource)] = base
        if key:
            self.by_ref.setdefault(key, resource)
        if full_url:
            self.by_ref[full_url] = resource
            self.by_ref.setdefault(reference_key(full_url), resource)

    def _seen_before(self, key: str, base: str | None, resource: dict[str, Any], where: str) -> bool:
        """The same resource again (NDJSON and a Bundle, overlapping pages): counted once, and
        an error if its content differs. Not the same: one on another server."""
        for other_base, other in self.seen.get(key, []):
            if base is None or other_base is None or base == other_base:
                if other != resource:
                    self.errors.append(FieldError(f"{where} ({key})", f"{key} appears twice with different "
                                                  "content", "one version of each resource"))
                return True
        return False

    def keys(self, text: str, container: dict[str, Any] | None = None) -> list[str]:
        """The keys a reference may be found under, surest first: a relative reference is
        first read against the server of the resource holding it; a Type/id that two
        servers hold is never read on its own."""
        out = []
        base = self.base.get(id(container)) if container is not None else None
        if base and not text.startswith(("urn:", "#")) and "://" not in text:
            out.append(f"{base}/{text}")
        out += [k for k in (text, reference_key(text)) if k not in self.ambiguous]
        return out

    def resolve(self, reference: dict[str, Any] | None, container: dict[str, Any] | None = None
                ) -> dict[str, Any] | None:
        """The resource a Reference points to: relative (Condition/1), absolute
        (https://ehr/fhir/Condition/1, with or without /_history/n), urn:uuid, or #contained."""
        if not reference or not isinstance(reference.get("reference"), str):
            return None
        text: str = reference["reference"]
        if text.startswith("#") and container is not None:
            return next((c for c in container.get("contained") or [] if c.get("id") == text[1:]), None)
        return next((self.by_ref[k] for k in self.keys(text, container) if k in self.by_ref), None)


def server_base(full_url: str | None, key: str | None) -> str | None:
    """The server an absolute fullUrl (https://ehr/fhir/Condition/1) is on: https://ehr/fhir."""
    if not full_url or not key or "://" not in full_url:
        return None
    path = full_url.split("/_history/")[0].rstrip("/")
    return path[: -len(key) - 1] if path.endswith("/" + key) else None


def reference_key(text: str) -> str:
    """Type/id of a reference in any of its forms (urn:uuid references are kept whole)."""
    if text.startswith("urn:"):
        return text
    parts = text.split("/_history/")[0].rstrip("/").split("/")
    return "/".join(parts[-2:])


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
        if not isinstance(resource, dict):
            found.warnings.append(f"{where}.entry[{i}]: an entry without a resource; nothing to read")
        else:
            if resource.get("resourceType") == "Bundle":  # a searchset inside a batch answer
                _read_json(resource, found, f"{where}.entry[{i}]")
            else:
                found.add(resource, entry.get("fullUrl"), f"{where}.entry[{i}]")
