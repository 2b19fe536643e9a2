"""Load the knowledge base from a folder: every file validated, every problem collected."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import orjson
import yaml
from pydantic import BaseModel, ValidationError

from rrall.errors import KnowledgeError
from rrall.knowledge.clinical import (
    AnthracyclineFile,
    EvidenceFile,
    EvidenceItem,
    PrognosisEstimate,
    PrognosisFile,
    Therapy,
    TherapyFile,
    WorkupFile,
    WorkupItem,
)
from rrall.knowledge.glossary import Glossary
from rrall.knowledge.model import (
    ClassificationRules,
    Framework,
    Manifest,
    Reference,
    References,
)

M = TypeVar("M", bound=BaseModel)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class KnowledgeBase:
    root: Path
    manifest: Manifest
    references: dict[str, Reference]
    classification: ClassificationRules
    frameworks: dict[str, Framework]
    therapies: dict[str, Therapy]
    evidence: dict[str, EvidenceItem]
    prognosis: list[PrognosisEstimate]
    anthracyclines: AnthracyclineFile
    workup: list[WorkupItem]
    glossaries: dict[str, Glossary]  # by language; English is complete, others fall back to it
    # Representative values for numeric facts left unknown: 0 plus every bound the
    # knowledge base compares that fact against (rules/worlds.py explains why).
    thresholds: dict[str, tuple[Decimal, ...]] = field(default_factory=dict)
    # Results shared between cases with the same deciding facts (options/memo.py).
    memo: dict[Any, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.manifest.knowledge_version

    @property
    def glossary(self) -> Glossary:
        """The English words; `glossaries[lang]` for another language."""
        return self.glossaries["en"]

    def evidence_for(self, therapy_id: str) -> list[EvidenceItem]:
        return self._evidence_index.get(therapy_id, [])

    @property
    def _evidence_index(self) -> dict[str, list[EvidenceItem]]:
        index: dict[str, list[EvidenceItem]] | None = self.__dict__.get("_index")
        if index is None:
            index = {}
            for item in self.evidence.values():
                for therapy in item.therapies:
                    index.setdefault(therapy, []).append(item)
            object.__setattr__(self, "_index", index)
        return index


def default_knowledge_dir() -> Path:
    """RRALL_KNOWLEDGE, else the copy bundled in the wheel, else the source tree's knowledge/."""
    override = os.environ.get("RRALL_KNOWLEDGE")
    if override:
        return Path(override)
    bundled = Path(__file__).resolve().parent.parent / "_knowledge"
    if bundled.is_dir():
        return bundled
    return Path(__file__).resolve().parents[3] / "knowledge"


@cache
def default_knowledge() -> KnowledgeBase:
    return load_knowledge(default_knowledge_dir())


def read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.append(f"{path}: file is missing")
        return None
    cached = _cache_path(raw)
    if cached is not None and cached.is_file():
        try:
            return orjson.loads(cached.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            pass
    try:
        data = yaml.load(raw, Loader=_Loader)
    except yaml.YAMLError as exc:
        problems.append(f"{path}: not valid YAML: {exc}")
        return None
    _write_cache(cached, data)
    return data


def _cache_path(raw: bytes) -> Path | None:
    """Parsed YAML is cached as JSON under the file's content hash (RRALL_CACHE, default
    ~/.cache/rrall; "off" disables it): loading the knowledge base is most of a one-case
    run's time. The cache holds only the public knowledge files, never case data."""
    setting = os.environ.get("RRALL_CACHE", "")
    if setting == "off":
        return None
    home_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    root = Path(setting) if setting else home_cache / "rrall"
    return root / f"knowledge-{hashlib.sha256(raw).hexdigest()[:32]}.json"


def _write_cache(path: Path | None, data: Any) -> None:
    if path is None:
        return
    try:
        body = orjson.dumps(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(body)
        partial.replace(path)  # atomic: a reader never sees half a file
    except (OSError, TypeError):
        pass  # no cache is only slower


def parse_file(model: type[M], path: Path, problems: list[str]) -> M | None:
    data = read_yaml(path, problems)
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            got = err.get("input")
            shown = f" (got {got!r})" if isinstance(got, str | int | float | bool) else ""
            problems.append(f"{path.name}: {where}: {err['msg']}{shown}")
    return None


def load_knowledge(root: Path) -> KnowledgeBase:
    """Read and validate every file under `root`; raise KnowledgeError listing all problems."""
    problems: list[str] = []
    manifest = parse_file(Manifest, root / "manifest.yaml", problems)
    references = parse_file(References, root / "references.yaml", problems)
    classification = parse_file(ClassificationRules, root / "classification.yaml", problems)
    frameworks: dict[str, Framework] = {}
    for path in sorted((root / "frameworks").glob("*.yaml")):
        framework = parse_file(Framework, path, problems)
        if framework is not None:
            frameworks[framework.id] = framework
    therapies = parse_file(TherapyFile, root / "therapies.yaml", problems)
    evidence = parse_file(EvidenceFile, root / "evidence.yaml", problems)
    prognosis = parse_file(PrognosisFile, root / "prognosis.yaml", problems)
    anthracyclines = parse_file(AnthracyclineFile, root / "anthracyclines.yaml", problems)
    workup = parse_file(WorkupFile, root / "workup.yaml", problems)
    glossaries = _glossaries(root, problems)
    parts = (manifest, references, classification, therapies, evidence, prognosis, anthracyclines, workup)
    if problems or any(part is None for part in parts):
        raise KnowledgeError(problems or [f"{root}: knowledge base is incomplete"])
    assert manifest and references and classification and therapies and evidence and prognosis
    assert anthracyclines and workup
    order = {name: i for i, name in enumerate(manifest.frameworks)}
    ordered = dict(sorted(frameworks.items(), key=lambda item: order.get(item[0], len(order))))
    kb = KnowledgeBase(
        root=root,
        manifest=manifest,
        references={ref.id: ref for ref in references.references},
        classification=classification,
        frameworks=ordered,
        therapies={t.id: t for t in therapies.therapies},
        evidence={e.id: e for e in evidence.evidence},
        prognosis=prognosis.estimates,
        anthracyclines=anthracyclines,
        workup=workup.workup,
        glossaries=glossaries,
    )
    object.__setattr__(kb, "thresholds", _thresholds(kb))
    return kb


def _glossaries(root: Path, problems: list[str]) -> dict[str, Glossary]:
    found: dict[str, Glossary] = {}
    for path in sorted((root / "glossary").glob("*.yaml")):
        glossary = parse_file(Glossary, path, problems)
        if glossary is not None:
            found[glossary.language] = glossary
    if "en" not in found:
        problems.append(f"{root / 'glossary'}: the English glossary (en.yaml) is missing")
        return found
    return {lang: g if lang == "en" else g.over(found["en"]) for lang, g in found.items()}


def _thresholds(kb: KnowledgeBase) -> dict[str, tuple[Decimal, ...]]:
    bounds: dict[str, set[Decimal]] = {}
    for rule in all_rules(kb):
        for condition in rule.conditions:
            if condition.op in ("below", "at_least"):
                bounds.setdefault(condition.fact, {Decimal(0)}).add(condition.operand)
    return {fact: tuple(sorted(values)) for fact, values in bounds.items()}


def all_rules(kb: KnowledgeBase) -> list[Any]:
    """Every rule-like row in the knowledge base (each has id, conditions, citations)."""
    rules: list[Any] = []
    for scheme in kb.classification.timing_schemes:
        rules.extend(scheme.rules)
    for fw in kb.frameworks.values():
        rules.extend([*fw.not_applicable, *fw.rows, *fw.hsct_rules, *fw.cautions])
    return rules
