"""Lint of the glossary: every case field and every value of every closed vocabulary has
clinician words, in every language file (a sibling language may fall back to English,
but may not name a key English does not have)."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from rrall import vocabulary as v
from rrall.case.model import Case
from rrall.knowledge.clinical import Endpoint, OptionStatus, Phase
from rrall.knowledge.load import KnowledgeBase

# Which glossary vocabulary labels which set of values.
VOCABULARIES: dict[str, Any] = {
    "sex": v.Sex,
    "immunophenotype": v.Immunophenotype,
    "relapse_site": v.RelapseSite,
    "cns_status": v.CnsStatus,
    "antigen_expression": v.AntigenExpression,
    "induction_outcome": v.InductionOutcome,
    "reinduction_outcome": v.ReinductionOutcome,
    "mrd_timepoint": v.MrdTimepoint,
    "mrd_unit": v.MrdUnit,
    "mrd_method": v.MrdMethod,
    "hsct_type": v.HsctType,
    "anthracycline": v.Anthracycline,
    "performance_scale": v.PerformanceScale,
    "donor_type": v.DonorType,
    "genetic_lesion": v.GeneticLesion,
    "prior_agent": v.PriorAgent,
    "agent_response": v.AgentResponse,
    "option_status": OptionStatus,
    "phase": Phase,
    "endpoint": Endpoint,
    "frontline_end": Literal["not_completed"],
    "disease_state": v.DiseaseState,
    "site_category": v.SiteCategory,
    "criterion_kind": v.CriterionKind,
}
# Vocabularies only the surfaces use (the one-screen summary's short HSCT words): each must
# have a label for every value of the vocabulary it shortens.
SHORTENS = {"hsct_short": "hsct_in_cr2"}


def case_field_paths(model: type[BaseModel] = Case, prefix: str = "") -> list[str]:
    """Every field path of the case format, lists written `[]`."""
    paths: list[str] = []
    hints = typing.get_type_hints(model)
    for name in model.model_fields:
        path = f"{prefix}{name}"
        paths.append(path)
        inner, is_list = _unwrap(hints[name])
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            paths += case_field_paths(inner, f"{path}[]." if is_list else f"{path}.")
    return paths


def _unwrap(hint: Any) -> tuple[Any, bool]:
    is_list = False
    while True:
        origin = get_origin(hint)
        if origin is typing.Annotated:
            hint = get_args(hint)[0]
        elif origin in (Union, types.UnionType):
            models = [a for a in get_args(hint) if isinstance(a, type) and issubclass(a, BaseModel)]
            lists = [a for a in get_args(hint) if get_origin(a) is list]
            if models:
                hint = models[0]
            elif lists:
                hint = lists[0]
            else:
                return hint, is_list
        elif origin is list:
            is_list, hint = True, get_args(hint)[0]
        else:
            return hint, is_list


def lint_glossary(kb: KnowledgeBase) -> list[str]:
    problems: list[str] = []
    english = kb.glossaries.get("en")
    if english is None:
        return ["glossary: en.yaml is missing"]
    for path in case_field_paths():
        if path not in english.fields:
            problems.append(f"glossary/en.yaml: fields: case field {path!r} has no label")
    for name, alias in VOCABULARIES.items():
        words = english.values.get(name, {})
        for value in get_args(alias):
            if get_origin(alias) is Literal and str(value) not in words:
                problems.append(f"glossary/en.yaml: values.{name}: {value!r} has no label")
    facts = set(kb.facts.facts) | {s.fact for s in kb.classification.timing_schemes}
    problems += [
        f"glossary/en.yaml: facts: {name!r} has no words" for name in sorted(facts - set(english.facts))
    ]
    for short, full in SHORTENS.items():
        missing = set(english.values.get(full, {})) - set(english.values.get(short, {}))
        problems += [
            f"glossary/en.yaml: values.{short}: {k!r} has no label (values.{full} has)"
            for k in sorted(missing)
        ]
    for lang, glossary in kb.glossaries.items():
        extra = set(glossary.fields) - set(english.fields)
        problems += [f"glossary/{lang}.yaml: fields: {k!r} is not a key of en.yaml" for k in sorted(extra)]
    return problems
