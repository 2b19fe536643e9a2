"""A resolved decision in a reader's terms: the conditions of each branch, and for each
open field what its values would give (only outcomes that can really happen)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from rrall.classify.questions import Questions
from rrall.logic.resolve import Resolution
from rrall.logic.values import Alternative, Question
from rrall.results import Condition, Missing

T = TypeVar("T", bound=Hashable)


def answer_label(questions: Questions, question: Question, alternatives: tuple[Alternative, ...]) -> str:
    """The words for some alternatives of one question; adjacent numeric bands as one range."""
    if question.numeric and len(alternatives) > 1:
        fact = str(alternatives[0].facts[0][0])
        return questions.band_label(fact, alternatives[0].low, alternatives[-1].high)
    return " or ".join(a.label for a in alternatives)


def conditions(
    questions: Questions, when: tuple[tuple[Question, tuple[Alternative, ...]], ...]
) -> tuple[Condition, ...]:
    return tuple(
        Condition(
            field=q.field, value="|".join(a.value for a in alts), label=answer_label(questions, q, alts)
        )
        for q, alts in when
    )


def missing(
    questions: Questions, resolution: Resolution[T], what: str, say: Callable[[T], str]
) -> tuple[Missing, ...]:
    """For each question the outcome depends on: the field, and what each answer gives."""
    out = []
    for question in resolution.questions():
        by_value = resolution.by_question(question)
        groups: list[tuple[tuple[str, ...], list[Alternative]]] = []
        for alternative in question.alternatives:
            said = tuple(dict.fromkeys(say(o) for o in by_value.get(alternative.value, ())))
            # Numeric bands merge only with the band next to them, so a group is one range.
            same = [g for g in groups if g[0] == said]
            if same and (not question.numeric or groups[-1][0] == said):
                same[-1][1].append(alternative)
            else:
                groups.append((said, [alternative]))
        parts = [
            f"{answer_label(questions, question, tuple(alts))}: {' or '.join(said)}"
            for said, alts in groups
            if said
        ]
        out.append(Missing(field=question.field, decides=f"{what}: " + "; ".join(parts)))
    return tuple(out)
