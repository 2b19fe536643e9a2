"""What a person must never read on a rrall surface: field paths, rule ids, '->', '10^-',
Python's None, internal documents ('the brief', DECISIONS.md, 'brief section'), snake_case
vocabulary. Ids stay in the JSON.

ENGINE_PENDING lists, pattern by pattern, the text the clinical engine and the knowledge
base still write with such tokens (reasons, cautions, missing-data `decides`, criteria
details). The surfaces print that text as it is (beyond typography: 10⁻⁴, →, field labels),
so those patterns are removed before the check. It is empty since the engine rewrite
(issue 13) and the clinical round 2 (issue 14) worded that text for clinicians: every
rendered output of every example must be clean as it is.
"""

from __future__ import annotations

import re
from functools import cache

from rrall.knowledge.load import default_knowledge

FIELD_PATH = re.compile(r"\b\w+\[-?\d+\]|\[timepoint=")
RULE_ID = re.compile(r"\b(?:bfm|intreall|cog|uk|timing)\.[a-z0-9_]+(?:\.[a-z0-9_-]+)*\b"
                     r"|\b[a-z_]+\.(?:r\d+|[a-z0-9]+-[a-z0-9-]+)\b")
FIXED = ("->", "10^-", "the brief", "DECISIONS.md", "brief section", "clinical brief")
NONE = re.compile(r"\bNone\b")

# (pattern, the engine or knowledge text it stands for)
ENGINE_PENDING: tuple[tuple[str, str], ...] = ()

CARDS_PENDING: tuple[tuple[str, str], ...] = ENGINE_PENDING


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
    found += [token for token in FIXED if token.lower() in text.lower()]
    found += [m.group(0) for m in NONE.finditer(text)]
    found += [w for w in snake_case_vocabulary() if re.search(rf"(?<![\w/.-]){re.escape(w)}(?![\w/-])", text)]
    return found

