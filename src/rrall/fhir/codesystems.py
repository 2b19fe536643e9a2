"""rrall's own CodeSystems, one per system the FHIR output writes: the case format's words
(`case`), the risk frameworks, their groups, the therapy options and the option statuses.

Every code and display written in a Bundle comes from the same functions (`codes.display`,
`status_display`, `group_display`, the knowledge base's names), and a test checks every
coding of every example's Bundles against these resources. `rrall fhir codesystem [NAME]`
prints them.
"""

from __future__ import annotations

from typing import Any, get_args

from rrall.fhir.codes import FRAMEWORK, OPTION_STATUS, OWN, RISK_GROUP, RRALL, THERAPY, display
from rrall.knowledge.clinical import OptionStatus
from rrall.knowledge.load import KnowledgeBase

STATUS_MEANINGS = {
    "standard": "The sources make this the usual choice for a case like this one.",
    "consider": "A reasonable option to weigh (labelled, or supported by trial or cohort data).",
    "clinical_trial": "Only within a clinical trial for a case like this.",
    "insufficient_data": "The answer depends on a fact the case does not give.",
    "not_recommended": "The sources argue against it for a case like this.",
    "not_eligible": "A requirement of the option is not met.",
}
NAMES = ("case", "framework", "risk-group", "therapy-option", "option-status")


def status_display(status: str) -> str:
    return status.replace("_", " ")


def group_display(framework_name: str, group: str) -> str:
    return f"{framework_name}: {group}"


def code_systems(kb: KnowledgeBase, version: str) -> dict[str, dict[str, Any]]:
    """Every rrall CodeSystem by name. The knowledge base's systems carry its version, the
    others the engine's."""
    frameworks = [(key, fw.name, f"{fw.scheme}.") for key, fw in kb.frameworks.items()]
    groups = [(f"{key}-{group}", group_display(fw.name, group), f"{fw.short_name} risk group {group}.")
              for key, fw in kb.frameworks.items() for group in fw.groups]
    options = [(t.id, t.name, t.name) for t in kb.therapies.values()]
    statuses = [(s, status_display(s), STATUS_MEANINGS[s]) for s in get_args(OptionStatus)]
    return {
        "case": case_code_system(version),
        "framework": _system(FRAMEWORK, "RrallFramework", "rrall relapse risk frameworks", kb.version,
                             "The relapse risk frameworks rrall places a case in (RiskAssessment.method).",
                             frameworks),
        "risk-group": _system(RISK_GROUP, "RrallRiskGroup", "rrall relapse risk groups", kb.version,
                              "The groups of each framework (RiskAssessment.prediction.outcome), coded "
                              "framework-group; no standard code exists for them.", groups),
        "therapy-option": _system(THERAPY, "RrallTherapyOption", "rrall therapy options", kb.version,
                                  "The treatment options of the knowledge base (RequestGroup.action.code, "
                                  "ServiceRequest.code).", options),
        "option-status": _system(OPTION_STATUS, "RrallOptionStatus", "rrall option statuses", version,
                                 "What rrall concludes about an option for a case "
                                 "(RequestGroup.action.code).",
                                 statuses),
    }


def case_code_system(version: str) -> dict[str, Any]:
    """The words of the case format for what has no standard code."""
    from rrall.vocabulary import (
        AgentResponse,
        Anthracycline,
        AntigenExpression,
        DonorType,
        GeneticLesion,
        GermlinePredisposition,
        MrdTimepoint,
        PriorAgent,
        values,
    )

    uses: dict[str, list[str]] = {}
    codes = list(OWN)
    vocabularies = (("genetic lesion", GeneticLesion), ("antigen expression", AntigenExpression),
                    ("donor type", DonorType), ("MRD time point", MrdTimepoint), ("prior agent", PriorAgent),
                    ("anthracycline", Anthracycline), ("agent response", AgentResponse),
                    ("germline predisposition", GermlinePredisposition))
    for name, alias in vocabularies:
        for value in values(alias):
            uses.setdefault(value, []).append(name)
            if value not in codes:
                codes.append(value)
    concepts = [(code, display(code), "Used as: " + ", ".join(uses[code]) if code in uses else display(code))
                for code in codes]
    return _system(RRALL, "RrallCase", "rrall case-format codes", version,
                   "Codes for facts of relapsed childhood ALL for which no standard code (SNOMED CT, LOINC, "
                   "NCIt, RxNorm) was found; see docs/fhir-mapping.md.", concepts)


def _system(url: str, name: str, title: str, version: str, description: str,
            concepts: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {"resourceType": "CodeSystem", "url": url, "version": version, "name": name, "title": title,
            "status": "active", "content": "complete", "caseSensitive": True, "description": description,
            "count": len(concepts),
            "concept": [{"code": code, "display": shown, "definition": meaning}
                        for code, shown, meaning in concepts]}
