"""How much of each curated trial's eligibility the criteria say: the source's bullets in
`structured_text` (said by the criteria) against those in `free_text` (still checked by a
person). `rrall trials lint` prints it per trial, so curators see what is left."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rrall.trials.model import Trial


@dataclass(frozen=True)
class Coverage:
    trial_id: str
    structured: int
    free_text: tuple[str, ...]

    @property
    def total(self) -> int:
        return self.structured + len(self.free_text)


def coverage(trials: Iterable[Trial]) -> list[Coverage]:
    """Per curated trial, its structured and free-text bullets."""
    return [Coverage(t.id, len(t.structured_text), tuple(t.free_text)) for t in trials if t.curated]


def totals(found: Iterable[Coverage]) -> tuple[int, int]:
    """(structured bullets, all bullets) over the trials."""
    rows = list(found)
    return sum(c.structured for c in rows), sum(c.total for c in rows)
