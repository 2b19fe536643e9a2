"""Clinician-facing words (knowledge/glossary/<language>.yaml): labels for case fields and
for the values of every closed vocabulary, so no surface prints a field path or snake_case.

A second language is a sibling file with the same keys; a key it lacks falls back to
English (`Glossary.over`).
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_INDEX = re.compile(r"\[-?\d+\]")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FieldLabel(_Data):
    label: str
    test: str | None = Field(default=None, description="the work-up step that supplies the field")


class FactWords(_Data):
    """How reasons quote a fact: its name, a value of it, or yes and no."""

    label: str
    show: str = "{value}"
    if_yes: str | None = None
    if_no: str | None = None


class Glossary(_Data):
    format_version: Literal[1]
    language: str = Field(pattern=r"^[a-z]{2}$")
    name: str
    fields: dict[str, FieldLabel]
    values: dict[str, dict[str, str]]
    units: dict[str, tuple[str, str]] = Field(default_factory=dict, description="[singular, plural]")
    facts: dict[str, FactWords] = Field(default_factory=dict)

    @cached_property
    def snake_case_words(self) -> tuple[re.Pattern[str], dict[str, str]]:
        """Every snake_case vocabulary value with its words (the first vocabulary that has
        it), and a pattern finding them in running text; made once, kept by the glossary."""
        words: dict[str, str] = {}
        for values in self.values.values():
            for key, label in values.items():
                if "_" in key:
                    words.setdefault(key, label)
        keys = sorted(words, key=len, reverse=True)
        pattern = re.compile(r"(?<![\w.\[=])(?:" + "|".join(map(re.escape, keys)) + r")(?![\w\]])")
        return pattern, words

    def field(self, path: str) -> str:
        """The label of a case field; list positions do not matter (relapses[-1].cd19 is
        relapses[].cd19). An unlabelled path reads as its last part in words."""
        found = self.fields.get(generic_path(path))
        if found is not None:
            return found.label
        if ", " in path:  # the fields of alternatives ("one of: CD19 ...; CD22 ...")
            return " or ".join(self.field(p) for p in path.split(", "))
        last = generic_path(path).rsplit(".", 1)[-1].replace("[]", "")
        return last.replace("_", " ")

    def test(self, path: str) -> str | None:
        found = self.fields.get(generic_path(path))
        return found.test if found else None

    def value(self, vocabulary: str, value: object) -> str:
        """The label of one value of a vocabulary; an unknown value reads as itself in words."""
        if isinstance(value, bool):
            return "yes" if value else "no"
        words = self.values.get(vocabulary, {})
        return words.get(str(value), str(value).replace("_", " "))

    def unit(self, unit: str, count: object) -> str:
        """The unit word for `count` of it (\"1 month\", \"3 months\")."""
        one, many = self.units.get(unit, (unit, unit))
        return one if str(count) == "1" else many

    def over(self, fallback: Glossary) -> Glossary:
        """This language with every key it lacks taken from `fallback`."""
        values = {name: {**words, **self.values.get(name, {})} for name, words in fallback.values.items()}
        merged = self.model_copy(update={"fields": {**fallback.fields, **self.fields},
                                         "values": {**self.values, **values},
                                         "units": {**fallback.units, **self.units},
                                         "facts": {**fallback.facts, **self.facts}})
        merged.__dict__.pop("snake_case_words", None)  # a copy keeps the cache: made again from its values
        return merged


def generic_path(path: str) -> str:
    """relapses[-1].cd19 -> relapses[].cd19 (a selector such as [timepoint=...] stays)."""
    return _INDEX.sub("[]", path)
