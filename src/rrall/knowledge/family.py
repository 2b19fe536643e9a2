"""The family summary's words (knowledge/family/<language>.yaml): versioned with the
knowledge base, one file per language, each with the readability bound its text is held to.

Unlike the glossary, a family text never falls back to English: a page for a family is in
one language, so every language file must give every sentence (the lint checks it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rrall.errors import KnowledgeError
from rrall.knowledge.facts import CriteriaField

LABELS = ("title", "notice", "what", "plan", "plan_intro", "plan_explain", "choices", "choices_intro",
          "trials", "pending", "support", "next", "questions", "contact", "contact_default", "made", "as_of",
          "language_name")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Readability(_Data):
    """The bound a whole summary is held to: Flesch-Kincaid grade at most N (English), or
    Fernández-Huerta ease at least N (Spanish; 70-80 reads as sixth or seventh grade)."""

    measure: Literal["flesch_kincaid_grade", "fernandez_huerta"]
    at_most: float | None = None
    at_least: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Readability:
        if (self.at_most is None) == (self.at_least is None):
            raise ValueError("give exactly one of at_most or at_least")
        return self


class FamilyText(_Data):
    format_version: Literal[1]
    language: str = Field(pattern=r"^[a-z]{2}$")
    name: str
    readability: Readability
    citations: dict[str, list[str]]  # part of the text -> the references behind what it states
    labels: dict[str, str]
    state: dict[str, str]
    found_in: str = Field(pattern=r"\{sites\}")
    sites: dict[str, str]
    and_: str = Field(alias="and")
    timing: dict[str, str]
    timing_outlook: dict[str, str]  # what the timing usually means, unless already refractory
    lineage: dict[str, str]
    options: dict[str, str]
    next_steps: list[str]
    donor_step: str  # only where the assessment lists the donor search
    tests_needed: str
    questions: list[str]
    # The summary's date in the family's words: `date_pattern` fills {day}, {month} (a name
    # from `months`) and {year}. Since 2026.12.33 (an older text shows the ISO date).
    months: list[str] = Field(default_factory=list)
    date_pattern: str = "{day} {month} {year}"
    # Phrases written for a child of unknown sex and their words for a girl or a boy, replaced
    # in order where the case records the sex (languages whose words agree with it).
    by_sex: dict[Literal["female", "male"], list[tuple[str, str]]] = Field(default_factory=dict)

    def for_child(self, sex: str | None) -> FamilyText:
        """This text with its words for the child's recorded sex (itself where none apply)."""
        pairs = self.by_sex.get(sex) if sex in ("female", "male") else None  # type: ignore[call-overload]
        if not pairs:
            return self

        def said(value: object) -> object:
            if isinstance(value, str):
                for before, after in pairs:
                    value = value.replace(before, after)
                return value
            if isinstance(value, dict):
                return {k: said(v) for k, v in value.items()}
            if isinstance(value, list):
                return [said(v) for v in value]
            return value

        data = {k: said(v) for k, v in self.model_dump(by_alias=True).items() if k != "by_sex"}
        return FamilyText.model_validate(data)

    def date_words(self, when: date) -> str:
        """A date as the family reads it ("29 October 2021", "29 de octubre de 2021")."""
        if len(self.months) != 12:
            return when.isoformat()
        return self.date_pattern.format(day=when.day, month=self.months[when.month - 1], year=when.year)

    def site_sentence(self, sites: list[str]) -> str:
        words = [self.sites[s] for s in sites if s in self.sites]
        if not words:
            return ""
        joined = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {self.and_} {words[-1]}"
        return self.found_in.format(sites=joined)


class Outlook(_Data):
    """When the family summary says what a relapse's timing usually means (family/outlook.yaml):
    the words are each language's `timing_outlook[timing]`. Said where the case surely meets
    `when`, unless it surely meets `unless` (a sign already known to go against it)."""

    timing: str
    when: CriteriaField
    unless: CriteriaField | None = None
    citations: list[str] = Field(min_length=1)
    note: str | None = None


class OutlookFile(_Data):
    format_version: Literal[1]
    outlooks: list[Outlook]


OUTLOOK_FILE = "outlook.yaml"  # in the family folder, beside the languages' files
SINCE_OUTLOOK = ("as_of",)  # labels added with it (2026.12.33)


def family_folder(root: Path) -> Path:
    return root / "family"


@cache
def family_texts(root: Path) -> dict[str, FamilyText]:
    """Every language's family text under a knowledge folder, by language code."""
    from rrall.knowledge.load import parse_file

    problems: list[str] = []
    found: dict[str, FamilyText] = {}
    for path in sorted(family_folder(root).glob("??.yaml")):  # a language's file: its code
        text = parse_file(FamilyText, path, problems)
        if text is not None:
            found[text.language] = text
    if problems:
        raise KnowledgeError(problems)
    if "en" not in found:
        raise KnowledgeError([f"{family_folder(root)}: the English family text (en.yaml) is missing"])
    return found


def lint_family(root: Path, therapies: set[str], references: set[str],
                outlooks: Sequence[Outlook] = ()) -> list[str]:
    """Every language has every sentence English has, words for every therapy option, and
    citations that resolve; each timing outlook English words has one rule saying when."""
    try:
        texts = family_texts(root)
    except KnowledgeError as exc:
        return exc.problems
    problems: list[str] = []
    english = texts["en"]
    # A release made before 2026.12.33 has no outlook rules, months or date label: it is
    # checked as it was written (and can still be installed to reproduce its assessments).
    current = (family_folder(root) / OUTLOOK_FILE).exists()
    labels = LABELS if current else tuple(k for k in LABELS if k not in SINCE_OUTLOOK)
    ruled = [o.timing for o in outlooks]
    where = f"family/{OUTLOOK_FILE}"
    problems += [f"{where}: no rule says when the {t!r} outlook is said" for t in english.timing_outlook
                 if current and t not in ruled]
    problems += [f"{where}: {t!r} has no words in family/en.yaml timing_outlook" for t in ruled
                 if t not in english.timing_outlook]
    problems += [f"{where}: {t!r} has more than one rule" for t in sorted(set(ruled)) if ruled.count(t) > 1]
    problems += [f"{where}: {o.timing}: citation {c!r} is not in references.yaml"
                 for o in outlooks for c in o.citations if c not in references]
    for lang, text in texts.items():
        where = f"family/{lang}.yaml"
        problems += [f"{where}: labels: {k!r} is missing" for k in labels if k not in text.labels]
        worded = set(text.options)
        problems += [f"{where}: options: no words for therapy {t!r}" for t in sorted(therapies - worded)]
        problems += [f"{where}: options: {t!r} is not a therapy" for t in sorted(worded - therapies)]
        for part in ("state", "sites", "timing", "timing_outlook", "lineage"):
            missing = set(getattr(english, part)) - set(getattr(text, part))
            problems += [f"{where}: {part}: {k!r} is missing (English has it)" for k in sorted(missing)]
        filled = set(re.findall(r"\{\w+\}", text.date_pattern))
        if current and (len(text.months) != 12 or not {"{day}", "{month}", "{year}"} <= filled):
            problems.append(f"{where}: months must name the 12 months and date_pattern must use {{day}}, "
                            "{month} and {year}")
        if len(text.next_steps) != len(english.next_steps) or len(text.questions) != len(english.questions):
            problems.append(f"{where}: next_steps and questions must match English one for one")
        problems += [f"{where}: citations.{part}: {c!r} is not in references.yaml"
                     for part, ids in text.citations.items() for c in ids if c not in references]
        written = str(text.model_dump(exclude={"by_sex"}))
        problems += [f"{where}: by_sex.{sex}: {before!r} is not in the text"
                     for sex, pairs in text.by_sex.items() for before, _ in pairs if before not in written]
    return problems
