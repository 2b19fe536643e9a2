"""assess(case, kb) -> Assessment: the one way from a case to every conclusion."""

from __future__ import annotations

import hashlib
from datetime import date

from pydantic import BaseModel, ConfigDict

from rrall import __version__
from rrall.case.model import Case
from rrall.classify.model import Classification, Warning
from rrall.classify.relapse import classify
from rrall.knowledge.load import KnowledgeBase, default_knowledge
from rrall.knowledge.model import Reference
from rrall.risk.evaluate import evaluate
from rrall.risk.model import FrameworkResult

NOTICE = ("Decision support for qualified clinicians, for research and education. "
          "rrall does not prescribe: every output must be checked against the current protocol.")


class MissingData(BaseModel):
    model_config = ConfigDict(frozen=True)
    field: str
    affects: list[str]
    decides: list[str]


class Assessment(BaseModel):
    model_config = ConfigDict(frozen=True)
    case_id: str
    engine_version: str
    knowledge_version: str
    assessment_date: date
    input_sha256: str
    notice: str
    classification: Classification
    risk: dict[str, FrameworkResult]
    missing_data: list[MissingData]
    warnings: list[Warning]
    references: dict[str, Reference]


def input_sha256(case: Case) -> str:
    """Hash of the validated case in canonical form: the same case gives the same hash
    whether it came as JSON or YAML, with any key order."""
    return hashlib.sha256(case.model_dump_json().encode()).hexdigest()


def assess(case: Case, kb: KnowledgeBase | None = None) -> Assessment:
    kb = kb or default_knowledge()
    classified = classify(case, kb)
    risk = {name: evaluate(fw, classified, kb) for name, fw in kb.frameworks.items()}
    cited = dict.fromkeys(c for r in risk.values() for c in r.citations)
    cited.update(dict.fromkeys(c for r in risk.values() for k in r.cautions for c in k.citations))
    return Assessment(
        case_id=case.id,
        engine_version=__version__,
        knowledge_version=kb.version,
        assessment_date=case.as_of,
        input_sha256=input_sha256(case),
        notice=NOTICE,
        classification=classified.classification,
        risk=risk,
        missing_data=_missing_data(risk),
        warnings=classified.warnings,
        references={c: kb.references[c] for c in cited},
    )


def _missing_data(risk: dict[str, FrameworkResult]) -> list[MissingData]:
    fields: dict[str, tuple[list[str], list[str]]] = {}
    for name, result in risk.items():
        for item in result.missing:
            affects, decides = fields.setdefault(item.field, ([], []))
            affects.append(name)
            decides.append(f"{name}: {item.decides}")
    return [MissingData(field=f, affects=a, decides=d) for f, (a, d) in fields.items()]
