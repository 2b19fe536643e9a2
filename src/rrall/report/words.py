"""Clinician wording shared by every surface: ages in years and months, MRD as 10⁻⁴ and
percent, 1-based relapse numbers, field paths as the glossary's labels.

Pure functions of values and the glossary: they format, they never decide.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from rrall.knowledge.glossary import Glossary

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_CARET_POWER = re.compile(r"10\^(-?\d+)")
_ARROW = re.compile(r"\s*->\s*")
# Cautions the knowledge base flags as uncertain begin "UNCERTAIN (rule id): "; every
# surface marks them itself, so the marker and its id are not repeated in the text.
_UNCERTAIN_MARK = re.compile(r"^UNCERTAIN \([^)]*\):\s*")
# A case field path as the engine writes it: relapses[-1].cd19, mrd[timepoint=end_of_reinduction],
# prior_therapy.hsct[0].date (at least one bracket or dot, so ordinary words never match).
_FIELD_PATH = re.compile(r"\b[a-z_]+(?:\[[^\]\s]*\])+(?:\.[a-z_0-9]+(?:\[[^\]\s]*\])*)*"
                         r"|\b(?:diagnosis|prior_therapy|donor|performance)\.[a-z_0-9]+(?:\[[^\]\s]*\])?"
                         r"(?:\.[a-z_0-9]+)*")
_INDEXED = re.compile(r"^(relapses|mrd|prior_therapy\.hsct|prior_therapy\.agents|"
                      r"prior_therapy\.anthracyclines)\[(\d+)\]")
_ENTRY = {"relapses": "relapse", "mrd": "MRD measurement", "prior_therapy.hsct": "transplant",
          "prior_therapy.agents": "prior agent", "prior_therapy.anthracyclines": "anthracycline entry"}


def power_of_ten(exponent: int) -> str:
    """10⁻⁴, never 10^-4."""
    return "10" + str(exponent).translate(_SUPERSCRIPT)


def fraction_words(value: object) -> str:
    """An MRD fraction as a clinician writes it: '10⁻⁴ (0.01 %)', '5.2 × 10⁻⁴ (0.052 %)',
    'not detected' for 0. Text that is not a number is returned as it is."""
    try:
        fraction = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if fraction <= 0:
        return "not detected"
    exponent = fraction.adjusted()
    mantissa = fraction.scaleb(-exponent).normalize()
    head = power_of_ten(exponent) if mantissa == 1 else f"{_plain(mantissa.quantize(Decimal('0.1')))} × " \
        f"{power_of_ten(exponent)}"
    return f"{head} ({percent_words(fraction * 100)})"


def percent_words(percent: Decimal) -> str:
    """A percentage without float noise: 0.01 %, 35 %, 0.0052 %."""
    return f"{_plain(percent.normalize())} %"


def _plain(number: Decimal) -> str:
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def age_words(years: float | None) -> str:
    """8.92 years (whole months / 12, as the engine gives ages) -> '8 years 11 months'."""
    if years is None:
        return "unknown"
    months = round(years * 12)
    whole, rest = divmod(months, 12)
    parts = []
    if whole:
        parts.append(f"{whole} year{'s' if whole != 1 else ''}")
    if rest or not whole:
        parts.append(f"{rest} month{'s' if rest != 1 else ''}")
    return " ".join(parts)


def months_words(months: int | None) -> str:
    if months is None:
        return "unknown"
    return f"{months} month{'s' if months != 1 else ''}"


def field_words(path: str, glossary: Glossary) -> str:
    """A case field path in the words of the form: relapses[0].date -> 'Date of relapse
    (relapse 1)'; relapses[-1].cd19 -> 'CD19 at relapse'; '' -> 'the case'."""
    if not path:
        return "the case"
    label = glossary.field(path)
    found = _INDEXED.match(path)
    if found and not path.startswith(f"{found.group(1)}[-"):
        entry = f"{_ENTRY[found.group(1)]} {int(found.group(2)) + 1}"
        if path == found.group(0):
            return entry[:1].upper() + entry[1:]
        return f"{label} ({entry})"
    return label


def prose(text: str, glossary: Glossary) -> str:
    """Text written elsewhere (the knowledge base, the engine) made readable without
    changing its meaning: 10^-4 as 10⁻⁴, '->' as '→', field paths and snake_case
    vocabulary values as the glossary's words."""
    text = _UNCERTAIN_MARK.sub("", text)
    text = _CARET_POWER.sub(lambda m: power_of_ten(int(m.group(1))), text)
    text = _ARROW.sub(" → ", text)
    text = _FIELD_PATH.sub(lambda m: field_words(m.group(0), glossary), text)
    pattern, words = glossary.snake_case_words
    return pattern.sub(lambda m: words[m.group(0)], text) if words else text


def until_recorded(uses: Sequence[str], sentence: bool = False) -> str:
    """What the assessment reads until a work-up test is recorded (`missing_data[].uses`),
    said one way on every surface."""
    said = f"until recorded, rrall reads: {', '.join(uses)}"
    return f"U{said[1:]}." if sentence else said


def late_regions(labels: Sequence[Mapping[str, Any]], assessed: object) -> list[str]:
    """The regions whose label read is dated after the case's assessment (a past case
    assessed again): the label in force then may differ. ISO dates, as dates or as text."""
    return [str(x["region"]) for x in labels if x.get("date") and str(x["date"]) > str(assessed)]


def labels_after(labels: Sequence[Mapping[str, Any]], assessed: object, sentence: bool = False) -> str:
    """Said once after an option's labels where a label read is dated after the case's
    assessment (late_regions). Empty otherwise."""
    late = late_regions(labels, assessed)
    if not late:
        return ""
    which = f"the {late[0]} label is" if len(late) == 1 else f"the {join_words(late)} labels are"
    said = f"{which} dated after this assessment ({assessed}): check the label in force then"
    return f"T{said[1:]}." if sentence else said


def join_words(items: list[str], last: str = "and") -> str:
    """a, b and c."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def short_name(name: str) -> str:
    """An option's name without its closing parenthesis: 'Blinatumomab (CD19 x CD3 ...)' ->
    'Blinatumomab'; a parenthesis inside the name stays: 'Pneumocystis (PJP) prophylaxis'."""
    if not name.endswith(")"):
        return name
    depth = 0
    for at in range(len(name) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(name[at], 0)
        if depth == 0:
            return name[:at].rstrip() or name
    return name


def upper_first(text: str) -> str:
    """The first letter as a capital, the rest as written ('CD22' stays 'CD22', unlike
    str.capitalize)."""
    return text[:1].upper() + text[1:]


def label_words(label: dict[str, Any], words: Glossary, short: bool = False) -> str:
    """One region's label status in words, e.g. "within the EU label (European Union, EMA,
    2018-08-22)"; `short`: without the agency and date ("within the EU label")."""
    where = f"{label['region']} label" + ("" if short else f" ({label['region_name']}, {label['date']})")
    if label["status"] == "on_label":
        return f"within the {where}"
    if label["status"] == "off_label":
        return f"outside the {where}"
    fields = ", ".join(field_words(f, words) for f in label["missing"])
    return f"{where}: depends on {fields}"


def shortened(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a word where one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    word = cut.rsplit(" ", 1)[0]
    return (word if len(word) >= limit * 3 // 4 else cut).rstrip(" ,.;:") + "…"
