"""The facts criteria may read (knowledge/facts.yaml), and the grammar that parses every
criterion of the knowledge base and the trial registry against them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
)

from rrall.logic.criteria import ALWAYS, Criterion
from rrall.logic.parse import CriterionError, FactSpec, Grammar
from rrall.vocabulary import VOCABULARIES, values

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
HSCT_VALUES = ("indicated", "not_indicated", "depends_on_backbone")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FactDef(_Data):
    kind: Literal["enum", "bool", "number", "set"]
    values: list[str] | None = None
    vocabulary: str | None = None
    pattern: str | None = None
    pairs: tuple[str, str] | None = Field(default=None, description="values are 'a:b' of two vocabularies")
    unit: str | None = None
    integer: bool = False
    field: str = Field(description="the case field that settles the fact when the case leaves it open")
    assumed: bool | None = Field(
        default=None,
        description="taken while the field is unrecorded; the "
        "assessment says what the other value would change",
    )
    course: bool = Field(
        default=False,
        description="a fact of the relapse's course (state, site, lineage, timing): a caution "
        "conditioned on these alone is the option's general caution, not one for this child",
    )


class AcquiredAtRelapse(_Data):
    lesions: list[str] = Field(min_length=1)
    citations: list[Id] = Field(min_length=1)


class FactsFile(_Data):
    format_version: Literal[1]
    units: dict[str, dict[str, Decimal]]
    facts: dict[str, FactDef]
    acquired_at_relapse: AcquiredAtRelapse

    def domain(self, name: str) -> frozenset[str] | None:
        """The allowed values of an enum or set fact (None: any text)."""
        fact = self.facts[name]
        if fact.values is not None:
            return frozenset(fact.values)
        if fact.vocabulary is not None:
            return frozenset(values(VOCABULARIES[fact.vocabulary]))
        if fact.pairs is not None:
            first, second = (values(VOCABULARIES[v]) for v in fact.pairs)
            return frozenset(f"{a}:{b}" for a in first for b in second)
        return None

    def spec(self, name: str) -> FactSpec:
        fact = self.facts[name]
        units = dict(self.units.get(fact.unit or "", {}).items())
        return FactSpec(fact.kind, self.domain(name), fact.unit or "", units, fact.integer)


@dataclass(frozen=True)
class FrameworkFacts:
    """What a framework adds to the facts: its id and its groups."""

    id: str
    groups: tuple[str, ...]


def grammar(
    facts: FactsFile, timing: Mapping[str, tuple[str, ...]], frameworks: list[FrameworkFacts]
) -> Grammar:
    """Every fact: the case's, each timing scheme's category and each framework's outputs,
    with `every_framework` / `some_framework` ranging over the frameworks."""
    specs = {name: facts.spec(name) for name in facts.facts}
    specs.update({fact: FactSpec("enum", frozenset(categories)) for fact, categories in timing.items()})
    for fw in frameworks:
        specs[f"{fw.id}.status"] = FactSpec("enum", frozenset({"assigned", "not_applicable"}))
        specs[f"{fw.id}.group"] = FactSpec("enum", frozenset(fw.groups))
        specs[f"{fw.id}.hsct_in_cr2"] = FactSpec("enum", frozenset(HSCT_VALUES))
    return Grammar(specs, {"framework": tuple(fw.id for fw in frameworks)})


@dataclass(frozen=True)
class When:
    """A criterion as written in a knowledge file (`source`, shown and saved as written)
    and as parsed (`test`)."""

    source: Any
    test: Criterion

    @property
    def reads(self) -> frozenset[str]:
        return self.test.reads


def _parse(value: Any, info: ValidationInfo) -> When:
    if isinstance(value, When):
        return value
    context = info.context or {}
    parser: Grammar | None = context.get("grammar")
    if parser is None:
        raise ValueError("criteria can only be read with the knowledge base's facts (internal)")
    prefix = context.get("prefix", "")
    try:
        return When(value, parser.parse(value, "", prefix))
    except CriterionError as exc:
        raise ValueError(str(exc)) from None


CriteriaField = Annotated[
    When,
    PlainValidator(_parse),
    PlainSerializer(lambda when: when.source),
    WithJsonSchema({"type": "object", "description": "a criterion (docs/knowledge-authoring.md)"}),
]


def always() -> When:
    """The criterion that always holds (an absent `when`)."""
    return When({}, ALWAYS)
