"""Bounded memo tables for results shared between cases.

A criterion's result depends only on the requirement and a few profile facts
(rules/check.py), and an option's result only on its criteria's results. Numeric criteria
are worded by the side of the bound a value falls on, not the value itself, so cases
that differ only in exact ages, months or doses share their results: a cohort of a
million cases costs a dictionary lookup per criterion for most of them.
"""

from __future__ import annotations

from typing import Any

# Bounded per kind, so that a long cohort run cannot grow without limit and the many
# one-off entries of one kind (whole cases) never push out the often-reused ones (options).
LIMITS = {"case": 20_000, "option": 50_000, "prognosis": 50_000, "sources": 5_000}


def table(kb_memo: dict[Any, Any], kind: str) -> dict[Any, Any]:
    """The memo table for one kind of result, kept in the knowledge base's memo."""
    found: dict[Any, Any] | None = kb_memo.get(kind)
    if found is None:
        found = kb_memo[kind] = {}
    return found


def remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    """Store in a table whose key starts with its kind; clear the table when full."""
    if len(memo) >= LIMITS.get(key[0], 50_000):
        memo.clear()
    memo[key] = value


def shared(memo: dict[Any, Any], label: tuple[Any, ...], results: tuple[Any, ...]) -> tuple[Any, Any]:
    """(key, value or None) for a result computed from criterion results.

    The key holds the results' identities: criterion results come from their own memo, so
    equal inputs give the very same objects. The stored value keeps those objects alive,
    and two live objects never share an id, so an id match is an identity match.
    """
    key = (*label, *map(id, results))
    hit = memo.get(key)
    return key, (None if hit is None else hit[1])
