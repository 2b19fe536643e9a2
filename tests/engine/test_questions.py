"""The words for a combination of criteria (one of several conditions, ...) come from the
glossary, like every other label a person reads, and cover every kind."""

from __future__ import annotations

from typing import get_args

from rrall.engine import engine_for
from rrall.knowledge.load import KnowledgeBase
from rrall.vocabulary import CriterionKind


def test_combination_words_come_from_the_glossary(kb: KnowledgeBase) -> None:
    words = kb.glossary.values["criterion_kind"]
    assert set(words) == set(get_args(CriterionKind))
    engine = engine_for(kb)
    for kind, said in words.items():
        assert engine.fact_label(kind) == said
    assert engine.fact_label("cd19") == kb.glossary.facts["cd19"].label
