"""The evaluator of one knowledge base and trial registry: every immutable part that
evaluating a case needs, made once (words, open questions, the classifier, the derived
facts and what each reads), and the world of one case."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rrall.case.model import Case
from rrall.classify.anthracycline import cumulative
from rrall.classify.questions import Questions
from rrall.classify.relapse import Classified, Classifier
from rrall.criteria.frameworks import framework_facts
from rrall.knowledge.facts import When
from rrall.knowledge.load import KnowledgeBase, bounds
from rrall.knowledge.words import Words
from rrall.logic.values import Value
from rrall.logic.world import Derive, World
from rrall.results import CumulativeAnthracycline, EvidenceRef, Timing


class Evaluator:
    def __init__(self, kb: KnowledgeBase, more: Sequence[When] = ()) -> None:
        """`more`: criteria beyond the knowledge base's own (the trial registry's)."""
        self.kb = kb
        self.words = Words(kb)
        # Each criterion once: a registry's trials with equal eligibility share one object.
        self.criteria: list[When] = [*kb.criteria(), *{id(w): w for w in more}.values()]
        self.bounds = bounds(self.criteria)
        self.questions = Questions(kb, self.bounds, self.words)
        self.classifier = Classifier(kb, self.questions)
        self.derive: dict[str, Derive] = dict(self.classifier.timing)
        for fw in kb.frameworks.values():
            self.derive.update(framework_facts(fw))
        self._whens = self._direct_criteria()
        self._direct = self._direct_reads()
        self.base_facts = tuple(sorted(kb.facts.facts))
        # Each therapy's evidence as result items, made once (results are immutable).
        self.evidence: dict[str, tuple[EvidenceRef, ...]] = {
            t: tuple(
                EvidenceRef(
                    id=e.id, level=e.level, claim=e.statement, citation=e.citation, uncertain=e.uncertain
                )
                for e in kb.evidence_for(t)
            )
            for t in kb.therapies
        }

    def classify(
        self,
        case: Case,
        anthracycline_table: str | None = None,
        timing: Callable[[dict[str, Value]], Timing] | None = None,
    ) -> tuple[Classified, CumulativeAnthracycline]:
        doses = cumulative(case, self.kb.anthracyclines, self.words.glossary, anthracycline_table)
        return self.classifier.classify(case, doses, timing), doses

    def world(self, facts: dict[str, Value]) -> World:
        return World(facts, self.derive)

    def reads(self, criteria: Iterable[When | frozenset[str]]) -> tuple[str, ...]:
        """The case facts `criteria` read, through every derived fact, sorted."""
        found: set[str] = set()
        todo = [f for c in criteria for f in (c.reads if isinstance(c, When) else c)]
        while todo:
            fact = todo.pop()
            if fact in found:
                continue
            found.add(fact)
            todo.extend(self._direct.get(fact, ()))
        return tuple(sorted(f for f in found if f not in self.derive))

    def criteria_through(self, criteria: Iterable[When]) -> list[When]:
        """`criteria` and those of every derived fact they read, through every level: all
        the comparisons a decision on `criteria` can make (each criterion once)."""
        found: dict[int, When] = {}
        seen: set[str] = set()
        todo = list(criteria)
        while todo:
            when = todo.pop()
            if id(when) in found:
                continue
            found[id(when)] = when
            for fact in when.reads:
                if fact in self._whens and fact not in seen:
                    seen.add(fact)
                    todo.extend(self._whens[fact])
        return list(found.values())

    def _direct_criteria(self) -> dict[str, tuple[When, ...]]:
        """The criteria each derived fact's own rows evaluate."""
        direct: dict[str, tuple[When, ...]] = {}
        for scheme in self.kb.classification.timing_schemes:
            direct[scheme.fact] = (scheme.scope, *(r.when for r in scheme.rules))
        for fw in self.kb.frameworks.values():
            direct[f"{fw.id}.status"] = tuple(r.when for r in fw.not_applicable)
            direct[f"{fw.id}.group"] = tuple(r.when for r in fw.rows)
            direct[f"{fw.id}.hsct_in_cr2"] = tuple(r.when for r in fw.hsct_rules)
        return direct

    def _direct_reads(self) -> dict[str, frozenset[str]]:
        """The facts each derived fact's own rows read (a framework's group reads its
        status, its HSCT rule its group)."""
        direct = {fact: frozenset().union(*(w.reads for w in whens)) for fact, whens in self._whens.items()}
        for fw in self.kb.frameworks.values():
            direct[f"{fw.id}.group"] |= {f"{fw.id}.status"}
            direct[f"{fw.id}.hsct_in_cr2"] |= {f"{fw.id}.group"}
        return direct
