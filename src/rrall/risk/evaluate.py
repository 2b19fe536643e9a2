"""One framework's result for a case: its table over every world the open questions
allow (rrall.logic.resolve), with reasons that quote the case, the rows used, what is
missing and what each missing value would give."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rrall.classify.timing import timing_rule
from rrall.criteria.describe import Describer
from rrall.criteria.evaluator import Evaluator
from rrall.criteria.frameworks import outcome
from rrall.criteria.outcome import conditions, missing
from rrall.knowledge.model import Caution as CautionRule
from rrall.knowledge.model import Exclusion, Framework, GroupRow, HsctRow, Rule, TimingRule
from rrall.knowledge.words import Words
from rrall.logic.resolve import Resolution, resolve
from rrall.logic.values import NA, Members, Open, Question
from rrall.logic.world import World
from rrall.results import Branch, Caution, FrameworkResult, FrozenMap, unverified

Key = tuple[str, str | None, str | None, tuple[str, ...]]  # status, group, HSCT, rule ids
View = tuple[str, str | None, str | None]  # what a reader compares: status, group, HSCT rule


@dataclass(frozen=True)
class Decision:
    """What a framework decides for a case, before it is put in words: shared between
    cases whose facts fall the same way (the engine keys it on them)."""

    view: Resolution[View]  # status, group and HSCT rule over the open questions
    used: tuple[Rule, ...]  # every rule some world used, in reading order
    caution_ids: tuple[tuple[str, ...], ...]  # the cautions each assigned world raised
    facts: tuple[str, ...]  # the case facts the words quote (reasons and inputs)


def decide(ev: Evaluator, fw: Framework, world: World) -> Decision:
    rules = {r.id: r for r in fw.rules()}
    scheme = next(s for s in ev.kb.classification.timing_schemes if s.fact == fw.timing_fact)
    rules.update({r.id: r for r in scheme.rules})

    def one(w: World) -> Key | Question:
        found = outcome(fw, w)
        if isinstance(found, Question):
            return found
        used = [r.id for r in (found.exclusion, found.row, found.hsct_row) if r is not None]
        if found.status == "assigned":
            row = timing_rule(scheme, w)
            if isinstance(row, Question):
                return row
            used = ([row.id] if row else []) + used
        return (found.status, found.group, found.hsct, (*used, *(c.id for c in found.cautions)))

    resolution = resolve(world, one)
    keys = resolution.outcomes()
    used = sorted(
        (rules[i] for i in dict.fromkeys(i for k in keys for i in k[3])), key=lambda r: _ORDER.index(type(r))
    )
    cautions = {r.id for r in used if isinstance(r, CautionRule)}
    return Decision(
        view=resolution.map(lambda k: (k[0], k[1], k[2])),
        used=tuple(used),
        caution_ids=tuple(tuple(i for i in k[3] if i in cautions) for k in keys if k[0] == "assigned"),
        facts=tuple(sorted({leaf.fact for r in used for leaf in r.when.test.leaves()})),
    )


def render(
    ev: Evaluator, describer: Describer, fw: Framework, decision: Decision, world: World
) -> FrameworkResult:
    """The decision in words, quoting this case's values."""
    return reword(ev, describer, fw, frame(ev, fw, decision), decision, world)


def reword(
    ev: Evaluator,
    describer: Describer,
    fw: Framework,
    framed: FrameworkResult,
    decision: Decision,
    world: World,
) -> FrameworkResult:
    """The frame with the reasons and inputs quoting this case (the only parts that read
    the case's values, so the engine keeps one frame per decision)."""
    view, used = decision.view, list(decision.used)
    found = view.outcomes()
    settled = len({(k[0], k[1]) for k in found}) == 1
    reasons = _reasons(ev, fw, used, world, describer, settled, len({k[2] for k in found}) == 1, view)
    inputs = FrozenMap(_inputs(ev.words, used, world))
    return framed.model_copy(update={"reasons": tuple(reasons), "inputs": inputs})


def frame(ev: Evaluator, fw: Framework, decision: Decision) -> FrameworkResult:
    """Everything of the framework's result but its reasons and inputs (reword)."""
    view, used, words = decision.view, list(decision.used), ev.words
    found = view.outcomes()
    groups = {(k[0], k[1]) for k in found}
    settled = len(groups) == 1
    status, group = next(iter(groups)) if settled else ("insufficient_data", None)
    hsct, only_mrd = _hsct(view)
    shown = view.grouped(ev.questions.join)  # values of one list asked one by one, said together

    def say(key: View) -> str:
        if key[0] == "not_applicable":
            return "does not apply"
        return f"{key[1]}, {words.plain(f'{fw.id}.hsct_in_cr2', key[2])}"

    return FrameworkResult(
        framework=fw.id,
        name=fw.name,
        scheme=fw.scheme,
        status=status,
        group=group,
        hsct_in_cr2="depends_on_mrd" if only_mrd else hsct,
        reasons=(),
        rules=tuple(r.id for r in used),
        inputs=FrozenMap({}),
        missing=missing(ev.questions, shown, fw.short_name, say) if not view.settled else (),
        cautions=tuple(_cautions(used, decision.caution_ids)),
        citations=tuple(dict.fromkeys([*fw.citations, *(c for r in used for c in r.citations)])),
        branches=()
        if view.settled
        else tuple(
            Branch(
                when=conditions(ev.questions, b.when),
                status=b.outcome[0],
                group=b.outcome[1],
                hsct_in_cr2=b.outcome[2],
            )
            for b in shown.branches()
        ),
    )


def evaluate(ev: Evaluator, fw: Framework, world: World) -> FrameworkResult:
    """Decide and say, without sharing anything (the engine shares both parts)."""
    return render(ev, Describer(ev.words), fw, decide(ev, fw, world), world)


_ORDER: list[type] = [TimingRule, Exclusion, GroupRow, HsctRow, CautionRule]


def _hsct(view: Resolution[View]) -> tuple[str | None, bool]:
    """The HSCT rule when every world agrees; whether only MRD after reinduction decides it."""
    found = view.outcomes()
    values = {k[2] for k in found}
    if len(values) == 1:
        return next(iter(values)), False
    if any(k[0] == "not_applicable" for k in found):
        return None, False
    deciding = {q.id for q in view.map(lambda k: k[2]).questions()}
    return None, deciding == {"mrd_end_of_reinduction"}


def _reasons(
    ev: Evaluator,
    fw: Framework,
    used: list[Rule],
    world: World,
    describer: Describer,
    group_settled: bool,
    hsct_settled: bool,
    view: Resolution[View],
) -> list[str]:
    """One sentence per rule used, quoting the case. Where the answer depends on data the
    case does not give, one sentence says what each value would give instead."""
    out: list[str] = []
    words = ev.words
    timing_open = isinstance(world.get(fw.timing_fact), Open)
    for rule in used:
        said = "; ".join(describer.criterion(rule.when.test, world))
        if isinstance(rule, TimingRule):
            lead = "Possible timing" if timing_open else "Timing"
            out.append(f"{lead} {words.plain(fw.timing_fact, rule.category)}: {said}.")
        elif isinstance(rule, Exclusion):
            out.append(f"Does not apply: {rule.reason}")
        elif isinstance(rule, GroupRow) and group_settled:
            out.append(f"Group {rule.group}: {said}." + _note(rule))
        elif isinstance(rule, HsctRow) and hsct_settled:
            detail = "; ".join(
                p
                for p in describer.criterion(rule.when.test, world)
                if not p.startswith(f"{fw.short_name} group")
            )
            out.append(
                f"Transplant in second remission {_hsct_words(words, fw, rule.hsct_in_cr2)}"
                + (f": {detail}." if detail else ".")
                + _note(rule)
            )
    if timing_open and group_settled:
        out.append("The timing is not known, but every timing this case could have gives the same group.")
    if not group_settled:
        out.append(_depends(ev, "Group", view.map(lambda k: k[1] or "does not apply"), str))
    if not hsct_settled and any(k[0] == "assigned" for k in view.outcomes()):
        hsct = view.map(lambda k: k[2] or "")
        out.append(_depends(ev, "Transplant in second remission", hsct, lambda h: _hsct_words(words, fw, h)))
    return out


def _note(rule: Rule) -> str:
    """A row's note, after its reason; an uncertain row's note is its caution instead."""
    return f" {rule.note}" if rule.note and not rule.uncertain else ""


def _hsct_words(words: Any, fw: Framework, value: str) -> str:
    """'indicated', 'not indicated', 'depends on the treatment backbone'."""
    if not value:
        return "does not apply"
    said: str = words.plain(f"{fw.id}.hsct_in_cr2", value)
    return said.removeprefix("transplant ").removesuffix(" in second remission")


def _depends(ev: Evaluator, what: str, view: Resolution[str], say: Callable[[str], str]) -> str:
    branches = [
        f"{say(b.outcome)} if " + " and ".join(c.label for c in conditions(ev.questions, b.when))
        for b in view.grouped(ev.questions.join).branches()
    ]
    return f"{what} depends on data the case does not give: " + "; ".join(branches) + "."


def _inputs(words: Words, used: Iterable[Rule], world: World) -> dict[str, str]:
    """The case's value of each fact the rules used read ("unknown" where it is open); a
    number by its digits, one way for each value (words.figure)."""
    out: dict[str, str] = {}
    for rule in used:
        for leaf in rule.when.test.leaves():
            if "." in leaf.fact:
                continue
            value = world.get(leaf.fact)
            if isinstance(value, Open):
                out[leaf.fact] = "unknown"
            elif value is NA:
                out[leaf.fact] = "not defined"
            elif isinstance(value, bool):
                out[leaf.fact] = "yes" if value else "no"
            elif isinstance(value, Members):
                out[leaf.fact] = ", ".join(sorted(value.present)) or "none"
            elif isinstance(value, int | Decimal):
                out[leaf.fact] = words.figure(leaf.fact, value)
            else:
                out[leaf.fact] = f"{value}"
    return out


def _cautions(used: list[Rule], raised: tuple[tuple[str, ...], ...]) -> list[Caution]:
    out: list[Caution] = []
    for rule in used:
        if isinstance(rule, CautionRule):
            everywhere = all(rule.id in ids for ids in raised)
            prefix = "" if everywhere else "Depending on the missing data: "
            out.append(
                Caution(
                    text=prefix + (unverified(rule.text) if rule.uncertain else rule.text),
                    uncertain=rule.uncertain,
                    rule=rule.id,
                    citations=tuple(rule.citations),
                )
            )
        elif rule.uncertain:
            text = unverified(rule.note or "this row is not confirmed")
            if text not in {c.text for c in out}:
                out.append(Caution(text=text, uncertain=True, rule=rule.id, citations=tuple(rule.citations)))
    return out
