"""A framework's table as derived facts of a world: `<id>.status` (assigned or
not_applicable), `<id>.group` and `<id>.hsct_in_cr2`, each open while the facts its rows
read are open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rrall.errors import TableError
from rrall.knowledge.model import Caution, Exclusion, Framework, GroupRow, HsctRow, Rule
from rrall.logic.values import NA, Open, Question, Value
from rrall.logic.world import Derive, World


@dataclass(frozen=True)
class Outcome:
    """What a framework says in one (fully answered) world, and the rows that said it."""

    status: str
    group: str | None = None
    hsct: str | None = None
    exclusion: Exclusion | None = None
    row: GroupRow | None = None
    hsct_row: HsctRow | None = None
    cautions: tuple[Caution, ...] = ()

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        return self.status, self.group, self.hsct


def _unique(rows: Sequence[Rule], world: World, what: str) -> Rule | Question:
    hits = []
    for row in rows:
        verdict = row.when.test.test(world)
        if isinstance(verdict, Question):
            return verdict
        if verdict:
            hits.append(row)
    if len(hits) != 1:
        raise TableError(
            f"{what}: expected exactly one matching row, found " + (", ".join(r.id for r in hits) or "no row")
        )
    return hits[0]


def exclusion(fw: Framework, world: World) -> Exclusion | Question | None:
    for rule in fw.not_applicable:
        verdict = rule.when.test.test(world)
        if verdict is True or isinstance(verdict, Question):
            return rule if verdict is True else verdict
    return None


def outcome(fw: Framework, world: World) -> Outcome | Question:
    """The framework's answer in this world, or the question that keeps it open."""
    excluded = exclusion(fw, world)
    if isinstance(excluded, Question):
        return excluded
    if excluded is not None:
        return Outcome("not_applicable", exclusion=excluded)
    row = _unique(fw.rows, world, f"{fw.id} rows")
    if isinstance(row, Question):
        return row
    assert isinstance(row, GroupRow)
    hsct = _unique(fw.hsct_rules, world, f"{fw.id} hsct_rules")
    if isinstance(hsct, Question):
        return hsct
    assert isinstance(hsct, HsctRow)
    cautions = []
    for caution in fw.cautions:
        verdict = caution.when.test.test(world)
        if isinstance(verdict, Question):
            return verdict
        if verdict:
            cautions.append(caution)
    return Outcome("assigned", row.group, hsct.hsct_in_cr2, row=row, hsct_row=hsct, cautions=tuple(cautions))


def framework_facts(fw: Framework) -> dict[str, Derive]:
    """The framework's outputs as facts other criteria read (options, trials, ...)."""

    def status(world: World) -> Value:
        excluded = exclusion(fw, world)
        if isinstance(excluded, Question):
            return Open(excluded)
        return "not_applicable" if excluded is not None else "assigned"

    def group(world: World) -> Value:
        if world.get(f"{fw.id}.status") != "assigned":
            return _passed(world.get(f"{fw.id}.status"))
        row = _unique(fw.rows, world, f"{fw.id} rows")
        return Open(row) if isinstance(row, Question) else row.group  # type: ignore[attr-defined]

    def hsct(world: World) -> Value:
        mine = world.get(f"{fw.id}.group")
        if isinstance(mine, Open) or mine is NA:
            return mine
        row = _unique(fw.hsct_rules, world, f"{fw.id} hsct_rules")
        return Open(row) if isinstance(row, Question) else row.hsct_in_cr2  # type: ignore[attr-defined]

    return {f"{fw.id}.status": status, f"{fw.id}.group": group, f"{fw.id}.hsct_in_cr2": hsct}


def _passed(status: Value) -> Value:
    """A group or HSCT rule of a framework that does not apply (NA) or is undecided (open)."""
    return status if isinstance(status, Open) else NA
