"""The engine's shared results, and the small numbers that key them.

Each case's facts are turned into two rows of small integers: where each fact falls among
the bounds the criteria compare it with (its band), and each fact's value as finely as the
words quote it. A conclusion's decision is kept under the band ids of the facts it reads;
its words under the decision and the quote ids of the facts they quote. Ids are handed out
per fact, so equal ids mean equal values. Every table is cleared together when the engine
has kept `size` results: ids are then handed out afresh, so no table may outlive them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from operator import itemgetter
from typing import Any, TypeVar

R = TypeVar("R")


class Memo:
    def __init__(self, size: int, enabled: bool = True) -> None:
        self.size = size
        self.enabled = enabled
        self.kept = 0
        self.generation = 0  # counts renewals: a table fetched in an older one is stale
        self._tables: dict[Hashable, dict[Hashable, Any]] = {}
        self._ids: dict[Hashable, dict[Hashable, int]] = {}

    def renew_if_full(self) -> bool:
        """Called between cases: clear every table once the engine keeps `size` results
        (True when it did)."""
        if self.kept < self.size:
            return False
        self._tables.clear()
        self._ids.clear()
        self.kept = 0
        self.generation += 1
        return True

    def table(self, name: Hashable) -> dict[Hashable, Any]:
        found = self._tables.get(name)
        if found is None:
            found = self._tables[name] = {}
        return found

    def get(self, table: dict[Hashable, Any], key: Hashable, make: Callable[[], R]) -> R:
        if not self.enabled:
            return make()
        found = table.get(key, _MISSING)
        if found is _MISSING:
            found = table[key] = make()
            self.kept += 1
        return found  # type: ignore[no-any-return]

    def ids(self, name: Hashable) -> dict[Hashable, int]:
        """One id table (one per fact and kind): value -> small id."""
        ids = self._ids.get(name)
        if ids is None:
            ids = self._ids[name] = {}
        return ids

    def id_of(self, name: Hashable, value: Hashable) -> int:
        """The small id of a value in one id table (one per fact and kind)."""
        return self.number(self.ids(name), value)

    def number(self, ids: dict[Hashable, int], value: Hashable) -> int:
        """The small id of a value in an id table already fetched (given on first sight)."""
        found = ids.get(value)
        if found is None:
            found = ids[value] = len(ids)
            self.kept += 1
        return found

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables.values())


_MISSING = object()


def picker(places: Sequence[int]) -> Callable[[Sequence[int]], tuple[int, ...]]:
    """A function picking these places of a row, as a tuple."""
    if len(places) > 1:
        return itemgetter(*places)
    if places:
        place = places[0]
        return lambda row: (row[place],)
    return lambda row: ()
