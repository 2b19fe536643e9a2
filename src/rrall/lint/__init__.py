"""The knowledge lint: every check that spans files, every problem reported at once.

Beyond each file's schema (knowledge/model.py) it checks that citations resolve and every
reference is used, that ids are unique, that conditions name known facts with values in
their domain, and that every decision table is a unique-hit table: over the whole domain
of the facts it reads, exactly one row matches (no gaps, no overlaps, no dead rows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import partial
from itertools import combinations, product
from pathlib import Path
from typing import Any

from rrall.errors import KnowledgeError
from rrall.knowledge.family import lint_family
from rrall.knowledge.load import KnowledgeBase, load_knowledge, read_yaml
from rrall.knowledge.model import Framework, Rule
from rrall.lint.clinical import clinical_citations, lint_clinical
from rrall.lint.glossary import lint_glossary
from rrall.lint.sources import lint_sources
from rrall.logic.criteria import All, Criterion, Has, Not
from rrall.logic.values import NA, Alternative, Members, Open, Question, Value, member_fact
from rrall.logic.world import World


def lint(root: Path) -> list[str]:
    try:
        kb = load_knowledge(root)
    except KnowledgeError as exc:
        return exc.problems
    problems: list[str] = []
    problems += _references(kb)
    problems += lint_sources(kb.references.values())
    problems += _unique_ids(kb)
    problems += _manifest(kb)
    problems += lint_clinical(kb, _raw_ids(root))
    problems += _trials(root)
    problems += lint_glossary(kb)
    problems += lint_family(root, set(kb.therapies), set(kb.references), kb.family_outlook)
    for fw in kb.frameworks.values():
        problems += _framework(kb, fw)
    for scheme in kb.classification.timing_schemes:
        problems += _unique_hit(f"classification.yaml: timing scheme {scheme.id}", scheme.rules, kb)
    problems += _decision_lists(kb)
    return problems


def _cited(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(where, reference id) for every citation in the knowledge base."""
    site = kb.classification.site
    cited = [("classification.yaml: site", c) for c in [*site.citations, *site.warning_citations]]
    for fw in kb.frameworks.values():
        cited += [(f"frameworks/{fw.id}.yaml", c) for c in [*fw.citations, *fw.crosswalk.citations]]
    cited += [(f"rule {r.id}", c) for r in _rules(kb) for c in r.citations]
    cited += [("facts.yaml: acquired_at_relapse", c) for c in kb.facts.acquired_at_relapse.citations]
    return cited + clinical_citations(kb)


def _trials(root: Path) -> list[str]:
    """Curated trial records: schema, unique ids, a source for each, dates not in the future."""
    from datetime import date

    from rrall.trials.registry import load_curated

    try:
        trials = load_curated(root / "trials", load_knowledge(root).grammar)
    except KnowledgeError as exc:
        return exc.problems
    problems = [
        f"trials: id {tid!r} is used {n} times" for tid, n in Counter(t.id for t in trials).items() if n > 1
    ]
    for t in trials:
        if not t.sources:
            problems.append(f"trials: {t.id}: no source")
        if t.status_as_of and t.status_as_of > date.today():
            problems.append(f"trials: {t.id}: status_as_of {t.status_as_of} is in the future")
        if not t.curated:
            problems.append(f"trials: {t.id}: records shipped in knowledge/trials/ are curated")
    return problems


def _rules(kb: KnowledgeBase) -> list[Rule]:
    rules: list[Rule] = [r for s in kb.classification.timing_schemes for r in s.rules]
    return rules + [r for fw in kb.frameworks.values() for r in fw.rules()]


def _raw_ids(root: Path) -> dict[str, list[str]]:
    """Ids as written in each list file (loading keys them by id, which hides duplicates)."""
    lists = {
        "therapies.yaml": "therapies",
        "evidence.yaml": "evidence",
        "prognosis.yaml": "estimates",
        "references.yaml": "references",
    }
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
    ids = Counter([r.id for r in _rules(kb)])
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
    names = Counter(r.name.casefold() for r in kb.manifest.reviewers)
    for reviewer in kb.manifest.reviewers:
        if names[reviewer.name.casefold()] > 1:
            yield f"manifest.yaml: reviewer {reviewer.name!r} is listed more than once"
        if reviewer.approved > kb.manifest.released:
            yield (f"manifest.yaml: reviewer {reviewer.name!r} approved on {reviewer.approved}, after the "
                   f"release date {kb.manifest.released}; approval comes before release")
    if not kb.manifest.reviewers and not kb.manifest.review_note:
        yield "manifest.yaml: no reviewers are listed; say so in review_note (who has reviewed it, if anyone)"


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
    yield from _unique_hit(f"{where} rows", fw.rows, kb)
    yield from _unique_hit(f"{where} hsct_rules", fw.hsct_rules, kb)


def _domain(kb: KnowledgeBase, fact: str, derived_na: bool) -> tuple[Any, ...]:
    """Every value a fact can take that a criterion can tell apart (numbers: one per
    interval between the bounds criteria compare it with; list facts: each value tested
    present or absent)."""
    spec = kb.grammar.facts[fact]
    if spec.kind == "bool":
        return (True, False)
    if spec.kind == "number":
        return tuple(sorted({Decimal(0), *kb.thresholds.get(fact, ())}))
    if spec.kind == "set":
        tested = sorted(
            {
                v
                for when in kb.criteria()
                for leaf in when.test.leaves()
                if isinstance(leaf, Has) and leaf.fact == fact
                for v in leaf.values
            }
        )
        return tuple(
            Members(frozenset(chosen), frozenset(), _no_question)
            for n in range(len(tested) + 1)
            for chosen in combinations(tested, n)
        )
    values = tuple(sorted(spec.values or ()))
    # A table is read only where its derived inputs exist; an option may meet them undefined.
    derived = "." in fact or fact.startswith("timing_")
    return (*values, NA) if derived and derived_na else values


def _no_question(value: str) -> Question:
    raise AssertionError("lint worlds are fully known")


def _worlds(kb: KnowledgeBase, facts: Sequence[str], derived_na: bool = False) -> Iterator[World]:
    for values in product(*(_domain(kb, f, derived_na) for f in facts)):
        yield World(dict(zip(facts, values, strict=True)), {})


def _unique_hit(where: str, rules: Sequence[Rule], kb: KnowledgeBase) -> list[str]:
    """Over every combination of the facts the table reads, exactly one row matches."""
    names = sorted(frozenset().union(*(r.when.reads for r in rules)))
    problems: list[str] = []
    hits_per_rule: Counter[str] = Counter()
    for world in _worlds(kb, names):
        hits = [r.id for r in rules if r.when.test.test(world) is True]
        hits_per_rule.update(hits)
        if len(hits) != 1 and len(problems) < 10:
            shown = ", ".join(f"{k}={world.get(k)}" for k in names)
            problems.append(
                f"{where}: {shown} matches {', '.join(hits) or 'no row'}; exactly one row must match"
            )
    problems += [f"{where}: rule {r.id} can never match" for r in rules if not hits_per_rule[r.id]]
    return problems


def _decision_lists(kb: KnowledgeBase) -> Iterable[str]:
    """A rule of an option's decision list that can never decide (every case it matches
    fails the requirement or is decided by an earlier rule) is a mistake."""
    for therapy in kb.therapies.values():
        before: list[Criterion] = [therapy.requires.test]
        for rule in therapy.rules:
            if not _satisfiable(kb, All((*before, rule.when.test))):
                yield (
                    f"therapies.yaml: {therapy.id}: rule {rule.id} can never decide "
                    "(the requirement or an earlier rule always comes first)"
                )
            before.append(Not(rule.when.test))


def _satisfiable(kb: KnowledgeBase, criterion: Criterion) -> bool:
    """Whether some case meets `criterion`: every fact starts open and only the facts that
    keep it undecided are tried, value by value (three-valued search)."""
    base: dict[str, Value] = {}
    for fact in criterion.reads:
        spec = kb.grammar.facts[fact]
        if spec.kind == "set":
            base[fact] = Members(frozenset(), None, partial(_member_question, fact))
            continue
        values = _domain(kb, fact, derived_na=True)
        base[fact] = Open(
            Question(fact, fact, tuple(Alternative(str(v), str(v), ((fact, v),)) for v in values))
        )

    def search(world: World) -> bool:
        verdict = criterion.test(world)
        if isinstance(verdict, bool):
            return verdict
        return any(search(world.choose(verdict, alt)) for alt in verdict.alternatives)

    return search(World(base, {}))


def _member_question(fact: str, value: str) -> Question:
    return Question(
        f"{fact}:{value}",
        fact,
        (
            Alternative("present", "present", ((member_fact(fact, value), True),)),
            Alternative("absent", "absent", ((member_fact(fact, value), False),)),
        ),
    )
