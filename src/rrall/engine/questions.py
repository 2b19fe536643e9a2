"""What surfaces ask the engine about the knowledge itself, with no case: a criterion in
words, a fact's label, the frameworks' bounds on a number, what rules each option out."""

from __future__ import annotations

from decimal import Decimal

from rrall.criteria.describe import Describer
from rrall.criteria.evaluator import Evaluator
from rrall.engine.summary import excluded_values
from rrall.knowledge.clinical import Therapy
from rrall.knowledge.facts import When
from rrall.knowledge.load import KnowledgeBase
from rrall.logic.criteria import Bound


class KnowledgeQuestions:
    """Mixed into the Engine, which sets these attributes."""

    kb: KnowledgeBase
    ev: Evaluator
    describer: Describer
    therapies: list[Therapy]

    def in_words(self, when: When) -> str:
        """What a criterion asks for, in a clinician's words (no case needed)."""
        return self.describer.rule(when.test)

    def fact_label(self, fact: str) -> str:
        """A fact's name in words ("IntReALL group", "CD19 at relapse"); `any`/`all` for a
        combination of facts."""
        combined = self.ev.words.glossary.values.get("criterion_kind", {})
        return combined.get(fact) or self.ev.words.label(fact)

    def framework_bounds(self, fact: str) -> dict[Decimal, list[str]]:
        """Each bound the frameworks compare a number with, highest first, with the short
        names of the frameworks that use it (for charts)."""
        found: dict[Decimal, list[str]] = {}
        for fw in self.kb.frameworks.values():
            for rule in [*fw.rows, *fw.hsct_rules]:
                for leaf in rule.when.test.leaves():
                    if isinstance(leaf, Bound) and leaf.fact == fact:
                        names = found.setdefault(leaf.bound, [])
                        if fw.short_name not in names:
                            names.append(fw.short_name)
        return dict(sorted(found.items(), reverse=True))

    def ruled_out_by(self, fact: str) -> dict[str, set[str]]:
        """Per option, the values of a list fact whose presence its requirement excludes
        (the kinase-domain mutations that rule out each TKI), read off the criteria."""
        return {t.id: excluded_values(t.requires.test, fact) for t in self.therapies}
