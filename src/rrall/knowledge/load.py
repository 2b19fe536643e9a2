"""Load the knowledge base from a folder: every file validated, every problem collected."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
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
    Label,
    LabelFile,
    PrognosisEstimate,
    PrognosisFile,
    Therapy,
    TherapyFile,
    WorkupFile,
    WorkupItem,
)
from rrall.knowledge.facts import FactsFile, FrameworkFacts, When, grammar
from rrall.knowledge.family import OUTLOOK_FILE, Outlook, OutlookFile, family_folder
from rrall.knowledge.glossary import Glossary
from rrall.knowledge.model import (
    ClassificationRules,
    Framework,
    Manifest,
    Reference,
    References,
)
from rrall.logic.criteria import AtMost, Bound
from rrall.logic.parse import Grammar

M = TypeVar("M", bound=BaseModel)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class KnowledgeBase:
    """Every knowledge file, validated; immutable and never a cache (the engine owns those)."""

    root: Path
    manifest: Manifest
    facts: FactsFile
    grammar: Grammar  # every fact criteria may read, including timing and framework outputs
    references: dict[str, Reference]
    classification: ClassificationRules
    frameworks: dict[str, Framework]
    therapies: dict[str, Therapy]
    evidence: dict[str, EvidenceItem]
    evidence_by_therapy: dict[str, tuple[EvidenceItem, ...]]
    prognosis: list[PrognosisEstimate]
    anthracyclines: AnthracyclineFile
    workup: list[WorkupItem]
    glossaries: dict[str, Glossary]  # by language; English is complete, others fall back to it
    # Every bound a criterion compares each numeric fact with, sorted (for showing
    # thresholds; the engine derives its own from the criteria it runs).
    thresholds: dict[str, tuple[Decimal, ...]] = field(default_factory=dict)
    # Regulatory labels by therapy (labels.yaml; optional) and the regions' names.
    labels: dict[str, tuple[Label, ...]] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    # When the family summary says what the timing usually means (family/outlook.yaml).
    family_outlook: tuple[Outlook, ...] = ()

    @property
    def version(self) -> str:
        return self.manifest.knowledge_version

    @property
    def trial_status_max_age(self) -> int:
        """Months after which a trial's registry status is shown as needing a re-check."""
        return self.manifest.trial_status_max_age_months

    @property
    def glossary(self) -> Glossary:
        """The English words; `glossaries[lang]` for another language."""
        return self.glossaries["en"]

    def evidence_for(self, therapy_id: str) -> tuple[EvidenceItem, ...]:
        return self.evidence_by_therapy.get(therapy_id, ())

    def criteria(self) -> list[When]:
        """Every criterion of the knowledge base (not the trial registry's)."""
        found: list[When] = [s.scope for s in self.classification.timing_schemes]
        found += [r.when for s in self.classification.timing_schemes for r in s.rules]
        found += [r.when for fw in self.frameworks.values() for r in fw.rules()]
        for t in self.therapies.values():
            found += [t.requires, *(r.when for r in t.rules), *(c.when for c in t.cautions)]
            found += [label.covers for label in self.labels.get(t.id, ())]
        found += [p.population for p in self.prognosis]
        found += [w for o in self.family_outlook for w in (o.when, o.unless) if w is not None]
        return found + [w.when for w in self.workup]


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
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(body)
        partial.replace(path)  # atomic: a reader never sees half a file
    except (OSError, TypeError):
        pass  # no cache is only slower


def parse_file(
    model: type[M], path: Path, problems: list[str], context: dict[str, Any] | None = None
) -> M | None:
    data = read_yaml(path, problems)
    if data is None:
        return None
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        problems += validation_problems(path.name, exc)
    return None


def validation_problems(where: str, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        place = ".".join(str(p) for p in err["loc"])
        got = err.get("input")
        shown = f" (got {got!r})" if isinstance(got, str | int | float | bool) else ""
        message = err["msg"].removeprefix("Value error, ")
        out.append(f"{where}: {place}: {message}{shown}")
    return out


def load_knowledge(root: Path) -> KnowledgeBase:
    """Read and validate every file under `root`; raise KnowledgeError listing all problems.
    A knowledge base read before comes from its snapshot, keyed by the SHA-256 of every file
    under `root` (knowledge/snapshot.py)."""
    from rrall.knowledge.snapshot import snapshot

    files = [path for path in root.rglob("*") if path.is_file()]
    return snapshot("knowledge", root, files, lambda: _build(root))


def _build(root: Path) -> KnowledgeBase:
    problems: list[str] = []
    manifest = parse_file(Manifest, root / "manifest.yaml", problems)
    facts = parse_file(FactsFile, root / "facts.yaml", problems)
    references = parse_file(References, root / "references.yaml", problems)
    if facts is None:
        raise KnowledgeError(problems or [f"{root}: facts.yaml is missing"])
    base = grammar(facts, {}, [])
    classification = parse_file(
        ClassificationRules, root / "classification.yaml", problems, {"grammar": base}
    )
    timing: dict[str, tuple[str, ...]] = {
        s.fact: tuple(dict.fromkeys(r.category for r in s.rules))
        for s in (classification.timing_schemes if classification else [])
    }
    raw = {path: read_yaml(path, problems) for path in sorted((root / "frameworks").glob("*.yaml"))}
    outline = [
        FrameworkFacts(str(d["id"]), tuple(str(g) for g in d.get("groups", [])))
        for d in raw.values()
        if isinstance(d, dict) and "id" in d
    ]
    order = {name: i for i, name in enumerate(manifest.frameworks if manifest else [])}
    outline.sort(key=lambda fw: order.get(fw.id, len(order)))
    full = grammar(facts, timing, outline)
    frameworks: dict[str, Framework] = {}
    for path, data in raw.items():
        if data is None:
            continue
        own = replace(full, aliases={"group": f"{data.get('id')}.group"}) if isinstance(data, dict) else full
        try:
            framework = Framework.model_validate(data, context={"grammar": own})
        except ValidationError as exc:
            problems += validation_problems(path.name, exc)
            continue
        frameworks[framework.id] = framework
    context = {"grammar": full}
    therapies = parse_file(TherapyFile, root / "therapies.yaml", problems, context)
    evidence = parse_file(EvidenceFile, root / "evidence.yaml", problems)
    prognosis = parse_file(PrognosisFile, root / "prognosis.yaml", problems, context)
    anthracyclines = parse_file(AnthracyclineFile, root / "anthracyclines.yaml", problems)
    workup = parse_file(WorkupFile, root / "workup.yaml", problems, context)
    # The family summary's outlook rules (family/outlook.yaml, since 2026.12.33; an older
    # release has none, and its family summary says no outlook).
    outlook_path = family_folder(root) / OUTLOOK_FILE
    outlook = parse_file(OutlookFile, outlook_path, problems, context) if outlook_path.exists() else None
    has_labels = (root / "labels.yaml").exists()
    labels = parse_file(LabelFile, root / "labels.yaml", problems, context) if has_labels else None
    glossaries = _glossaries(root, problems)
    parts = (manifest, references, classification, therapies, evidence, prognosis, anthracyclines, workup)
    if problems or any(part is None for part in parts):
        raise KnowledgeError(problems or [f"{root}: knowledge base is incomplete"])
    assert manifest and references and classification and therapies and evidence and prognosis
    assert anthracyclines and workup
    by_therapy: dict[str, list[EvidenceItem]] = {}
    for item in evidence.evidence:
        for therapy in item.therapies:
            by_therapy.setdefault(therapy, []).append(item)
    kb = KnowledgeBase(
        root=root,
        manifest=manifest,
        facts=facts,
        grammar=full,
        references={ref.id: ref for ref in references.references},
        classification=classification,
        frameworks=dict(sorted(frameworks.items(), key=lambda item: order.get(item[0], len(order)))),
        therapies={t.id: t for t in therapies.therapies},
        evidence={e.id: e for e in evidence.evidence},
        evidence_by_therapy={k: tuple(v) for k, v in by_therapy.items()},
        prognosis=prognosis.estimates,
        anthracyclines=anthracyclines,
        workup=workup.workup,
        glossaries=glossaries,
        labels=_by_therapy(labels),
        regions={str(k): v for k, v in labels.regions.items()} if labels else {},
        family_outlook=tuple(outlook.outlooks) if outlook else (),
    )
    object.__setattr__(kb, "thresholds", bounds(kb.criteria()))
    return kb


def _by_therapy(found: LabelFile | None) -> dict[str, tuple[Label, ...]]:
    out: dict[str, list[Label]] = {}
    for label in found.labels if found else []:
        out.setdefault(label.therapy, []).append(label)
    return {therapy: tuple(labels) for therapy, labels in out.items()}


def bounds(criteria: list[When]) -> dict[str, tuple[Decimal, ...]]:
    """Each numeric fact's bounds across `criteria`, sorted."""
    found: dict[str, set[Decimal]] = {}
    for when in criteria:
        for leaf in when.test.leaves():
            if isinstance(leaf, Bound):
                found.setdefault(leaf.fact, set()).add(leaf.limit if isinstance(leaf, AtMost) else leaf.bound)
    return {fact: tuple(sorted(values)) for fact, values in found.items()}


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
