"""What a person must never read on a rrall surface: field paths, rule ids, '->', '10^-',
Python's None, 'the brief', snake_case vocabulary. Ids stay in the JSON.

ENGINE_PENDING lists, pattern by pattern, the text the clinical engine and the knowledge
base still write with such tokens (reasons, cautions, missing-data `decides`, criteria
details). The surfaces print that text as it is (beyond typography: 10⁻⁴, →, field labels),
so those patterns are removed before the check. The engine rewrite (issue 13) words them
for clinicians; then each entry can go, and the test proves it. Everything the surfaces
write themselves must be clean without it.
"""

from __future__ import annotations

import re
from functools import cache

from rrall.knowledge.load import default_knowledge

FIELD_PATH = re.compile(r"\b\w+\[-?\d+\]|\[timepoint=")
RULE_ID = re.compile(r"\b(?:bfm|intreall|cog|uk|timing)\.[a-z0-9_]+(?:\.[a-z0-9_-]+)*\b"
                     r"|\b[a-z_]+\.(?:r\d+|[a-z0-9]+-[a-z0-9-]+)\b")
FIXED = ("->", "10^-", "the brief")
NONE = re.compile(r"\bNone\b")

# (pattern, the engine or knowledge text it stands for)
ENGINE_PENDING: tuple[tuple[str, str], ...] = (
    (r"\bby (?:rule|row) [a-z0-9_.\-]+:?", "risk/evaluate.py reasons name the rule row that fired"),
    (r"\bNot applicable \([^)]*\)", "risk/evaluate.py: the exclusion's id"),
    (r"\bDepending on the missing data, HSCT in CR2 [a-z ]+ by rule [a-z0-9_.\-]+",
     "risk/evaluate.py: reasons of a rule that depends on missing data"),
    (r"\b(?:met|not met|unknown|may hold|would decide):? [a-z_ ]+: case [^;.\n]*(?:; requires[^;.\n]*)?",
     "rules/check.py criterion details ('min age years: case >= 0.08333 years; requires ...')"),
    (r"\b(?:immunophenotype|site|timing bfm|timing cog|marrow involved|frontline completed|months from "
     r"diagnosis|months from frontline end|group|site in|timing bfm in)\s*(?:=|in|<|>=|<=)\s*[^,.;\n]*",
     "risk/evaluate.py: the conditions a row read, as fact = value"),
    (r"\{[a-z_, ]+\}", "risk/evaluate.py: sets of vocabulary values in conditions"),
    (r"the brief[^.;]*", "knowledge YAML text (therapies, evidence, prognosis notes) mentions the brief"),
    (r"\b[a-z]+(?:_[a-z0-9]+)+: [a-z_ ]+ or [a-z_]+",
     "options/evaluate.py missing-data decides: 'inotuzumab_ozogamicin: consider or not_eligible'"),
    (r"\brequires (?:any |one )?of [^;)\n]*",
     "rules/check.py criterion details: 'requires any of Ph_like_ABL_class'"),
    (r"\b(?:insufficient_data|not_eligible|not_recommended|clinical_trial|depends_on_mrd)\b",
     "options/ and trials/match.py reasons quoting a status value"),
)

CARDS_PENDING: tuple[tuple[str, str], ...] = (
    (r"10\^-?\d+|->|\b[a-z_]+\[-?\d+\](?:\.[a-z_0-9]+)*",
     "fhir/cards.py prints the engine's missing-data text as is, without typography or labels (lead's file)"),
    (r"`[a-z_]+(?:\[[^\]]*\])?(?:\.[a-z_]+)*`",
     "fhir/cards.py lists missing data by field path (lead's file)"),
    (r"\b(?:BFM|IntReALL|COG|UK) [a-z]+_[a-z_]+", "fhir/cards.py prints a framework status value"),
)


@cache
def snake_case_vocabulary() -> frozenset[str]:
    """Every vocabulary value a clinician must never read raw: the glossary's keys with '_'."""
    words = default_knowledge().glossary.values
    return frozenset(v for values in words.values() for v in values if "_" in v)


def developer_tokens(text: str, pending: tuple[tuple[str, str], ...] = ENGINE_PENDING) -> list[str]:
    """Every developer token left in `text` once the pending engine patterns are removed."""
    text = re.sub(r"doi:\S+|https?://\S+|\b10\.\d{4,}/\S+", " ", text)  # identifiers and addresses
    for pattern, _why in pending:
        text = re.sub(pattern, " ", text)
    found = [m.group(0) for m in FIELD_PATH.finditer(text)]
    found += [m.group(0) for m in RULE_ID.finditer(text)]
    found += [token for token in FIXED if token in text]
    found += [m.group(0) for m in NONE.finditer(text)]
    found += [w for w in snake_case_vocabulary() if re.search(rf"(?<![\w/.-]){re.escape(w)}(?![\w/-])", text)]
    return found

