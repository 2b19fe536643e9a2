"""Apply one framework's decision table and HSCT rule to a classified case.

Each possible world (rules/worlds.py) gets one Outcome; the framework's result is what
all worlds agree on, and where they disagree, the unknowns that make the difference.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from rrall.classify.relapse import Classified
from rrall.knowledge.load import KnowledgeBase
from rrall.knowledge.model import Caution as CautionRule
from rrall.knowledge.model import Exclusion, Framework, GroupRow, HsctRow, Rule, TimingRule
from rrall.risk.model import Caution, FrameworkResult, HsctInCr2, Missing, Status
from rrall.rules.conditions import FactValue
from rrall.rules.worlds import Unknown, World, deciding_unknowns
from rrall.typed import build


class TableError(RuntimeError):
    """A decision table matched no row or several: the knowledge lint should have caught it."""


@dataclass(frozen=True)
class Outcome:
    status: Status
    group: str | None = None
    hsct: str | None = None
    exclusion: Exclusion | None = None
    row: GroupRow | None = None
    hsct_row: HsctRow | None = None
    cautions: tuple[CautionRule, ...] = ()


def _unique(rows: Sequence[Rule], facts: Mapping[str, FactValue], what: str) -> Rule:
    hits = [r for r in rows if r.holds(facts)]
    if len(hits) != 1:
        found = ", ".join(r.id for r in hits) or "no row"
        raise TableError(f"{what}: expected exactly one matching row, found {found}")
    return hits[0]


def outcome(fw: Framework, world: World) -> Outcome:
    """The framework's answer in one world; memoised on the facts the framework reads."""
    names = fw.facts_read
    key = tuple(world.facts.get(n) for n in names)
    memo = fw._outcomes
    found: Outcome | None = memo.get(key)
    if found is None:
        if len(memo) > 100_000:  # bounded: distinct keys are few, but MRD values are open-ended
            memo.clear()
        found = memo[key] = _outcome(fw, {n: world.facts.get(n) for n in names})
    return found


def _outcome(fw: Framework, facts: dict[str, FactValue]) -> Outcome:
    for exclusion in fw.not_applicable:
        if exclusion.holds(facts):
            return Outcome("not_applicable", exclusion=exclusion)
    row = _unique(fw.rows, facts, f"{fw.id} rows")
    assert isinstance(row, GroupRow)
    with_group = {**facts, "group": row.group}
    hsct = _unique(fw.hsct_rules, with_group, f"{fw.id} hsct_rules")
    assert isinstance(hsct, HsctRow)
    cautions = tuple(c for c in fw.cautions if c.holds(with_group))
    return Outcome("assigned", row.group, hsct.hsct_in_cr2, row=row, hsct_row=hsct, cautions=cautions)


def evaluate(fw: Framework, classified: Classified, kb: KnowledgeBase) -> FrameworkResult:
    """The framework's result for one case.

    Everything but `inputs` depends only on the unknowns and, per world, on the facts the
    framework reads and the timing rule used; cohorts repeat those patterns endlessly, so
    that part is memoised on the framework. `inputs` quotes the case's own values.
    """
    signature = (
        tuple((u.field, tuple(a.label for a in u.alternatives)) for u in classified.unknowns),
        tuple((w.choice, w.used.get(fw.timing_fact), *(w.facts.get(n) for n in fw.facts_read))
              for w in classified.worlds),
    )
    memo = fw._results
    core = memo.get(signature)
    if core is None:
        if len(memo) > 100_000:
            memo.clear()
        core = memo[signature] = _evaluate(fw, classified, kb)
    fields, names = core
    return build(FrameworkResult, **fields, inputs=_inputs(names, classified.worlds))


def _evaluate(fw: Framework, classified: Classified,
              kb: KnowledgeBase) -> tuple[dict[str, object], list[str]]:
    worlds = classified.worlds
    outcomes = {w.choice: outcome(fw, w) for w in worlds}
    unknowns = classified.unknowns

    def group_of(w: World) -> tuple[str, str | None]:
        return outcomes[w.choice].status, outcomes[w.choice].group

    def hsct_of(w: World) -> str | None:
        return outcomes[w.choice].hsct

    settled = len({group_of(w) for w in worlds}) == 1
    first = outcomes[worlds[0].choice]
    status: Status = first.status if settled else "insufficient_data"
    missing = [_missing(u, worlds, unknowns, group_of, "group") for u in
               ([] if settled else deciding_unknowns(worlds, unknowns, group_of))]
    hsct, hsct_missing = _hsct(worlds, unknowns, hsct_of, status)
    missing += [m for m in hsct_missing if m.field not in {x.field for x in missing}]
    used = list(outcomes.values())
    rules = _rules_used(fw, used, worlds, _timing_index(kb))
    fields: dict[str, object] = {
        "framework": fw.id,
        "name": fw.name,
        "scheme": fw.scheme,
        "status": status,
        "group": first.group if settled else None,
        "hsct_in_cr2": hsct,
        "reasons": _reasons(rules, (len({w.facts.get(fw.timing_fact) for w in worlds}) == 1, settled,
                                 len({hsct_of(w) for w in worlds}) == 1)),
        "rules": [r.id for r in rules],
        "missing": missing,
        "cautions": _cautions(rules, used),
        "citations": _dedupe([*fw.citations, *(c for r in rules for c in r.citations)]),
    }
    FrameworkResult.model_validate({**fields, "inputs": {}})  # the memo only ever holds valid results
    return fields, _dedupe(c.fact for r in rules for c in r.conditions if c.fact != "group")


def _hsct(worlds: list[World], unknowns: Sequence[Unknown], hsct_of: Callable[[World], str | None],
          status: Status) -> tuple[HsctInCr2 | None, list[Missing]]:
    values = {hsct_of(w) for w in worlds}
    if status == "not_applicable" or None in values:
        return None, []
    if len(values) == 1:
        return values.pop(), []  # type: ignore[return-value]
    deciding = deciding_unknowns(worlds, unknowns, hsct_of)
    missing = [_missing(u, worlds, unknowns, hsct_of, "HSCT in CR2") for u in deciding]
    if all(u.name == "mrd" for u in deciding):
        return "depends_on_mrd", missing
    return None, missing


def _missing(unknown: Unknown, worlds: list[World], unknowns: Sequence[Unknown],
             answer: Callable[[World], Hashable], what: str) -> Missing:
    """Name the field and, when it alone decides, what each of its values would give."""
    position = list(unknowns).index(unknown)
    by_alternative: dict[int, set[Hashable]] = {}
    for w in worlds:
        by_alternative.setdefault(w.choice[position], set()).add(answer(w))
    if all(len(v) == 1 for v in by_alternative.values()):
        parts = [f"{unknown.alternatives[i].label} -> {_show(next(iter(v)))}"
                 for i, v in sorted(by_alternative.items())]
        return Missing(field=unknown.field, decides=f"{what}: " + "; ".join(parts))
    return Missing(field=unknown.field, decides=f"{what} (together with the other missing data)")


def _show(value: Hashable) -> str:
    if isinstance(value, tuple):
        status, group = value
        return str(group) if status == "assigned" else str(status).replace("_", " ")
    return str(value).replace("_", " ") if value is not None else "not applicable"


@cache
def _timing_index(kb: KnowledgeBase) -> dict[str, Rule]:
    return {r.id: r for s in kb.classification.timing_schemes for r in s.rules}


def _rules_used(fw: Framework, used: Iterable[Outcome], worlds: list[World],
                timing: dict[str, Rule]) -> list[Rule]:
    """Every rule any world used, in reading order: timing, exclusion, row, HSCT, cautions."""
    rules: list[Rule] = []
    for o, w in zip(used, worlds, strict=True):
        if o.status == "assigned" and fw.timing_fact in w.used:
            rules.append(timing[w.used[fw.timing_fact]])
        rules += [r for r in (o.exclusion, o.row, o.hsct_row) if r is not None]
        rules += list(o.cautions)
    unique = {r.id: r for r in rules}.values()
    return sorted(unique, key=lambda r: _READING_ORDER.index(type(r)) if type(r) in _READING_ORDER else 0)


_READING_ORDER: list[type] = [TimingRule, Exclusion, GroupRow, HsctRow, CautionRule]


def _reasons(rules: list[Rule], settled: tuple[bool, bool, bool]) -> list[str]:
    """One sentence per rule used; rules that only some possible worlds used say so."""
    timing_settled, group_settled, hsct_settled = settled
    reasons: list[str] = []
    for rule in rules:
        if isinstance(rule, Exclusion):
            reasons.append(f"Not applicable ({rule.id}): {rule.reason}")
        elif isinstance(rule, GroupRow):
            lead = "Group" if group_settled else "Depending on the missing data, group"
            reasons.append(f"{lead} {rule.group} by row {rule.id}: {_conds(rule)}."
                           + (f" {rule.note}" if rule.note else ""))
        elif isinstance(rule, HsctRow):
            lead = "HSCT in CR2" if hsct_settled else "Depending on the missing data, HSCT in CR2"
            reasons.append(f"{lead} {rule.hsct_in_cr2.replace('_', ' ')} by rule {rule.id}: "
                           + (rule.note or _conds(rule)))
        elif not isinstance(rule, CautionRule):
            lead = "Timing" if timing_settled else "Possible timing"
            reasons.append(f"{lead} by rule {rule.id}: {_conds(rule)}.")
    if not timing_settled and group_settled:
        reasons.append("The timing is not known, but every timing this case could have gives"
                       " the same result.")
    return reasons


def _conds(rule: Rule) -> str:
    return ", ".join(c.describe() for c in rule.conditions)


def _inputs(names: list[str], worlds: list[World]) -> dict[str, str]:
    """The case's value of each fact the rules read; "unknown" where worlds differ."""
    if len(worlds) == 1:
        facts = worlds[0].facts
        return {n: _fact_text(facts.get(n)) for n in names}
    inputs = {}
    for name in names:
        seen = {w.facts.get(name) for w in worlds}
        inputs[name] = _fact_text(seen.pop()) if len(seen) == 1 else "unknown"
    return inputs


def _fact_text(value: object) -> str:
    if value is None:
        return "not defined"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _cautions(rules: list[Rule], used: list[Outcome]) -> list[Caution]:
    out: list[Caution] = []
    assigned = [o for o in used if o.status == "assigned"]
    for rule in rules:
        if isinstance(rule, CautionRule):
            everywhere = all(rule in o.cautions for o in assigned)
            prefix = "" if everywhere else "Depending on the missing data: "
            out.append(Caution(text=prefix + rule.text, uncertain=rule.uncertain, rule=rule.id,
                               citations=list(rule.citations)))
        elif rule.uncertain and (rule.note or _conds(rule)) not in {c.text.split(": ", 1)[-1] for c in out}:
            note = rule.note or _conds(rule)
            out.append(Caution(text=f"UNCERTAIN ({rule.id}): {note}", uncertain=True, rule=rule.id,
                               citations=list(rule.citations)))
    return out


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))

