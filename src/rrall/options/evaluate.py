"""An option's status for one case: its requirement, then its decision list, over every
world the open questions allow.

The requirement failing makes the option `not_eligible`; otherwise the first rule whose
criterion holds decides, else the default. When every world gives the same status it is
given (with each rule that gave it); otherwise the status is `insufficient_data`, with
the conditional answers (branches) and, for each open field, what its values would give.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from rrall.criteria.describe import Describer
from rrall.criteria.evaluator import Evaluator
from rrall.criteria.outcome import conditions, missing
from rrall.knowledge.clinical import OptionCaution, Phase, Therapy
from rrall.logic.resolve import Resolution, resolve
from rrall.logic.values import Question
from rrall.logic.world import World
from rrall.options.labels import Verdict, decide_labels, label_statuses
from rrall.results import (
    Branch,
    Caution,
    CumulativeAnthracycline,
    EvidenceRef,
    Missing,
    OptionResult,
    unverified,
)

STATUS_ORDER: dict[str, int] = {
    "standard": 0,
    "consider": 1,
    "clinical_trial": 2,
    "insufficient_data": 3,
    "not_recommended": 4,
    "not_eligible": 5,
}
Key = tuple[str, str]  # status, rule id

UNCONFIRMED = "the sources read do not confirm the reason given for this status."


def decide(therapy: Therapy, world: World) -> Key | Question:
    verdict = therapy.requires.test.test(world)
    if isinstance(verdict, Question):
        return verdict
    if not verdict:
        return "not_eligible", "requires"
    for rule in therapy.rules:
        verdict = rule.when.test.test(world)
        if isinstance(verdict, Question):
            return verdict
        if verdict:
            return rule.status, rule.id
    return therapy.default.status, "default"


@dataclass(frozen=True)
class Decision:
    """What an option's decision list gives for a case, before it is put in words."""

    statuses: Resolution[str]
    used: tuple[str, ...]  # the rule ids (or "requires", "default") some world reached
    cautions: tuple[
        tuple[OptionCaution, tuple[str, ...] | None], ...
    ]  # shown; None: surely, else the open fields
    facts: tuple[str, ...]  # the case facts the words quote
    labels: tuple[Verdict, ...] = ()  # each regulatory label: within it, outside it, or open


def decide_option(ev: Evaluator, therapy: Therapy, world: World) -> Decision:
    return join_option(
        therapy,
        decide_statuses(therapy, world),
        decide_cautions(therapy, world),
        decide_labels(ev.kb.labels.get(therapy.id, ()), world),
    )


# The three parts of an option's decision each read their own facts (the engine keeps each
# under the bands of those facts only, so they are shared by more cases than the whole).
def decide_statuses(therapy: Therapy, world: World) -> Resolution[Key]:
    """The requirement and decision list over the worlds of the open facts."""
    return resolve(world, partial(decide, therapy))


Shown = tuple[tuple[OptionCaution, tuple[str, ...] | None], ...]


def decide_cautions(therapy: Therapy, world: World) -> Shown:
    """Each caution that surely applies (None) or may (the fields that would tell)."""
    shown: list[tuple[OptionCaution, tuple[str, ...] | None]] = []
    for caution in therapy.cautions:
        when = resolve(world, caution.when.test.test)
        if when.settled:
            if when.outcome:
                shown.append((caution, None))
        else:
            shown.append((caution, tuple(dict.fromkeys(q.field for q in when.questions()))))
    return tuple(shown)


def join_option(
    therapy: Therapy, resolution: Resolution[Key], cautions: Shown, labels: tuple[Verdict, ...]
) -> Decision:
    statuses = resolution.map(lambda key: key[0])
    used = tuple(dict.fromkeys(key[1] for key in resolution.outcomes()))
    shown = () if statuses.settled and statuses.outcome == "not_eligible" else cautions
    rules = {r.id: r for r in therapy.rules}
    described = [therapy.requires, *(rules[i].when for i in used if i in rules)]
    facts = tuple(sorted({leaf.fact for c in described for leaf in c.test.leaves()}))
    return Decision(statuses, used, shown, facts, labels)


def render_option(
    ev: Evaluator,
    describe: Describer,
    therapy: Therapy,
    decision: Decision,
    world: World,
    doses: CumulativeAnthracycline,
) -> OptionResult:
    return reword_option(describe, therapy, option_frame(ev, therapy, decision, doses), decision, world)


def reword_option(
    describe: Describer, therapy: Therapy, frame: OptionResult, decision: Decision, world: World
) -> OptionResult:
    """The frame with its reasons quoting this case (the only part that reads the case's
    values, so the engine keeps one frame per decision and rewords it per case)."""
    if not decision.statuses.settled:
        return frame
    used = decision.used
    rules = {r.id: r for r in therapy.rules}
    reasons = list(frame.reasons[:1]) if len(used) > 1 else []
    for rid in used:
        if rid == "requires":  # only what the child does not meet
            unmet = describe.criterion(therapy.requires.test, world, unmet=True)
            reasons.append("Not eligible: " + "; ".join(unmet))
            continue
        rule = rules.get(rid)
        source = rule or therapy.default
        said = describe.criterion(therapy.requires.test, world)
        if rule:
            said += describe.criterion(rule.when.test, world)
        reasons.append(("" if len(used) == 1 else "In some possible cases: ") + source.reason.strip())
        reasons += list(dict.fromkeys(said))
    return frame.model_copy(update={"reasons": tuple(reasons)})


def option_frame(
    ev: Evaluator, therapy: Therapy, decision: Decision, doses: CumulativeAnthracycline
) -> OptionResult:
    """Everything of the option's result but the reasons quoting the case (reword_option)."""
    statuses, used = decision.statuses, list(decision.used)
    rules = {r.id: r for r in therapy.rules}
    glossary = ev.words.glossary
    citations: list[str] = list(therapy.requires_citations)
    cautions: list[Caution] = []
    branches: tuple[Branch, ...] = ()
    gaps: tuple[Missing, ...] = ()
    if statuses.settled:
        status, rule_id = statuses.outcome, used[0] if len(used) == 1 else "several"
        reasons: list[str] = []
        for rid in used:
            if rid == "requires":
                continue
            rule = rules.get(rid)
            source = rule or therapy.default
            citations += source.citations
            if source.uncertain:
                cautions.append(
                    Caution(
                        text=unverified(source.uncertain_note or UNCONFIRMED),
                        uncertain=True,
                        rule=rid if rule else f"{therapy.id}.default",
                        citations=tuple(source.citations),
                    )
                )
        if len(used) > 1:
            reasons.insert(
                0, f"{glossary.value('option_status', status)} in every case the missing data allow."
            )
    else:
        status, rule_id = "insufficient_data", "undecided"
        shown = statuses.grouped(ev.questions.join)  # mutations asked one by one, said together
        branches = tuple(
            Branch(when=conditions(ev.questions, b.when), status=b.outcome) for b in shown.branches()
        )
        said = [
            f"{glossary.value('option_status', b.status).lower()} if " + " and ".join(c.label for c in b.when)
            for b in branches
        ]
        reasons = ["Depends on data the case does not give: " + "; ".join(said) + "."]
        gaps = missing(
            ev.questions, shown, therapy.name, lambda s: glossary.value("option_status", s).lower()
        )
        citations += [c for rule in therapy.rules if rule.id in used for c in rule.citations]
    for caution, fields in decision.cautions:
        prefix = (
            ""
            if fields is None
            else (f"May apply (depends on {', '.join(glossary.field(f) for f in fields)}, not recorded): ")
        )
        cautions.append(
            Caution(
                text=prefix + (unverified(caution.text) if caution.uncertain else caution.text.strip()),
                uncertain=caution.uncertain,
                rule=caution.id,
                citations=tuple(caution.citations),
            )
        )
    if therapy.contains_anthracycline and status not in ("not_eligible", "not_recommended"):
        cautions += [c for c in doses.cautions if c.rule != doses.table]
        citations += doses.citations
    labels = label_statuses(decision.labels, ev.kb.regions)
    every = [*citations, *(c for k in cautions for c in k.citations)]
    every += [c for x in labels for c in x.citations]
    return OptionResult(
        id=therapy.id,
        name=therapy.name,
        phase=option_phase(therapy, used),
        status=status,
        rule=rule_id,
        reasons=tuple(reasons),
        cautions=tuple(cautions),
        evidence=_evidence(ev.evidence[therapy.id], set(every), status),
        citations=tuple(dict.fromkeys(every)),
        missing=gaps,
        branches=branches,
        labels=labels,
    )


def option_phase(therapy: Therapy, used: Sequence[str]) -> Phase:
    """The phase of treatment the answer belongs to: the one every row some world reached
    gives (a row's own phase, else the therapy's), else the therapy's usual phase. A
    requirement that fails gives none: being ineligible belongs to no phase."""
    rules = {r.id: r for r in therapy.rules}
    phases = {(rules[i].phase if i in rules else None) or therapy.phase for i in used if i != "requires"}
    return phases.pop() if len(phases) == 1 else therapy.phase


def evaluate_option(
    ev: Evaluator, therapy: Therapy, world: World, doses: CumulativeAnthracycline
) -> OptionResult:
    """Decide and say, without sharing anything (the engine shares both parts)."""
    return render_option(ev, Describer(ev.words), therapy, decide_option(ev, therapy, world), world, doses)


def _evidence(items: tuple[EvidenceRef, ...], basis: set[str], status: str) -> tuple[EvidenceRef, ...]:
    # The evidence shown is the evidence behind this answer: the items from the sources its
    # rule and cautions cite (`rrall knowledge show` lists all of an option's evidence). An
    # option the child is not eligible for lists why, not the evidence for giving it.
    if status == "not_eligible":
        return ()
    return tuple(e for e in items if e.citation in basis)


def sort_options(options: list[OptionResult]) -> list[OptionResult]:
    """Standard first, then consider, trial, undecided, not recommended, not eligible."""
    return sorted(options, key=lambda o: STATUS_ORDER[o.status])
