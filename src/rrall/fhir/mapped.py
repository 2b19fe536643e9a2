"""What the FHIR mapping builds: the case document under construction, with its warnings
and errors, and small readers shared by the parts of the mapping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rrall.errors import FieldError
from rrall.fhir.read import label


@dataclass
class Imported:
    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)


def codes(concept: Any) -> set[tuple[str, str]]:
    if not isinstance(concept, dict):
        return set()
    return {(c.get("system", ""), c.get("code", "")) for c in concept.get("coding") or []}


def day(value: Any) -> str | None:
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def when(resource: dict[str, Any]) -> str | None:
    for key in ("effectiveDateTime", "onsetDateTime", "performedDateTime", "authoredOn", "issued"):
        if resource.get(key):
            return day(resource[key])
    for key in ("effectivePeriod", "performedPeriod", "onsetPeriod"):
        if isinstance(resource.get(key), dict):
            return day(resource[key].get("start"))
    return None


class Draft:
    """The document under construction; a value set twice differently is a conflict."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[Any, dict[str, Any]]] = {}
        self.errors: list[FieldError] = []
        self.warnings: list[str] = []

    def set(self, path: str, value: Any, source: dict[str, Any]) -> None:
        if value is None:
            if "resourceType" in source and "id" in source:
                self.warn(source, path, "no value rrall can read (e.g. a missing or differently typed value)")
            return
        if path in self.values and self.values[path][0] != value:
            first = self.values[path][1]
            self.errors.append(FieldError(path, f"conflicting values: {label(first)} gives "
                                                f"{self.values[path][0]!r}, {label(source)} gives {value!r}",
                                          "one value; correct or remove one of the resources"))
            return
        self.values[path] = (value, source)

    def warn(self, resource: dict[str, Any], element: str, why: str) -> None:
        self.warnings.append(f"{label(resource)}.{element}: {why}")


