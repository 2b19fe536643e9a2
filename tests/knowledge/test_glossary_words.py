"""The vocabulary words a glossary substitutes in running text are kept by the glossary;
a merged glossary (a language over its fallback) makes them again from its own values."""

from __future__ import annotations

from rrall.knowledge.load import KnowledgeBase


def test_a_merged_glossary_makes_its_words_again(kb: KnowledgeBase) -> None:
    mine = kb.glossary
    assert "induction_failure" in mine.snake_case_words[1]  # made and kept on `mine`
    fallback = mine.model_copy(update={"values": {"extra": {"only_here": "Only here"}}})
    fallback.__dict__.pop("snake_case_words", None)
    merged = mine.over(fallback)
    assert merged.snake_case_words[1]["only_here"] == "Only here"
    assert mine.snake_case_words[1].get("only_here") is None
