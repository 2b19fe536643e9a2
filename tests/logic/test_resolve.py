"""Joint resolution over the worlds the open questions allow. Soundness (property): a
criterion that gives met or not met with facts open gives the same in every completion;
resolve() settles exactly when every completion agrees, and each branch's outcome is the
outcome of the worlds its answers describe."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rrall.logic.criteria import All, Any, AtLeast, Criterion, Equals, Has, Not, OneOf
from rrall.logic.resolve import resolve
from rrall.logic.values import Alternative, Question, member_fact
from rrall.logic.world import World
from tests.logic.toy import COLOURS, OPEN, world

LEAVES = st.sampled_from(
    [
        Equals("colour", value="red"),
        OneOf("colour", values=("green", "blue")),
        Equals("shiny", value=True),
        AtLeast("length", bound=Decimal(1)),
        Has("tags", ("round",)),
        Has("tags", ("heavy", "sharp")),
    ]
)
CRITERIA: st.SearchStrategy[Criterion] = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda items: All(tuple(items))),
        st.lists(inner, min_size=1, max_size=3).map(lambda items: Any(tuple(items))),
        inner.map(Not),
    ),
    max_leaves=6,
)
KNOWN = st.fixed_dictionaries(
    {},
    optional={
        "colour": st.sampled_from(COLOURS),
        "shiny": st.booleans(),
        "length": st.sampled_from([Decimal("0.5"), Decimal(2)]),
    },
)


def completions(start: World, criterion: Criterion) -> list[tuple[World, bool]]:
    """Every complete world below `start` (answering each question the criterion asks)."""
    verdict = criterion.test(start)
    if isinstance(verdict, bool):
        return [(start, verdict)]
    return [
        done
        for alternative in verdict.alternatives
        for done in completions(start.choose(verdict, alternative), criterion)
    ]


@settings(max_examples=400, deadline=None)
@given(CRITERIA, KNOWN)
def test_a_settled_verdict_holds_in_every_completion(criterion: Criterion, known: dict[str, object]) -> None:
    start = world(**known)  # type: ignore[arg-type]
    verdict = criterion.test(start)
    outcomes = {value for _, value in completions(start, criterion)}
    if isinstance(verdict, bool):
        assert outcomes == {verdict}


@settings(max_examples=400, deadline=None)
@given(CRITERIA, KNOWN)
def test_resolution_settles_exactly_when_the_worlds_agree(
    criterion: Criterion, known: dict[str, object]
) -> None:
    start = world(**known)  # type: ignore[arg-type]
    resolution = resolve(start, criterion.test)
    outcomes = {value for _, value in completions(start, criterion)}
    assert resolution.settled == (len(outcomes) == 1)
    assert set(resolution.outcomes()) == outcomes
    for branch in resolution.branches():
        # every world the branch's answers describe gives the branch's outcome
        for picks in itertools.product(*(alternatives for _, alternatives in branch.when)):
            here = start
            for (asked, _), alternative in zip(branch.when, picks, strict=True):
                here = here.choose(asked, alternative)
            assert resolution_of(here, criterion) == {branch.outcome}


def resolution_of(start: World, criterion: Criterion) -> set[bool]:
    return set(resolve(start, criterion.test).outcomes())


def test_equal_answers_merge_and_unasked_questions_stay_out() -> None:
    """Green or blue give the same outcome: one branch for both; `shiny` decides nothing
    once the colour is red, so it is asked only under the other branch."""
    rule = Any(
        (
            Equals("colour", value="red"),
            All((OneOf("colour", values=("green", "blue")), Equals("shiny", value=True))),
        )
    )
    resolution = resolve(world(), rule.test)
    assert not resolution.settled
    assert [q.id for q in resolution.questions()] == ["colour", "shiny"]
    by_colour = resolution.by_question(OPEN["colour"].question)  # type: ignore[union-attr]
    assert by_colour == {"red": [True], "green": [True, False], "blue": [True, False]}
    shapes = [tuple(alt.value for _, alts in b.when for alt in alts) for b in resolution.branches()]
    assert shapes == [("red",), ("green", "blue", "True"), ("green", "blue", "False")]


def test_map_drops_answers_that_no_longer_matter() -> None:
    rule = Equals("colour", value="red")
    resolution = resolve(world(), rule.test).map(lambda met: "done")
    assert resolution.settled and resolution.outcome == "done"


def test_a_question_is_answered_once_per_world() -> None:
    asked = OPEN["colour"].question  # type: ignore[union-attr]
    assert isinstance(asked, Question)
    once = world().choose(asked, asked.alternatives[0])
    with pytest.raises(RuntimeError, match="already answered"):
        once.choose(asked, asked.alternatives[1])


def _join_tags(first: Question, second: Question) -> Question | None:
    """A toy joiner: questions on tags become one ("any of them" / "none of them")."""
    if first.field != "tags" or second.field != "tags":
        return None
    ids = f"{first.id}+{second.id}"
    return Question(ids, "tags", (Alternative(f"any:{ids}", f"any:{ids}", ()),
                                  Alternative(f"none:{ids}", f"none:{ids}", ())))


def test_grouped_says_a_chain_of_list_questions_as_one() -> None:
    """Tags asked one by one, each present giving the same outcome, read as two branches:
    any of them (that outcome) or none (the rest). Every world keeps its outcome."""
    rule = Not(Has("tags", ("round", "heavy", "sharp")))
    resolution = resolve(world(), rule.test)
    assert len(resolution.branches()) == 4  # round; not round and heavy; ...; none
    grouped = resolution.grouped(_join_tags)
    ids = "+".join(member_fact("tags", tag) for tag in ("round", "heavy", "sharp"))
    said = [(tuple(a.value for _, alts in b.when for a in alts), b.outcome) for b in grouped.branches()]
    assert said == [((f"any:{ids}",), False), ((f"none:{ids}",), True)]
    assert grouped.outcomes() == resolution.outcomes()


def test_grouped_keeps_what_cannot_be_joined() -> None:
    """A chain whose answers differ, or questions the joiner refuses, stay as asked."""
    differing = resolve(world(), Any((Equals("colour", value="red"), Has("tags", ("round",)))).test)
    assert differing.grouped(_join_tags) == differing
    chain = resolve(world(), Not(Has("tags", ("round", "heavy"))).test)
    assert chain.grouped(lambda first, second: None) == chain
