"""Facts and values in a clinician's words, from the glossary and the framework files:
what reasons, conditional answers and open questions say. No field names, no ids."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rrall.knowledge.glossary import FactWords, Glossary

if TYPE_CHECKING:
    from rrall.knowledge.load import KnowledgeBase


class Words:
    """The words of one knowledge base in one language."""

    def __init__(self, kb: KnowledgeBase, language: str = "en") -> None:
        self.glossary: Glossary = kb.glossaries.get(language, kb.glossary)
        self._facts = kb.facts
        self._frameworks = {fw.id: fw for fw in kb.frameworks.values()}
        hsct = self.glossary.values.get("hsct_in_cr2", {})
        self._derived: dict[str, FactWords] = {}
        for fw in kb.frameworks.values():
            self._derived[f"{fw.id}.status"] = FactWords(label=f"whether {fw.short_name} applies",
                                                       show=f"{fw.short_name} {{value}}")
            self._derived[f"{fw.id}.group"] = FactWords(label=f"{fw.short_name} group",
                                                      show=f"{fw.short_name} group {{value}}")
            self._derived[f"{fw.id}.hsct_in_cr2"] = FactWords(
                label=f"{fw.short_name} transplant rule", show=f"{fw.short_name}: {{value}}")
        self._hsct = hsct

    def fact(self, fact: str) -> FactWords:
        return self._derived.get(fact) or self.glossary.facts.get(fact) or FactWords(
            label=fact.replace("_", " "))

    def label(self, fact: str) -> str:
        return self.fact(fact).label

    def value(self, fact: str, value: object) -> str:
        """One value of a fact, quoted: "B-lineage", "BCR::ABL1 negative", "CD19 dim"."""
        words = self.fact(fact)
        if isinstance(value, bool):
            said = words.if_yes if value else words.if_no
            return said or f"{words.label}: {'yes' if value else 'no'}"
        return words.show.format(value=self.plain(fact, value))

    def quote(self, fact: str, text: str) -> str:
        """A value already in words (a number with its unit), in the fact's phrasing."""
        return self.fact(fact).show.format(value=text)

    def plain(self, fact: str, value: object) -> str:
        """A value without the fact's phrasing: "isolated marrow", "S2", "KMT2A rearrangement"."""
        if fact.endswith(".hsct_in_cr2"):
            return self._hsct.get(str(value), str(value).replace("_", " "))
        if fact.endswith(".status"):
            return self.glossary.value("framework_status", value)
        if fact.endswith(".group"):
            return str(value)
        if fact == "prior_responses" and isinstance(value, str) and ":" in value:
            agent, response = value.split(":", 1)
            return (f"{self.glossary.value('prior_agent', agent)} with "
                    f"{self.glossary.value('agent_response', response)}")
        if fact in ("timing_bfm", "timing_cog"):
            return self.glossary.value("timing", value)
        definition = self._facts.facts.get(fact)
        if definition is not None and definition.vocabulary:
            return self.glossary.value(definition.vocabulary, value)
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return self.figure(fact, value)
        return str(value).replace("_", " ")

    def number(self, fact: str, value: Decimal | int, unit: str = "") -> str:
        """A number with its unit as a reader expects it: ages in completed years (or years
        and months under 2 when the rule is in months), MRD in percent."""
        definition = self._facts.facts.get(fact)
        own = definition.unit if definition else ""
        if own == "fraction":
            return f"{_plain(Decimal(value) * 100)} %"
        if own == "months":
            months = int(value)
            # Ages are said in completed years from 2 years on, as clinicians say them; a
            # younger child's age in months even where the rule is in years ("9 months",
            # never "0 years").
            in_years = months >= 24 if fact.startswith("age") else unit in ("year", "years")
            if in_years:
                years = months // 12
                return f"{years} {self.glossary.unit('year', years)}"
            return f"{months} {self.glossary.unit('month', months)}"
        word = self.glossary.unit(own, value) if own else ""
        if own == "cells/µL":  # a count per microlitre, as a laboratory reports it: 50,000/µL
            count = Decimal(value)
            return (f"{int(count):,}" if count == int(count) else f"{count.normalize():,f}") + word
        return f"{_plain(Decimal(value))} {word}".strip()

    def precision(self, fact: str, value: Decimal | int) -> object:
        """The value as finely as `number` can show it: two cases with the same precision
        are quoted alike (ages from 2 years on are said in completed years)."""
        definition = self._facts.facts.get(fact)
        if definition and definition.unit == "months" and fact.startswith("age") and int(value) >= 24:
            return ("years", int(value) // 12)
        return value

    def figure(self, fact: str, value: Decimal | int) -> str:
        """A number as a result's inputs show it: its digits, the same for every spelling of
        the same value (0, 0.0, 0.00), or whole years for an age said in years. It shows no
        more than `precision` keeps, since the engine shares words between cases whose values
        are equal at that precision."""
        if isinstance(self.precision(fact, value), tuple):
            return self.number(fact, value)
        return _plain(Decimal(value))

    def bound(self, fact: str, bound: Decimal, unit: str) -> str:
        """A rule's bound, in the unit its author wrote it in."""
        definition = self._facts.facts.get(fact)
        if definition and definition.unit == "months" and unit in ("year", "years"):
            years = bound / 12
            return f"{_plain(years)} {self.glossary.unit('year', _plain(years))}"
        return self.number(fact, bound, "")


def _plain(value: Decimal) -> str:
    """The digits of a number, one way for every spelling of it (0.50 and 0.5; -0 and 0)."""
    text = f"{value.normalize():f}"
    return "0" if text == "-0" else text
