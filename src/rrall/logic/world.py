"""A world: the facts of one case, some settled by choosing answers to open questions.

Derived facts (computed from other facts by knowledge tables) are given as functions and
computed at most once per world.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rrall.logic.values import ANY, Alternative, Members, Question, Value, member_fact

Derive = Callable[["World"], Value]


class World:
    __slots__ = ("_base", "_derive", "_facts", "chosen", "overlay")

    def __init__(
        self,
        base: Mapping[str, Value],
        derive: Mapping[str, Derive],
        chosen: tuple[tuple[Question, Alternative], ...] = (),
    ) -> None:
        self._base = base
        self._derive = derive
        self.chosen = chosen
        self.overlay: dict[str, Value] = {}
        for _, alternative in chosen:
            self.overlay.update(alternative.facts)  # type: ignore[arg-type]  # facts are Values
        # One table to look in: the base facts, the chosen answers over them, and each
        # derived fact once computed (a few worlds per case, hundreds of look-ups each).
        self._facts: dict[str, Value] = {**base, **self.overlay}

    def get(self, fact: str) -> Value:
        found = self._facts.get(fact, _ABSENT)
        if found is _ABSENT:
            derive = self._derive.get(fact)
            if derive is None:
                raise KeyError(f"no fact named {fact!r}")
            found = self._facts[fact] = derive(self)
        return found  # type: ignore[return-value]

    def member(self, fact: str, value: str) -> bool | Question | None:
        """Whether `value` is in the list fact: True, False, the question that would tell,
        or None when the fact does not exist for this case."""
        chosen = self.overlay.get(member_fact(fact, value))
        if isinstance(chosen, bool):
            return chosen
        members = self.get(fact)
        if not isinstance(members, Members):
            return None
        if value == ANY:
            mine = member_fact(fact, "")
            if members.present or any(v is True for k, v in self.overlay.items() if k.startswith(mine)):
                return True
            return False if members.maybe is not None and not members.maybe else members.ask(ANY)
        held = members.holds(value)
        if held is None and self.overlay.get(member_fact(fact, ANY)) is False:
            return False  # "none at all" was chosen
        return members.ask(value) if held is None else held

    def choose(self, question: Question, alternative: Alternative) -> World:
        if any(q.id == question.id for q, _ in self.chosen):
            raise RuntimeError(f"question {question.id!r} was already answered in this world")
        return World(self._base, self._derive, (*self.chosen, (question, alternative)))


_ABSENT = object()
