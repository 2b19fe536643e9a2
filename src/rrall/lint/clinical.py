"""Lint checks for the clinical knowledge: options, evidence, prognosis, doses, work-up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rrall.knowledge.load import KnowledgeBase
from rrall.options.workup import FIELD_PRESENT, finding_problems
from rrall.vocabulary import Anthracycline, values


def clinical_citations(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(where, reference id) for every citation in the clinical files."""
    cited: list[tuple[str, str]] = []
    for t in kb.therapies.values():
        where = f"therapies.yaml: {t.id}"
        cited += [(where, c) for c in t.requires_citations]
        cited += [(f"{where} rule {r.id}", c) for r in t.rules for c in r.citations]
        cited += [(f"{where} default", c) for c in t.default.citations]
        cited += [(f"{where} caution {k.id}", c) for k in t.cautions for c in k.citations]
    cited += [(f"evidence.yaml: {e.id}", e.citation) for e in kb.evidence.values()]
    cited += [(f"prognosis.yaml: {p.id}", p.citation) for p in kb.prognosis]
    doses = kb.anthracyclines
    cited += [(f"anthracyclines.yaml: {t.id}", c) for t in doses.tables for c in t.citations]
    cited += [(f"anthracyclines.yaml: {t.id}", c) for t in doses.thresholds for c in t.citations]
    cited += [(f"workup.yaml: {w.id}", c) for w in kb.workup for c in w.citations]
    cited += [(f"workup.yaml: {w.id}: if_found", c)
              for w in kb.workup if w.if_found for c in w.if_found.citations]
    labels = [label for found in kb.labels.values() for label in found]
    cited += [(f"labels.yaml: {label.id}", c) for label in labels for c in label.citations]
    return cited


def lint_clinical(kb: KnowledgeBase, raw_ids: dict[str, list[str]]) -> Iterable[str]:
    for where, ids in raw_ids.items():
        for name, count in Counter(ids).items():
            if count > 1:
                yield f"{where}: id {name!r} is used {count} times; ids must be unique"
    rule_ids = Counter(r.id for t in kb.therapies.values() for r in t.rules)
    for rule_id, count in rule_ids.items():
        if count > 1:
            yield f"therapies.yaml: rule id {rule_id!r} is used {count} times"
    for t in kb.therapies.values():
        for caution, count in Counter(k.id for k in t.cautions).items():
            if count > 1:
                yield f"therapies.yaml: {t.id}: caution id {caution!r} is used {count} times"
        for rule in t.rules:
            if rule.phase == t.phase:
                yield (f"therapies.yaml: {t.id}: rule {rule.id}: phase {rule.phase!r} is the therapy's own; "
                       "give a row's phase only where its use differs")
        if t.requires.reads and not t.requires_citations:
            yield f"therapies.yaml: {t.id}: requirements need requires_citations (the source of the limits)"
        if not kb.evidence_for(t.id):
            yield f"therapies.yaml: {t.id}: no evidence item in evidence.yaml links to this option"
    for therapy_id, labels in kb.labels.items():
        if therapy_id not in kb.therapies:
            yield f"labels.yaml: {', '.join(label.id for label in labels)}: unknown therapy {therapy_id!r}"
        for label in labels:
            if label.region not in kb.regions:
                yield f"labels.yaml: {label.id}: region {label.region} is not listed under regions"
    for e in kb.evidence.values():
        for therapy in e.therapies:
            if therapy not in kb.therapies:
                yield f"evidence.yaml: {e.id}: links unknown therapy {therapy!r}"
        if e.uncertain and not e.uncertain_note:
            yield f"evidence.yaml: {e.id}: uncertain items need an uncertain_note saying why"
    doses = kb.anthracyclines
    if doses.default_table not in {t.id for t in doses.tables}:
        yield f"anthracyclines.yaml: default_table {doses.default_table!r} is not a table id"
    for table in doses.tables:
        for agent in sorted(set(values(Anthracycline)) - set(table.factors)):
            yield (f"anthracyclines.yaml: {table.id}: no entry for {agent} "
                   "(write null if the source gives none)")
        for agent, factor in table.factors.items():
            if isinstance(factor, tuple) and factor[0] > factor[1]:
                yield f"anthracyclines.yaml: {table.id}: {agent} range is reversed"
    for item in kb.workup:
        for field in item.fields:
            if field not in FIELD_PRESENT:
                yield (f"workup.yaml: {item.id}: field {field!r} is not one rrall can check "
                       f"({', '.join(FIELD_PRESENT)})")
        for fact in item.until_recorded:
            if kb.facts.facts.get(fact) is None or kb.facts.facts[fact].field not in item.fields:
                yield f"workup.yaml: {item.id}: until_recorded {fact!r} is not a fact read from its fields"
    yield from finding_problems(kb)
    for p in kb.prognosis:
        # A survival or incidence figure means little without its time point: where the
        # source gives none, the note must say so, never leave a reader to assume one.
        if p.timepoint is None and p.endpoint not in ("CR", "CR2") and "timepoint" not in (p.note or ""):
            yield f"prognosis.yaml: {p.id}: no timepoint, and its note does not say the source gives none"
        if p.ci_percent and p.ci_percent[0] > p.ci_percent[1]:
            yield f"prognosis.yaml: {p.id}: confidence interval is reversed"
