"""Criteria in words, quoting the child's value and the rule's bound:
"31 months from diagnosis to relapse (needs at least 18 months)", "CD19 not recorded;
needs CD19 positive or CD19 dim". No fact names, no ids."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeGuard

from rrall.knowledge.words import Words
from rrall.logic.criteria import (
    All,
    Any,
    AtLeast,
    AtMost,
    Below,
    Bound,
    Comparison,
    Criterion,
    Has,
    Not,
    OneOf,
)
from rrall.logic.values import ANY, NA, Open, Question
from rrall.logic.world import World


class Describer:
    """Puts criteria in words. Phrases are kept by criterion and by the values of the facts
    it reads (`cache`): cases with the same values share them."""

    def __init__(self, words: Words, cache: int = 0) -> None:
        self.words = words
        self._cache = cache
        self._said: dict[tuple[int, bool, tuple[object, ...]], list[str]] = {}
        self._facts: dict[int, tuple[str, ...]] = {}

    def rule(self, criterion: Criterion) -> str:
        """What a criterion asks for, without a case, naming what it tests where the value
        alone does not: "B-lineage; age at least 1 year; latest marrow MRD below 5 %"."""
        if isinstance(criterion, Bound):
            return f"{self.words.label(criterion.fact)} {self.need(criterion)}"
        if isinstance(criterion, Has):
            return f"{self.words.label(criterion.fact)}: {self.need(criterion)}"
        if isinstance(criterion, Comparison):
            return self.need(criterion)
        if isinstance(criterion, Not):
            if isinstance(criterion.item, Comparison):
                return self.words.label(criterion.item.fact) + " " + self.other_than(criterion.item)
            if isinstance(criterion.item, Has):
                item = criterion.item
                listed = ", ".join(self.words.plain(item.fact, v) for v in item.values if v != ANY)
                none = self.need(item) if ANY in item.values else listed
                return f"{self.words.label(item.fact)}: none of {none}"
            return "not " + self.rule(criterion.item)
        if isinstance(criterion, Any):
            return "(" + " or ".join(self.rule(i) for i in criterion.items) + ")"
        if isinstance(criterion, All):
            return "; ".join(self.rule(i) for i in criterion.items) or "always"
        return ""

    def criterion(self, criterion: Criterion, world: World, unmet: bool = False) -> list[str]:
        """One phrase per part of a conjunction (an empty criterion says nothing); bounds on
        the same number read as one ("needs at least 0.01 % and below 0.1 %"). `unmet`: only
        the parts the case does not meet (why a requirement fails), else every part."""
        if not self._cache or world.chosen:
            return self._criterion(criterion, world, unmet)
        facts = self._facts.get(id(criterion))
        if facts is None:  # criteria live as long as their knowledge base: ids stay theirs
            facts = self._facts[id(criterion)] = tuple(sorted(criterion.reads))
        key = (id(criterion), unmet, tuple(world.get(f) for f in facts))
        found = self._said.get(key)
        if found is None:
            if len(self._said) >= self._cache:
                self._said.clear()
            found = self._said[key] = self._criterion(criterion, world, unmet)
        return list(found)

    def _criterion(self, criterion: Criterion, world: World, unmet: bool = False) -> list[str]:
        parts = list(criterion.items if isinstance(criterion, All) else (criterion,))
        if unmet:
            parts = [p for p in parts if p.test(world) is False] or parts
        said: list[str] = []
        i = 0
        while i < len(parts):
            part = parts[i]
            if isinstance(part, Bound):
                same = [part]
                while i + 1 < len(parts) and _same_number(parts[i + 1], part):
                    i += 1
                    same.append(parts[i])  # type: ignore[arg-type]  # a Bound, by _same_number
                said.append(self._bounds(same, world))
            else:
                said += self._part(part, world)
            i += 1
        return list(dict.fromkeys(said))

    def _bounds(self, bounds: list[Bound], world: World) -> str:
        if len(bounds) == 1:
            return self.leaf(bounds[0], world)
        first = self.leaf(bounds[0], world)
        needs = " and ".join(self.need(b).removeprefix("") for b in bounds)
        head = first.split(" (needs ")[0].split("; needs ")[0]
        value = world.get(bounds[0].fact)
        return f"{head}; needs {needs}" if isinstance(value, Open) else f"{head} (needs {needs})"

    def _part(self, part: Criterion, world: World) -> list[str]:
        if isinstance(part, Comparison | Has):
            return [self.leaf(part, world)]
        if isinstance(part, Not):
            return self._not(part, world)
        if isinstance(part, Any):
            met = [p for p in part.items if p.test(world) is True]
            if met:
                return self._part(met[0], world)
            # Numbered, since an alternative's own words may hold "; needs ...".
            said = "; ".join(f"({i}) " + " and ".join(self._part(p, world))
                             for i, p in enumerate(part.items, 1))
            return ["none of: " + said if part.test(world) is False else "one of: " + said]
        if isinstance(part, All):
            # A conjunction that fails is explained by the parts that fail: one not recorded
            # beside them would not change it.
            items = part.items
            if part.test(world) is False:
                items = tuple(item for item in items if item.test(world) is False)
            return [p for item in items for p in self._part(item, world)]
        return []

    def leaf(self, leaf: Comparison | Has, world: World) -> str:
        if isinstance(leaf, Has):
            return self._has(leaf, world)
        verdict = leaf.test(world)
        need = self.need(leaf)
        value = world.get(leaf.fact)
        label = self.words.label(leaf.fact)
        if isinstance(value, Open):
            if "." in leaf.fact or leaf.fact.startswith("timing_"):
                return f"{label}: depends on data the case does not give"
            if isinstance(leaf, Bound) and value.low is not None and value.high is not None:
                span = (
                    f"between {self.words.number(leaf.fact, value.low)} and "
                    f"{self.words.number(leaf.fact, value.high)}"
                )
                return f"{label} {span} ({'needs' if isinstance(verdict, Question) else 'rule:'} {need})"
            return f"{label} not recorded; needs {need}"
        if value is NA:
            return f"{label} does not apply here; needs {need}"
        said = self.said(leaf, value)
        if isinstance(leaf, Bound):
            return f"{said} (needs {need})"
        return said if verdict is True else f"{said}; needs {need}"

    def said(self, leaf: Comparison, value: object) -> str:
        if isinstance(leaf, Bound) and isinstance(value, int | Decimal) and not isinstance(value, bool):
            return self.words.quote(leaf.fact, self.words.number(leaf.fact, value, leaf.unit))
        return self.words.value(leaf.fact, value)

    def need(self, leaf: Comparison | Has) -> str:
        """What a test asks for, in words."""
        w = self.words
        if isinstance(leaf, Has):
            return (
                "any " + w.label(leaf.fact)
                if ANY in leaf.values
                else " or ".join(w.plain(leaf.fact, v) for v in leaf.values)
            )
        if isinstance(leaf, OneOf):
            return " or ".join(w.value(leaf.fact, v) for v in leaf.values)
        if isinstance(leaf, Bound):
            if _whole(leaf):
                return f"below {w.bound(leaf.fact, leaf.limit, leaf.unit)}"
            op = {AtLeast: "at least", Below: "below", AtMost: "at most"}[type(leaf)]
            return f"{op} {w.bound(leaf.fact, leaf.bound, leaf.unit)}"
        return w.value(leaf.fact, getattr(leaf, "value", ""))

    def other_than(self, leaf: Comparison) -> str:
        """What `not` of a test asks for: "more than 98 %" for `not at most 98 %`."""
        if _whole(leaf):
            return f"at least {self.words.bound(leaf.fact, leaf.limit, leaf.unit)}"
        if isinstance(leaf, AtMost):
            return f"more than {self.words.bound(leaf.fact, leaf.bound, leaf.unit)}"
        if isinstance(leaf, AtLeast):
            return f"below {self.words.bound(leaf.fact, leaf.bound, leaf.unit)}"
        if isinstance(leaf, Below):
            return f"at least {self.words.bound(leaf.fact, leaf.bound, leaf.unit)}"
        return f"other than {self.need(leaf)}"

    def _has(self, leaf: Has, world: World, negated: bool = False) -> str:
        w = self.words
        label = w.label(leaf.fact)
        found = [v for v in leaf.values if world.member(leaf.fact, v) is True and v != ANY]
        if ANY in leaf.values and world.member(leaf.fact, ANY) is True:
            members = world.get(leaf.fact)
            found = sorted(getattr(members, "present", ())) or found
        verdict = leaf.test(world)
        wanted = self.need(leaf)
        if found:
            said = w.quote(leaf.fact, ", ".join(w.plain(leaf.fact, v) for v in found))
            if not negated:
                return said
            if len(leaf.values) == 1:
                return f"{said} present; needs it absent"
            return f"{said} present; needs none of: {', '.join(w.plain(leaf.fact, v) for v in leaf.values)}"
        if isinstance(verdict, Question):
            return f"{label}: {wanted} not known"
        if world.get(leaf.fact) is NA:  # the list does not exist for this case (no relapse: no sites)
            return f"no {label}"
        return f"{label}: no {wanted}" if negated or verdict is False else f"{label}: {wanted}"

    def _not(self, part: Not, world: World) -> list[str]:
        inner = part.item
        if isinstance(inner, Has):
            return [self._has(inner, world, negated=True)]
        if isinstance(inner, Comparison):
            value = world.get(inner.fact)
            if isinstance(value, Open) and ("." in inner.fact or inner.fact.startswith("timing_")):
                return [f"{self.words.label(inner.fact)}: depends on data the case does not give"]
            other = self.other_than(inner)
            if isinstance(value, Open):
                return [f"{self.words.label(inner.fact)} not recorded; needs {other}"]
            if value is NA:
                return [f"{self.words.label(inner.fact)} does not apply here"]
            said = self.said(inner, value)
            return [said if part.test(world) is True else f"{said}; needs {other}"]
        if isinstance(inner, Any):
            return [p for item in inner.items for p in self._not(Not(item), world)]
        return ["not: " + "; ".join(self._part(inner, world))]


def _same_number(part: Criterion, bound: Bound) -> bool:
    return isinstance(part, Bound) and part.fact == bound.fact


def _whole(leaf: Comparison | Has) -> TypeGuard[AtMost]:
    """An `at most` in whole units coarser than the fact's own ("at most 5 years" of an age in
    months admits a child until the 6th birthday): said by the first value it no longer admits
    ("below 6 years"), which a reader cannot take for 5 years and 0 months."""
    return isinstance(leaf, AtMost) and not leaf.inclusive and leaf.limit - leaf.bound > 1
