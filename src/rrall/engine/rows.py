"""A case's facts as the rows of small ids that key the engine's shared results.

Each fact has a place in two rows: its band (where its value falls among the bounds the
criteria compare it with, criteria/keys.py) and its quote (the value as finely as the words
quote it). A number that some conclusions compare with fewer bounds than the criteria do
gets one more band place for each such set of bounds, after the facts' places: a conclusion
keyed there shares its results over the wider intervals of its own bounds, so a bound that
only a prognosis figure reads does not split a framework's decision.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from decimal import Decimal
from typing import Any

from rrall.criteria.keys import Keys, Limits
from rrall.engine.conclusion import exact
from rrall.engine.memo import Memo
from rrall.logic.values import Value


class Rows:
    def __init__(self, keys: Keys, facts: Sequence[str],
                 precision: Callable[[str, Decimal | int], object]) -> None:
        self.keys, self.facts, self.precision = keys, tuple(facts), precision
        self.index = {f: i for i, f in enumerate(self.facts)}
        self.coarser: list[tuple[int, str, Limits]] = []  # (place, fact, its bounds and points there)
        self._coarser_at: dict[tuple[str, Limits], int] = {}
        self._band_ids: list[dict[Hashable, int]] = []
        self._quote_ids: list[dict[Hashable, int]] = []
        # Per coarser place: the fact's own place, and whether its bounds and points are among
        # the fact's (always, for the criteria's own subsets): then the coarser band follows
        # from the fact's band, and is looked up by its id instead of being worked out again.
        self._within: list[tuple[int, bool]] = []
        self._from_band: list[dict[Hashable, Any]] = []  # a fact band id -> the coarser band id

    def place(self, fact: str, own: Keys) -> int:
        """The band place for a conclusion whose criteria are keyed by `own`: the fact's
        place, or one added for `own`'s bounds where they are fewer than every criterion's."""
        limits = self.keys.coarser(fact, own) if fact in self.index else None
        if limits is None:
            return self.index[fact]
        found = self._coarser_at.get((fact, limits))
        if found is None:
            found = self._coarser_at[(fact, limits)] = len(self.facts) + len(self.coarser)
            self.coarser.append((found, fact, limits))
            every, points = self.keys.limits(fact)
            self._within.append((self.index[fact], set(limits[0]) <= set(every) and limits[1] <= points))
        return found

    def refresh(self, memo: Memo) -> None:
        """Fetch the id tables again after the memo renewed them."""
        self._band_ids = [memo.ids(("band", i)) for i in range(len(self.facts) + len(self.coarser))]
        self._quote_ids = [memo.ids(("quote", i)) for i in range(len(self.facts))]
        self._from_band = [memo.table(("band-from", place)) for place, _, _ in self.coarser]

    def of(self, memo: Memo, facts: dict[str, Value]) -> tuple[list[int], list[int]]:
        """A case's band row and quote row."""
        of, precision = self.keys.of, self.precision
        bands, quotes = [], []
        for i, fact in enumerate(self.facts):
            value = facts[fact]
            if value.__class__ is str or value.__class__ is bool:
                band: Hashable = value  # a text or yes/no fact is its own band and quote
                quote: Hashable = value
            else:
                band, quote = of(fact, value), exact(value, fact, precision)
            bands.append(memo.number(self._band_ids[i], band))
            quotes.append(memo.number(self._quote_ids[i], quote))
        band_of = self.keys.band
        for (place, fact, limits), (fine, within), known in zip(
            self.coarser, self._within, self._from_band, strict=True
        ):
            if not within:
                bands.append(memo.number(self._band_ids[place], band_of(fact, facts[fact], limits)))
                continue
            coarse = known.get(bands[fine])
            if coarse is None:
                band = band_of(fact, facts[fact], limits)
                coarse = known[bands[fine]] = memo.number(self._band_ids[place], band)
            bands.append(coarse)
        return bands, quotes

    def changed(self, memo: Memo, bands: Sequence[int], before: dict[str, Value],
                after: dict[str, Value]) -> list[int]:
        """The band row of `after`, from `before`'s row: only the facts whose values differ
        are placed again (a what-if that changes a few facts of a case)."""
        out = list(bands)
        for fact in self.facts:
            if after[fact] is not before[fact] and after[fact] != before[fact]:
                self._place(memo, out, fact, after[fact])
        return out

    def flipped(self, memo: Memo, bands: Sequence[int], fact: str, value: Value) -> list[int]:
        """A band row with one fact's value changed, at each of its places (a what-if)."""
        out = list(bands)
        self._place(memo, out, fact, value)
        return out

    def _place(self, memo: Memo, row: list[int], fact: str, value: Value) -> None:
        """Place one fact's value in a band row: its own place and each coarser one."""
        row[self.index[fact]] = memo.number(self._band_ids[self.index[fact]], self.keys.of(fact, value))
        for place, coarse, limits in self.coarser:
            if coarse == fact:
                row[place] = memo.number(self._band_ids[place], self.keys.band(fact, value, limits))
