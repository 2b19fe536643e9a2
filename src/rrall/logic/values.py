"""What a fact can be in a world of partial knowledge.

A fact is a plain value (text, yes/no, a number), `NA` when it does not exist for the
case (the timing of a primary refractory disease), `Open` when the case does not say
(with the question that would settle it), or `Members` for a list fact (genetic lesions,
prior agents) whose membership may be known for some values and open for others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

Scalar = str | bool | int | Decimal


class _NotApplicable:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NA"

    def __reduce__(self) -> str:
        return "NA"


NA = _NotApplicable()


@dataclass(frozen=True, slots=True)
class Alternative:
    """One value an open question could take: machine value, words, and the facts it sets."""

    value: str
    label: str
    facts: tuple[tuple[str, object], ...]  # (fact, Value) pairs
    low: Decimal | None = None  # for a numeric band: the band is [low, high)
    high: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """An input the case leaves open: its id, the case field that would settle it, and
    every value it could take (each a complete, consistent set of facts)."""

    id: str
    field: str
    alternatives: tuple[Alternative, ...]
    numeric: bool = False  # alternatives are adjacent bands, lowest first


@dataclass(frozen=True, slots=True)
class Open:
    """Not known; `question` would settle it. A number may be known to lie in [low, high]."""

    question: Question
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Members:
    """A list fact. `present` are known members; a value in `maybe` is open (`maybe=None`:
    every value not present is open, nothing was tested); any other value is known absent.
    `ask` makes the question for one open value."""

    present: frozenset[str]
    maybe: frozenset[str] | None
    ask: Callable[[str], Question] = field(compare=False, hash=False, repr=False)
    source: str = ""  # the case field its open values would be asked in (results are kept apart by it)

    def holds(self, value: str) -> bool | None:
        if value in self.present:
            return True
        if self.maybe is None or value in self.maybe:
            return None
        return False


Value = Scalar | _NotApplicable | Open | Members
Verdict = bool | Question  # met, not met, or unknown because of this open question


ANY = "*"  # in a list fact: any value at all (`has: any` in the shorthand)


def member_fact(fact: str, value: str) -> str:
    """The name under which a chosen answer about one member of a list fact is kept."""
    return f"{fact}\u220b{value}"
