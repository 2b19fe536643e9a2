"""The engine's shared results: bounded tables, and one case's keys."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from rrall.knowledge.facts import When
from rrall.logic.values import Members, Open, Value

if TYPE_CHECKING:
    from rrall.engine import Engine

R = TypeVar("R")
D = TypeVar("D")
_MISSING = object()


class Memo:
    """Bounded tables of shared results, one per kind (decisions, words, lists), each
    cleared when full: a long cohort run cannot grow them without limit, the results are
    cheap to make again, and many one-off entries of one kind never push out another."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._tables: dict[str, dict[Hashable, Any]] = {}

    def get(self, key: Hashable, make: Callable[[], R], kind: str = "decision") -> R:
        table = self._tables.get(kind)
        if table is None:
            table = self._tables[kind] = {}
        found = table.get(key, _MISSING)
        if found is _MISSING:
            if len(table) >= self.size:
                table.clear()
            found = table[key] = make()
        return found  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables.values())


class NoMemo(Memo):
    """Every result made afresh (to prove shared results equal fresh ones)."""

    def get(self, key: Hashable, make: Callable[[], R], kind: str = "decision") -> R:
        return make()


class Conclusion:
    """One thing the engine concludes (a framework, an option, ...) and the case facts it
    reads (through timing and frameworks): its key."""

    def __init__(self, engine: Engine, kind: str, ident: str, criteria: Sequence[When]) -> None:
        self.kind, self.id = kind, ident
        reads = engine.ev.reads(criteria)
        places = [engine.fact_index[f] for f in reads]
        self.leaf_facts = tuple(
            sorted({leaf.fact for c in criteria for leaf in c.test.leaves() if "." not in leaf.fact})
        )
        self._pick: Callable[[Sequence[Hashable]], tuple[Hashable, ...]] = (
            itemgetter(*places)
            if len(places) > 1
            else (lambda row: (row[places[0]],))
            if places
            else (lambda row: ())
        )
        self.reads = frozenset(reads)

    def key(self, row: Sequence[Hashable]) -> Hashable:
        return (self.kind, self.id, self._pick(row))


class Decided(Protocol):
    @property
    def facts(self) -> tuple[str, ...]: ...


class One:
    """One case as the engine sees it: its facts, world and keys, each made once."""

    def __init__(self, engine: Engine, facts: dict[str, Value]) -> None:
        self.engine, self.facts = engine, facts
        self.world = engine.ev.world(facts)
        self.row = engine.row(facts)
        self._exact: dict[str, Hashable] = {}
        self._quoted: dict[tuple[str, ...], tuple[Hashable, ...]] = {}

    def exact(self, fact: str) -> Hashable:
        """A fact's value as finely as the words quote it."""
        found = self._exact.get(fact, _MISSING)
        if found is _MISSING:
            value = self.facts.get(fact)  # a derived fact (timing) is settled by the key
            if isinstance(value, Members):
                found = ("members", value.present, value.maybe)
            elif isinstance(value, Open):
                found = (
                    "open",
                    value.question.id,
                    tuple(a.value for a in value.question.alternatives),
                    value.low,
                    value.high,
                )
            elif isinstance(value, int | Decimal) and not isinstance(value, bool):
                found = self.engine.ev.words.precision(fact, value)
            else:
                found = value
            self._exact[fact] = found
        return found

    def quoted(self, facts: tuple[str, ...]) -> tuple[Hashable, ...]:
        """The exact values of some facts (each set worked out once per case)."""
        found = self._quoted.get(facts)
        if found is None:
            found = self._quoted[facts] = tuple(self.exact(f) for f in facts)
        return found

    def conclude(
        self,
        c: Conclusion,
        decide: Callable[[], D],
        facts_of: Callable[[D], tuple[str, ...]],
        render: Callable[[D], R],
        extra: Hashable = None,
    ) -> R:
        """A conclusion's decision, shared by the facts it reads, then its words, shared by
        the exact values they quote."""
        memo = self.engine.memo
        key = c.key(self.row) if extra is None else (c.key(self.row), extra)
        decision = memo.get(key, decide)
        return memo.get((key, self.quoted(facts_of(decision))), lambda: render(decision), "words")


def decided_facts(decision: Decided) -> tuple[str, ...]:
    return decision.facts
