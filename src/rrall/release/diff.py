"""What changed between two knowledge releases, grouped by file and by id.

Each YAML file is read as data and compared item by item: a list entry with an `id` is an
item (a framework row, an option rule, a caution, a prognosis figure, a reference, a
trial); a change names the item's id and says in words what changed in it (a threshold, a
status, a caution, a label, a prognosis figure, a reference, a trial) with the old and new
values. Files that are not YAML (the CHANGELOG, READMEs) are reported as changed or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rrall.knowledge.glossary import Glossary
from rrall.release.files import changelog_since
from rrall.release.manifest import release_files

BOUNDS = {"at_least", "at_most", "below", "above", "more_than", "less_than", "min", "max", "range"}
FIGURES = {"value_percent", "ci_percent", "plus_minus", "n", "timepoint", "endpoint"}
WORDING = {
    "name",
    "title",
    "text",
    "reason",
    "label",
    "description",
    "population_text",
    "note",
    "claim",
    "citation",
    "short_name",
    "show",
    "if_yes",
    "if_no",
}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class FieldChange:
    what: str  # the part of the item in words: "when, MRD after reinduction, at least"
    before: str
    after: str


@dataclass
class ItemChange:
    id: str
    change: str  # "added", "removed" or "changed"
    kinds: list[str] = field(default_factory=list)  # threshold, status, caution, label, ...
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class FileDiff:
    file: str
    items: list[ItemChange]


@dataclass
class ReleaseDiff:
    old_version: str
    new_version: str
    files: list[FileDiff]
    changelog: str

    @property
    def empty(self) -> bool:
        return not self.files

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def diff_releases(old: Path, new: Path, old_version: str, new_version: str, words: Glossary) -> ReleaseDiff:
    before, after = set(release_files(old)), set(release_files(new))
    files = []
    for name in sorted(before | after):
        if name in before and name in after and (old / name).read_bytes() == (new / name).read_bytes():
            continue
        if name == "CHANGELOG.md":
            continue
        if not name.endswith(".yaml"):
            state = "added" if name not in before else "removed" if name not in after else "changed"
            files.append(FileDiff(name, [ItemChange("(whole file)", state)]))
            continue
        items = _compare(
            _load(old / name) if name in before else None,
            _load(new / name) if name in after else None,
            name,
            words,
        )
        if items:
            files.append(FileDiff(name, items))
    return ReleaseDiff(old_version, new_version, files, changelog_since(old, new))


def _load(path: Path) -> Any:
    return yaml.load(path.read_bytes(), Loader=_Loader)


def _flatten(data: Any, item: str, path: tuple[str, ...]) -> Iterator[tuple[str, tuple[str, ...], Any]]:
    """(item id, path inside the item, leaf value) for every leaf; list entries with an id
    are items of their own."""
    if isinstance(data, dict):
        if not data:
            yield item, path, {}
        for key, value in data.items():
            yield from _flatten(value, item, (*path, str(key)))
    elif isinstance(data, list) and data and all(isinstance(x, dict) and "id" in x for x in data):
        for entry in data:
            yield from _flatten(entry, str(entry["id"]), ())
    elif isinstance(data, list) and any(isinstance(x, dict | list) for x in data):
        for number, entry in enumerate(data, 1):
            yield from _flatten(entry, item, (*path, f"#{number}"))
    else:
        yield item, path, data


def _items(data: Any, top: str) -> dict[str, dict[tuple[str, ...], Any]]:
    found: dict[str, dict[tuple[str, ...], Any]] = {}
    if data is None:
        return found
    own = str(data["id"]) if isinstance(data, dict) and "id" in data else top
    for item, path, value in _flatten(data, own, ()):
        found.setdefault(item, {})[path] = value
    return found


def _compare(old: Any, new: Any, name: str, words: Glossary) -> list[ItemChange]:
    top = "release details" if name == "manifest.yaml" else "(whole file)"
    before, after = _items(old, top), _items(new, top)
    changes = []
    for item in dict.fromkeys([*after, *before]):
        if item not in before:
            changes.append(ItemChange(item, "added", _kinds(name, after[item].keys())))
            continue
        if item not in after:
            changes.append(ItemChange(item, "removed", _kinds(name, before[item].keys())))
            continue
        was, now = before[item], after[item]
        moved = [p for p in dict.fromkeys([*now, *was]) if was.get(p, _GONE) != now.get(p, _GONE)]
        if moved:
            fields = [
                FieldChange(_words(p, words), _shown(was.get(p, _GONE)), _shown(now.get(p, _GONE)))
                for p in moved
            ]
            changes.append(ItemChange(item, "changed", _kinds(name, moved), fields))
    return changes


_GONE = object()


def _kinds(name: str, paths: Any) -> list[str]:
    found: list[str] = []
    for path in paths:
        last = path[-1] if path else ""
        if name == "manifest.yaml":
            kind = "release"
        elif name == "references.yaml":
            kind = "reference"
        elif name.startswith("trials/"):
            kind = "trial"
        elif last in BOUNDS or (len(path) > 1 and path[-2] in BOUNDS):
            kind = "threshold"
        elif last == "status":
            kind = "status"
        elif "cautions" in path:
            kind = "caution"
        elif name == "prognosis.yaml" and last in FIGURES:
            kind = "prognosis figure"
        elif last == "citations" or "citations" in path:
            kind = "citations"
        elif last in WORDING or name.startswith(("glossary/", "family/")):
            kind = "wording"
        else:
            kind = "data"
        if kind not in found:
            found.append(kind)
    return found


def _words(path: tuple[str, ...], words: Glossary) -> str:
    parts = []
    for part in path:
        if part.startswith("#"):
            parts.append(f"entry {part[1:]}")
            continue
        fact = words.facts.get(part)
        parts.append(fact.label if fact else part.replace("_", " "))
    return ", ".join(parts) or "value"


def _shown(value: Any) -> str:
    if value is _GONE:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(empty list)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def diff_text(diff: ReleaseDiff) -> str:
    """The diff for a reader: file, item id, what kind of change, old and new values."""
    lines = [f"Knowledge {diff.old_version} -> {diff.new_version}"]
    if diff.empty:
        lines.append("No data changed.")
    for f in diff.files:
        lines += ["", f.file]
        for item in f.items:
            kinds = f" ({', '.join(item.kinds)})" if item.kinds else ""
            if item.change != "changed":
                lines.append(f"  {item.id}: {item.change}{kinds}")
                continue
            lines.append(f"  {item.id}{kinds}")
            lines += [f"    {c.what}: {c.before} -> {c.after}" for c in item.fields]
    if diff.changelog:
        lines += ["", "What the CHANGELOG says:", *("  " + line for line in diff.changelog.splitlines())]
    return "\n".join(lines)
