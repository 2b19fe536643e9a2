"""A decision under partial knowledge, resolved over every world the open questions allow.

`decide(world)` gives an outcome, or the open question that keeps it from one. Each such
question is answered in turn with each of its alternatives, until every world has an
outcome: only the questions that matter are ever asked, together (the whole dependent
chain is evaluated in each joint world, never framework by framework). When every world
gives the same outcome, that is the answer; otherwise the answer is a set of branches,
each naming the answers that lead to it. Sibling answers that lead to the same outcome
are merged.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar, Union

from rrall.logic.values import Alternative, Question
from rrall.logic.world import World

T = TypeVar("T", bound=Hashable)
U = TypeVar("U", bound=Hashable)

# A split: the question, and for each group of its alternatives that lead to the same
# subtree, that group and the subtree. A leaf is the outcome itself.
Tree = Union[T, "Split[T]"]


@dataclass(frozen=True)
class Split(Generic[T]):
    question: Question
    parts: tuple[tuple[tuple[Alternative, ...], Tree[T]], ...]


@dataclass(frozen=True)
class Branch(Generic[T]):
    """The answers (each a question and the alternatives it may take) leading to `outcome`."""

    when: tuple[tuple[Question, tuple[Alternative, ...]], ...]
    outcome: T


@dataclass(frozen=True)
class Resolution(Generic[T]):
    tree: Tree[T]

    @property
    def settled(self) -> bool:
        return not isinstance(self.tree, Split)

    @property
    def outcome(self) -> T:
        """The one outcome of a settled resolution."""
        assert not isinstance(self.tree, Split)
        return self.tree

    def outcomes(self) -> list[T]:
        """Every distinct outcome some world gives, in tree order."""
        if not isinstance(self.tree, Split):
            return [self.tree]
        # Compared, not hashed: outcomes may hold whole table rows, costly to hash, while
        # equal outcomes are mostly the same objects.
        found: list[T] = []
        for branch in self.branches():
            if branch.outcome not in found:
                found.append(branch.outcome)
        return found

    def branches(self) -> list[Branch[T]]:
        return list(_branches(self.tree, ()))

    def questions(self) -> list[Question]:
        """Every question the outcome depends on, in the order they were asked."""
        found: dict[str, Question] = {}
        _questions(self.tree, found)
        return list(found.values())

    def grouped(self, join: Callable[[Question, Question], Question | None]) -> Resolution[T]:
        """The same decision with chains of questions said as one, for a reader: where one
        question's first answer gives X and its second asks another whose first answer
        gives X too, `join` may make the two one question (its first answer: either first
        answer; its second: both second answers). Twelve mutations asked one by one, each
        found giving "not eligible", read as "any of them found" and "none found"."""
        return Resolution(_grouped(self.tree, join))

    def map(self, f: Callable[[T], U]) -> Resolution[U]:
        """The same decision seen through `f`: answers that no longer change it are dropped."""
        return Resolution(_mapped(self.tree, f))

    def by_question(self, question: Question) -> dict[str, list[T]]:
        """For one question: each of its alternative values, and the outcomes it can lead to
        (in the order the branches give them, so the words never depend on hashing)."""
        out: dict[str, dict[T, None]] = {}
        for branch in self.branches():
            given = {q.id: alts for q, alts in branch.when}
            alternatives = given.get(question.id, question.alternatives)
            for alt in alternatives:
                out.setdefault(alt.value, {})[branch.outcome] = None
        return {value: list(outcomes) for value, outcomes in out.items()}


def resolve(world: World, decide: Callable[[World], T | Question]) -> Resolution[T]:
    return Resolution(_tree(world, decide))


def _tree(world: World, decide: Callable[[World], T | Question]) -> Tree[T]:
    outcome = decide(world)
    if not isinstance(outcome, Question):
        return outcome
    question = outcome
    return _split(
        question, [((alt,), _tree(world.choose(question, alt), decide)) for alt in question.alternatives]
    )


def _split(question: Question, subtrees: list[tuple[tuple[Alternative, ...], Tree[T]]]) -> Tree[T]:
    """A split, or the one subtree when every answer leads to it."""
    first = subtrees[0][1]
    if all(t == first for _, t in subtrees[1:]):
        return first
    parts: list[tuple[tuple[Alternative, ...], Tree[T]]] = []
    for alts, subtree in subtrees:
        # Merge with an earlier group when the subtree is the same (for numeric bands
        # only the adjacent one, so that a group is one interval).
        same = [i for i, (_, t) in enumerate(parts) if t == subtree]
        if same and (not question.numeric or same[-1] == len(parts) - 1):
            i = same[-1]
            parts[i] = ((*parts[i][0], *alts), subtree)
        else:
            parts.append((alts, subtree))
    return Split(question, tuple(parts))


def _grouped(tree: Tree[T], join: Callable[[Question, Question], Question | None]) -> Tree[T]:
    if not isinstance(tree, Split):
        return tree
    parts = tuple((alts, _grouped(subtree, join)) for alts, subtree in tree.parts)
    chain = _chain(tree.question, parts)
    if chain is not None:
        first, rest = chain
        nested = _chain(rest.question, rest.parts) if isinstance(rest, Split) else None
        if nested is not None and nested[0] == first:
            joined = join(tree.question, rest.question)
            if joined is not None and len(joined.alternatives) == 2:
                yes, no = joined.alternatives
                return Split(joined, (((yes,), first), ((no,), nested[1])))
    return Split(tree.question, parts)


def _chain(
    question: Question, parts: tuple[tuple[tuple[Alternative, ...], Tree[T]], ...]
) -> tuple[Tree[T], Tree[T]] | None:
    """A yes/no split's two subtrees (first answer's, second answer's), or None."""
    if len(question.alternatives) != 2 or len(parts) != 2:
        return None
    (first_alts, first), (second_alts, second) = parts
    if first_alts != question.alternatives[:1] or second_alts != question.alternatives[1:]:
        return None
    return first, second


def _mapped(tree: Tree[T], f: Callable[[T], U]) -> Tree[U]:
    if not isinstance(tree, Split):
        return f(tree)
    return _split(tree.question, [(alts, _mapped(t, f)) for alts, t in tree.parts])


def _branches(tree: Tree[T], when: tuple[tuple[Question, tuple[Alternative, ...]], ...]) -> list[Branch[T]]:
    if not isinstance(tree, Split):
        return [Branch(when, tree)]
    out: list[Branch[T]] = []
    for alternatives, subtree in tree.parts:
        out += _branches(subtree, (*when, (tree.question, alternatives)))
    return out


def _questions(tree: Tree[T], found: dict[str, Question]) -> None:
    if isinstance(tree, Split):
        found.setdefault(tree.question.id, tree.question)
        for _, subtree in tree.parts:
            _questions(subtree, found)
