"""An option's status for one case: its requirements, then its decision list, three-valued.

Requirements that fail make the option `not_eligible`. Otherwise the first rule whose
criteria all hold decides; a rule that might hold (some criterion unknown) keeps its status
among the possibilities and evaluation goes on. When every possibility is the same status
it is given; otherwise the status is `insufficient_data` and the unknown criteria name
the fields that would decide it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rrall.knowledge.clinical import EvidenceItem, OptionStatus, Therapy
from rrall.options.memo import remember, shared
from rrall.options.model import CumulativeAnthracycline, EvidenceRef, OptionResult
from rrall.risk.model import Caution, Missing
from rrall.rules.check import CriterionResult, overall
from rrall.rules.index import CriteriaIndex
from rrall.typed import build

STATUS_ORDER: dict[str, int] = {
    "standard": 0, "consider": 1, "clinical_trial": 2, "insufficient_data": 3,
    "not_recommended": 4, "not_eligible": 5,
}


Pick = Callable[[tuple[CriterionResult, ...]], tuple[CriterionResult, ...]]


@dataclass(frozen=True)
class Plan:
    """How one option reads a case's criterion results: which, and how they split into its
    requirements, each rule and each caution."""

    therapy: Therapy
    evidence: tuple[EvidenceItem, ...]
    pick: Pick
    sizes: tuple[int, ...]
    reads_refractory: bool

    @classmethod
    def build(cls, therapy: Therapy, evidence: Sequence[EvidenceItem], index: CriteriaIndex) -> Plan:
        blocks = [therapy.requires, *(r.when for r in therapy.rules), *(c.when for c in therapy.cautions)]
        return cls(therapy, tuple(evidence), index.getter(blocks), tuple(len(b.frozen) for b in blocks),
                   index.reads(blocks, "refractory"))


def evaluate_option(plan: Plan, results: tuple[CriterionResult, ...], anthracycline: CumulativeAnthracycline,
                    memo: dict[Any, Any]) -> OptionResult:
    """The option's status for this case; shared with every case whose criteria give the
    same results (each criterion's wording already carries what the reader needs)."""
    therapy = plan.therapy
    doses = None
    if therapy.contains_anthracycline:
        doses = (anthracycline.table, anthracycline.status,
                 tuple((c.rule, c.uncertain) for c in anthracycline.cautions))
    flat = plan.pick(results)
    key, found = shared(memo, ("option", therapy.id, doses), flat)
    if found is None:
        parts, start = [], 0
        for size in plan.sizes:
            parts.append(list(flat[start:start + size]))
            start += size
        required, by_rule = parts[0], parts[1:1 + len(therapy.rules)]
        by_caution = parts[1 + len(therapy.rules):]
        found = _decide(therapy, required, by_rule, by_caution, plan.evidence, anthracycline)
        remember(memo, key, (flat, found))
    return found  # type: ignore[no-any-return]


def _decide(therapy: Therapy, required: list[CriterionResult], by_rule: list[list[CriterionResult]],
            by_caution: list[list[CriterionResult]], evidence: Sequence[EvidenceItem],
            anthracycline: CumulativeAnthracycline) -> OptionResult:
    citations: list[str] = list(therapy.requires_citations)
    cautions: list[Caution] = []
    gate = overall(required)
    possible: list[tuple[OptionStatus, str]] = []  # (status, rule id) in decision-list order
    open_criteria: list[CriterionResult] = [r for r in required if r.result == "unknown"]
    reasons: list[str] = []
    if gate == "not_met":
        reasons = ["Not eligible: " + "; ".join(r.detail for r in required if r.result == "not_met")]
        return _result(therapy, "not_eligible", "requires", reasons, cautions, evidence, citations, [])
    if gate == "unknown":
        possible.append(("not_eligible", "requires"))
    decided = None
    for rule, results in zip(therapy.rules, by_rule, strict=True):
        verdict = overall(results)
        if verdict == "not_met":
            continue
        possible.append((rule.status, rule.id))
        if verdict == "unknown":
            open_criteria.extend(r for r in results if r.result == "unknown")
            continue
        decided = (rule, results)
        break
    else:
        possible.append((therapy.default.status, "default"))
    statuses = {status for status, _ in possible}
    if len(statuses) == 1 and decided is not None:
        rule, results = decided
        reasons = [rule.reason, *(f"{r.result.replace('_', ' ')}: {r.detail}" for r in [*required, *results])]
        citations.extend(rule.citations)
        if rule.uncertain:
            cautions.append(Caution(text="The brief marks this rule uncertain; check it against the sources.",
                                    uncertain=True, rule=rule.id, citations=list(rule.citations)))
        status, rule_id = rule.status, rule.id
    elif len(statuses) == 1:
        default = therapy.default
        reasons = [default.reason, *(f"met: {r.detail}" for r in required)]
        citations.extend(default.citations)
        if default.uncertain:
            cautions.append(Caution(text="The brief marks this uncertain; check it against the sources.",
                                    uncertain=True, rule=f"{therapy.id}.default",
                                    citations=list(default.citations)))
        status, rule_id = default.status, "default"
    else:
        status, rule_id = "insufficient_data", "undecided"
        outcomes = " or ".join(dict.fromkeys(s.replace("_", " ") for s, _ in possible))
        reasons = [f"Could be {outcomes}, depending on data the case does not give.",
                   *(f"unknown: {r.detail}" for r in open_criteria)]
        for rule in therapy.rules:
            citations.extend(rule.citations)
    missing = []
    if status == "insufficient_data":
        decides = f"{therapy.id}: {' or '.join(sorted(statuses))}"
        fields = dict.fromkeys(r.field for r in open_criteria if r.field)
        missing = [Missing(field=f, decides=decides) for f in fields]
    for caution, results in zip(therapy.cautions, by_caution, strict=True):
        verdict = overall(results)
        if verdict == "not_met":
            continue
        prefix = "" if verdict == "met" else "May apply (data not recorded): "
        cautions.append(Caution(text=prefix + caution.text, uncertain=caution.uncertain, rule=caution.id,
                                citations=list(caution.citations)))
    if therapy.contains_anthracycline and status not in ("not_eligible", "not_recommended"):
        cautions.extend(c for c in anthracycline.cautions if c.rule != anthracycline.table)
        citations.extend(anthracycline.citations)
    return _result(therapy, status, rule_id, reasons, cautions, evidence, citations, missing)


def _result(therapy: Therapy, status: OptionStatus, rule: str, reasons: list[str], cautions: list[Caution],
            evidence: Sequence[EvidenceItem], citations: list[str], missing: list[Missing]) -> OptionResult:
    # The evidence shown is the evidence behind this answer: the items from the sources its
    # rule and cautions cite (`rrall knowledge show` lists all of an option's evidence). An
    # option the child is not eligible for lists why, not the evidence for giving it.
    every = [*citations, *(c for k in cautions for c in k.citations)]
    basis = set(every)
    shown = () if status == "not_eligible" else tuple(e for e in evidence if e.citation in basis)
    refs = _refs(shown)
    return build(OptionResult,
        id=therapy.id, name=therapy.name, phase=therapy.phase, status=status, rule=rule, reasons=reasons,
        cautions=cautions, evidence=refs, citations=list(dict.fromkeys(every)), missing=missing)


def sort_options(options: list[OptionResult]) -> list[OptionResult]:
    """Standard first, then consider, trial, undecided, not recommended, not eligible."""
    return sorted(options, key=lambda o: STATUS_ORDER[o.status])


_REFS: dict[tuple[int, ...], tuple[tuple[EvidenceItem, ...], list[EvidenceRef]]] = {}


def _refs(items: tuple[EvidenceItem, ...]) -> list[EvidenceRef]:
    """Evidence references for an option, built once (knowledge objects live as long as
    their knowledge base; the entry keeps them alive, so ids stay theirs)."""
    key = tuple(map(id, items))
    hit = _REFS.get(key)
    if hit is None:
        refs = [build(EvidenceRef, id=e.id, level=e.level, claim=e.statement, citation=e.citation,
                                            uncertain=e.uncertain) for e in items]
        hit = _REFS[key] = (items, refs)
    return hit[1]
