"""The criterion vocabulary: one small class per kind, three-valued (Kleene).

`test(world)` gives True (met), False (not met) or the open Question that keeps it from
being decided. A fact that does not exist for the case (NA) meets no comparison, so
`not` of a comparison on it is met. Every criterion declares the facts it reads.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from rrall.logic.values import NA, Members, Open, Question, Scalar, Verdict
from rrall.logic.world import World


class Criterion(ABC):
    """Base of every kind. `reads` is the set of facts the criterion reads."""

    __slots__ = ()
    reads: frozenset[str]

    @abstractmethod
    def test(self, world: World) -> Verdict: ...

    @abstractmethod
    def leaves(self) -> Iterator[Comparison | Has]:
        """The tests of single facts inside, in reading order."""


@dataclass(frozen=True, slots=True)
class Comparison(Criterion):
    """A test of one fact; the kinds below differ only in how they compare."""

    fact: str
    reads: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", frozenset({self.fact}))

    def leaves(self) -> Iterator[Comparison | Has]:
        yield self

    def test(self, world: World) -> Verdict:
        value = world.get(self.fact)
        if value is NA or isinstance(value, Members):
            return False
        if isinstance(value, Open):
            return self.open(value)
        return self.compare(value)  # type: ignore[arg-type]

    @abstractmethod
    def compare(self, value: Scalar) -> bool: ...

    def open(self, value: Open) -> Verdict:
        return value.question


@dataclass(frozen=True, slots=True)
class Equals(Comparison):
    value: Scalar = ""

    def compare(self, value: Scalar) -> bool:
        return value == self.value and isinstance(value, bool) == isinstance(self.value, bool)


@dataclass(frozen=True, slots=True)
class OneOf(Comparison):
    values: tuple[Scalar, ...] = ()

    def compare(self, value: Scalar) -> bool:
        return any(value == v and isinstance(value, bool) == isinstance(v, bool) for v in self.values)


@dataclass(frozen=True, slots=True)
class Bound(Comparison):
    """A numeric bound; `shown` is the bound as the author wrote it ("18 months", "0.1 %"),
    `unit` the unit word used (empty: the fact's own unit)."""

    bound: Decimal = Decimal(0)
    shown: str = ""
    unit: str = ""

    def open(self, value: Open) -> Verdict:
        # A number known to lie within [low, high] may already decide it.
        for end in (value.low, value.high):
            if end is None:
                return value.question
        assert value.low is not None and value.high is not None
        low, high = self.compare(value.low), self.compare(value.high)
        return low if low == high else value.question


_NUMBERS = (int, Decimal)


def _number(value: Scalar) -> bool:
    return isinstance(value, _NUMBERS) and value.__class__ is not bool


@dataclass(frozen=True, slots=True)
class AtLeast(Bound):
    def compare(self, value: Scalar) -> bool:
        return _number(value) and value >= self.bound  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class Below(Bound):
    def compare(self, value: Scalar) -> bool:
        return _number(value) and value < self.bound  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class AtMost(Bound):
    """At most N whole units, as registries write ages ("21 years" admits a child until
    age 22): `limit` is the first value no longer admitted (`bound` when not whole units)."""

    limit: Decimal = Decimal(0)
    inclusive: bool = False  # compare value <= limit (a measurement) rather than < limit

    def compare(self, value: Scalar) -> bool:
        if not _number(value):
            return False
        return value <= self.limit if self.inclusive else value < self.limit  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class Has(Criterion):
    """A list fact holds at least one of `values`."""

    fact: str
    values: tuple[str, ...]
    reads: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", frozenset({self.fact}))

    def leaves(self) -> Iterator[Comparison | Has]:
        yield self

    def test(self, world: World) -> Verdict:
        first: Question | None = None
        for value in self.values:
            held = world.member(self.fact, value)
            if held is True:
                return True
            if isinstance(held, Question) and first is None:
                first = held
        return first if first is not None else False


@dataclass(frozen=True, slots=True)
class All(Criterion):
    items: tuple[Criterion, ...]
    reads: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", frozenset().union(*(i.reads for i in self.items)))

    def leaves(self) -> Iterator[Comparison | Has]:
        for item in self.items:
            yield from item.leaves()

    def test(self, world: World) -> Verdict:
        first: Question | None = None
        for item in self.items:
            verdict = item.test(world)
            if verdict is False:
                return False
            if verdict is not True and first is None:
                first = verdict
        return first if first is not None else True


@dataclass(frozen=True, slots=True)
class Any(Criterion):
    items: tuple[Criterion, ...]
    reads: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", frozenset().union(*(i.reads for i in self.items)))

    def leaves(self) -> Iterator[Comparison | Has]:
        for item in self.items:
            yield from item.leaves()

    def test(self, world: World) -> Verdict:
        first: Question | None = None
        for item in self.items:
            verdict = item.test(world)
            if verdict is True:
                return True
            if verdict is not False and first is None:
                first = verdict
        return first if first is not None else False


@dataclass(frozen=True, slots=True)
class Not(Criterion):
    item: Criterion
    reads: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", self.item.reads)

    def leaves(self) -> Iterator[Comparison | Has]:
        return self.item.leaves()

    def test(self, world: World) -> Verdict:
        verdict = self.item.test(world)
        return (not verdict) if isinstance(verdict, bool) else verdict


ALWAYS = All(())
