"""The knowledge lint: every check that spans files, every problem reported at once.

Beyond each file's schema (knowledge/model.py) it checks that citations resolve and every
reference is used, that ids are unique, that conditions name known facts with values in
their domain, and that every decision table is a unique-hit table: over the whole domain
of the facts it reads, exactly one row matches (no gaps, no overlaps, no dead rows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import product
from pathlib import Path
from typing import Any

from rrall.errors import KnowledgeError
from rrall.knowledge.family import lint_family
from rrall.knowledge.lint_clinical import clinical_citations, lint_clinical
from rrall.knowledge.lint_glossary import lint_glossary
from rrall.knowledge.load import KnowledgeBase, all_rules, load_knowledge, read_yaml
from rrall.knowledge.model import Framework, Rule
from rrall.rules.conditions import all_hold
from rrall.rules.facts import FACTS


def lint(root: Path) -> list[str]:
    try:
        kb = load_knowledge(root)
    except KnowledgeError as exc:
        return exc.problems
    problems: list[str] = []
    problems += _references(kb)
    problems += _unique_ids(kb)
    problems += _manifest(kb)
    problems += lint_clinical(kb, _raw_ids(root))
    problems += _trials(root)
    problems += lint_glossary(kb)
    problems += lint_family(root, set(kb.therapies), set(kb.references))
    for fw in kb.frameworks.values():
        problems += _facts(f"frameworks/{fw.id}.yaml", [*fw.not_applicable, *fw.rows], ())
        problems += _facts(f"frameworks/{fw.id}.yaml", [*fw.hsct_rules, *fw.cautions], fw.groups)
        problems += _framework(kb, fw)
    for scheme in kb.classification.timing_schemes:
        where = f"classification.yaml: timing scheme {scheme.id}"
        problems += _facts(where, scheme.rules, ())
        problems += _unique_hit(where, scheme.rules, kb, {})
    return problems


def _cited(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(where, reference id) for every citation in the knowledge base."""
    site = kb.classification.site
    cited = [("classification.yaml: site", c) for c in [*site.citations, *site.warning_citations]]
    for fw in kb.frameworks.values():
        cited += [(f"frameworks/{fw.id}.yaml", c) for c in [*fw.citations, *fw.crosswalk.citations]]
    cited += [(f"rule {r.id}", c) for r in all_rules(kb) for c in r.citations]
    return cited + clinical_citations(kb)


def _trials(root: Path) -> list[str]:
    """Curated trial records: schema, unique ids, a source for each, dates not in the future."""
    from datetime import date

    from rrall.trials.registry import load_curated

    try:
        trials = load_curated(root / "trials")
    except KnowledgeError as exc:
        return exc.problems
    problems = [f"trials: id {tid!r} is used {n} times" for tid, n in Counter(t.id for t in trials).items()
                if n > 1]
    for t in trials:
        if not t.sources:
            problems.append(f"trials: {t.id}: no source")
        if t.status_as_of and t.status_as_of > date.today():
            problems.append(f"trials: {t.id}: status_as_of {t.status_as_of} is in the future")
        if not t.curated:
            problems.append(f"trials: {t.id}: records shipped in knowledge/trials/ are curated")
    return problems


def _raw_ids(root: Path) -> dict[str, list[str]]:
    """Ids as written in each list file (loading keys them by id, which hides duplicates)."""
    lists = {"therapies.yaml": "therapies", "evidence.yaml": "evidence", "prognosis.yaml": "estimates",
             "references.yaml": "references"}
    found: dict[str, list[str]] = {}
    for name, key in lists.items():
        data = read_yaml(root / name, [])
        found[name] = [str(item.get("id")) for item in (data or {}).get(key, []) if isinstance(item, dict)]
    return found


def _references(kb: KnowledgeBase) -> Iterable[str]:
    cited = _cited(kb)
    for where, ref in cited:
        if ref not in kb.references:
            yield f"{where}: cites {ref!r}, which is not in references.yaml"
    used = {ref for _, ref in cited}
    for ref in kb.references:
        if ref not in used:
            yield f"references.yaml: {ref!r} is not cited anywhere"


def _unique_ids(kb: KnowledgeBase) -> Iterable[str]:
    ids = Counter([r.id for r in all_rules(kb)])
    ids.update(ref for ref in kb.references)
    for rule_id, count in ids.items():
        if count > 1:
            yield f"id {rule_id!r} is used {count} times; ids must be unique"


def _manifest(kb: KnowledgeBase) -> Iterable[str]:
    listed, found = set(kb.manifest.frameworks), set(kb.frameworks)
    for name in sorted(listed - found):
        yield f"manifest.yaml: framework {name!r} has no file in frameworks/"
    for name in sorted(found - listed):
        yield f"frameworks/{name}.yaml: not listed in manifest.yaml frameworks"


def _facts(where: str, rules: Sequence[Rule], groups: Sequence[str]) -> Iterable[str]:
    for rule in rules:
        for c in rule.conditions:
            fact = FACTS.get(c.fact)
            if fact is None:
                yield f"{where}: rule {rule.id}: unknown fact {c.fact!r} (known: {', '.join(FACTS)})"
                continue
            operands = c.operand if c.op == "in" else (c.operand,)
            if fact.kind == "number":
                if c.op in ("eq", "in") and not all(isinstance(v, int) for v in operands):
                    yield f"{where}: rule {rule.id}: {c.fact} is a number"
                continue
            if c.op in ("below", "at_least"):
                yield f"{where}: rule {rule.id}: {c.fact} is not a number; it has no bounds"
            allowed: Sequence[Any] = groups if c.fact == "group" else fact.values or (True, False)
            for value in operands:
                if value not in allowed or isinstance(value, bool) != (fact.kind == "bool"):
                    yield f"{where}: rule {rule.id}: {c.fact} = {value!r} is not one of {list(allowed)}"


def _framework(kb: KnowledgeBase, fw: Framework) -> Iterable[str]:
    where = f"frameworks/{fw.id}.yaml"
    for row in fw.rows:
        if row.group not in fw.groups:
            yield f"{where}: row {row.id}: group {row.group!r} is not one of {fw.groups}"
    for group in fw.groups:
        if not any(r.group == group for r in fw.rows):
            yield f"{where}: group {group!r} is assigned by no row"
    if set(fw.crosswalk.tiers) != set(fw.groups):
        yield f"{where}: crosswalk tiers name {sorted(fw.crosswalk.tiers)}, not the groups {fw.groups}"
    if fw.timing_fact not in {s.fact for s in kb.classification.timing_schemes}:
        yield f"{where}: timing_fact {fw.timing_fact!r} has no timing scheme"
    yield from _unique_hit(f"{where} rows", fw.rows, kb, {})
    yield from _unique_hit(f"{where} hsct_rules", fw.hsct_rules, kb, {"group": tuple(fw.groups)})


def _domain(fact: str, kb: KnowledgeBase, extra: dict[str, tuple[Any, ...]]) -> tuple[Any, ...]:
    if fact in extra:
        return extra[fact]
    spec = FACTS[fact]
    if spec.kind == "bool":
        return (True, False)
    if spec.kind == "enum":
        return spec.values
    return kb.thresholds.get(fact, (Decimal(0),))


def _unique_hit(where: str, rules: Sequence[Rule], kb: KnowledgeBase,
                extra: dict[str, tuple[Any, ...]]) -> list[str]:
    names = sorted({c.fact for r in rules for c in r.conditions if c.fact in FACTS or c.fact in extra})
    problems: list[str] = []
    hits_per_rule: Counter[str] = Counter()
    for values in product(*(_domain(n, kb, extra) for n in names)):
        world = dict(zip(names, values, strict=True))
        hits = [r.id for r in rules if all_hold(r.conditions, world)]
        hits_per_rule.update(hits)
        if len(hits) != 1 and len(problems) < 10:
            shown = ", ".join(f"{k}={v}" for k, v in world.items())
            problems.append(f"{where}: {shown} matches {', '.join(hits) or 'no row'}; "
                            "exactly one row must match")
    problems += [f"{where}: rule {r.id} can never match" for r in rules if not hits_per_rule[r.id]]
    return problems
