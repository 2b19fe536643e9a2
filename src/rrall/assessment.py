"""assess(case, kb) -> Assessment: the one way from a case to every conclusion.

Every surface (CLI, web workbench, CDS Hooks, cohort) calls this; it asks the engine of
the knowledge base (rrall/engine/), which owns every cache.
"""

from __future__ import annotations

from typing import Any

from rrall.case.model import Case
from rrall.engine import NOTICE, engine_for, input_sha256
from rrall.knowledge.load import KnowledgeBase, default_knowledge
from rrall.results import Assessment, MissingData, TrialMatch
from rrall.trials.registry import Registry

__all__ = ["NOTICE", "Assessment", "MissingData", "assess", "input_sha256", "match_trials_for", "summarize"]


def assess(case: Case, kb: KnowledgeBase | None = None, *, anthracycline_table: str | None = None,
           trials: Registry | None = None) -> Assessment:
    """Everything rrall concludes about one case. `trials` defaults to the knowledge base's
    curated trials plus the user's imported ones."""
    return engine_for(kb or default_knowledge(), trials).assess(case, anthracycline_table=anthracycline_table)


def summarize(case: Case, kb: KnowledgeBase | None = None, *,
              anthracycline_table: str | None = None) -> dict[str, Any]:
    """The summary shape of `assess(case, kb)` (`--detail summary`), made without the
    reasons' words and the trial matches it does not show."""
    return engine_for(kb or default_knowledge()).summary(case, anthracycline_table=anthracycline_table)


def match_trials_for(case: Case, kb: KnowledgeBase | None = None, *, trials: Registry | None = None,
                     include_closed: bool = False) -> tuple[TrialMatch, ...]:
    """The trial matches of one case (the assessment's `trials` block lists open trials;
    this can include closed ones)."""
    return engine_for(kb or default_knowledge(), trials).match_trials(case, include_closed)
