"""A resolved decision in a reader's terms: the conditions of each branch, and for each
open field what its values would give (only outcomes that can really happen)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import TypeVar

from rrall.classify.questions import Questions
from rrall.logic.resolve import Resolution
from rrall.logic.values import Alternative, Question
from rrall.results import Condition, Missing

T = TypeVar("T", bound=Hashable)


def answer_label(questions: Questions, question: Question, alternatives: tuple[Alternative, ...]) -> str:
    """The words for some alternatives of one question; adjacent numeric bands as one range
    (bands that other conclusions' bounds split but these share say one range)."""
    runs: list[list[Alternative]] = []
    for a in alternatives:
        if runs and a.low is not None and runs[-1][-1].high == a.low:
            runs[-1].append(a)
        else:
            runs.append([a])
    return " or ".join(run[0].label if len(run) == 1 else _range(questions, run) for run in runs)


def _range(questions: Questions, run: list[Alternative]) -> str:
    """Adjacent bands as one: the band's fact is the one its alternatives set to a number."""
    fact = next(str(f) for f, v in run[0].facts if isinstance(v, (int, Decimal)) and not isinstance(v, bool))
    return questions.band_label(fact, run[0].low, run[-1].high)


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
