"""Import ClinicalTrials.gov API v2 JSON: a single study, a `/studies` page (`studies[]`),
or a folder of one-study files from the bulk download.

What the registry structures (ids, title, status, phases, conditions, interventions, age
limits, sex, locations) becomes the trial record; the eligibility text is kept, split
into inclusion and exclusion items, for manual review. Imported trials are marked not
curated. A file is imported whole or not at all; each trial file is written atomically.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from rrall.errors import StudyError
from rrall.logic.parse import Grammar
from rrall.trials.model import Trial

AGE = re.compile(r"^\s*(\d+)\s+(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)
PER_YEAR = {"year": Decimal(1), "month": Decimal(12), "week": Decimal("52.18"), "day": Decimal("365.25")}
PHASES = {
    "EARLY_PHASE1": "Early Phase 1",
    "PHASE1": "Phase 1",
    "PHASE2": "Phase 2",
    "PHASE3": "Phase 3",
    "PHASE4": "Phase 4",
}
STATUSES = {
    "RECRUITING",
    "NOT_YET_RECRUITING",
    "ENROLLING_BY_INVITATION",
    "AVAILABLE",
    "ACTIVE_NOT_RECRUITING",
    "SUSPENDED",
    "TEMPORARILY_NOT_AVAILABLE",
    "COMPLETED",
    "TERMINATED",
    "WITHDRAWN",
    "NO_LONGER_AVAILABLE",
    "APPROVED_FOR_MARKETING",
    "WITHHELD",
    "UNKNOWN",
}
HEADING = re.compile(r"^\s*(?:key\s+)?(inclusion|exclusion)\s+criteria\s*:?\s*$", re.IGNORECASE)
ITEM = re.compile(r"^(\s*)(?:[*\-•]|\d+[.)])\s+(.*)$")
ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>=|~])")


def age_years(text: str | None, where: str) -> Decimal | None:
    """'21 Years' -> 21, '6 Months' -> 0.5, '28 Days' -> 0.0767; absent -> None (no limit)."""
    if text is None:
        return None
    match = AGE.match(text)
    if not match:
        raise StudyError(f"{where}: {text!r} is not an age like '1 Year', '6 Months' or '28 Days'")
    number, unit = Decimal(match.group(1)), match.group(2).lower()
    if unit in ("hour", "minute"):
        return Decimal(0)
    return (number / PER_YEAR[unit]).quantize(Decimal("0.0001")).normalize()


def max_months(text: str | None) -> int | None:
    """An upper limit written in months, weeks, days or hours, in whole months (inclusive:
    '24 Months' admits a child until 25 months); None for limits in years or no limit."""
    match = AGE.match(text) if isinstance(text, str) else None
    if match is None or match.group(2).lower() == "year":
        return None
    number, unit = Decimal(match.group(1)), match.group(2).lower()
    if unit == "month":
        return int(number)
    days = {"week": number * 7, "day": number}.get(unit, Decimal(0))
    return int(days / Decimal("30.4375"))


def split_criteria(text: str | None) -> list[str]:
    """The eligibility text as 'Inclusion: ...' / 'Exclusion: ...' items; nested items are
    joined to their parent; markdown escapes are removed."""
    if not text:
        return []
    section = "Criteria"
    items: list[str] = []
    for raw in text.splitlines():
        line = ESCAPE.sub(r"\1", raw.rstrip())
        if not line.strip():
            continue
        heading = HEADING.match(line)
        if heading:
            section = heading.group(1).capitalize()
            continue
        item = ITEM.match(line)
        if item and (len(item.group(1)) < 2 or not items):
            items.append(f"{section}: {item.group(2).strip()}")
        elif item and items:
            items[-1] += f"; {item.group(2).strip()}"
        elif items and not line.startswith((" ", "\t")) and section == "Criteria":
            items.append(f"{section}: {line.strip()}")
        elif items:
            items[-1] += f" {line.strip()}"
        else:
            items.append(f"{section}: {line.strip()}")
    return items


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _date(text: Any) -> date | None:
    """Full dates only: a partial date ('2026-09') is not turned into a made-up day."""
    if isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    return None


def _years(value: Decimal) -> str:
    shown = f"{value.normalize():f}"
    return f"{shown} year" if shown == "1" else f"{shown} years"


def study_to_trial(study: Any, grammar: Grammar) -> Trial:
    if not isinstance(study, dict):
        raise StudyError("a study must be a JSON object")
    protocol = study.get("protocolSection")
    nct = _get(protocol, "identificationModule", "nctId")
    if not isinstance(nct, str) or not re.fullmatch(r"NCT\d{8}", nct):
        raise StudyError("protocolSection.identificationModule.nctId is missing or not NCT and 8 digits")
    ident = _get(protocol, "identificationModule") or {}
    status_module = _get(protocol, "statusModule") or {}
    overall = status_module.get("overallStatus") or "UNKNOWN"
    if overall not in STATUSES:
        raise StudyError(f"statusModule.overallStatus {overall!r} is not a registry status")
    status_text = overall.replace("_", " ").capitalize()
    if overall == "UNKNOWN" and status_module.get("lastKnownStatus"):
        status_text += f" (last known: {status_module['lastKnownStatus'].replace('_', ' ').lower()})"
    eligibility = _get(protocol, "eligibilityModule") or {}
    criteria: dict[str, Any] = {}
    minimum = age_years(eligibility.get("minimumAge"), "eligibilityModule.minimumAge")
    maximum = age_years(eligibility.get("maximumAge"), "eligibilityModule.maximumAge")
    in_months = max_months(eligibility.get("maximumAge"))
    age: dict[str, str] = {}
    if minimum is not None:
        age["at_least"] = _years(minimum)
    if in_months is not None:
        age["at_most"] = f"{in_months} month{'' if in_months == 1 else 's'}"  # not widened to years
    elif maximum is not None:
        age["at_most"] = _years(maximum)
    if age:
        criteria["age"] = age
    sex = (eligibility.get("sex") or "").lower() or None
    if sex in ("female", "male"):
        criteria["sex"] = sex
    phases = _get(protocol, "designModule", "phases") or []
    interventions = _get(protocol, "armsInterventionsModule", "interventions") or []
    locations = _get(protocol, "contactsLocationsModule", "locations") or []
    updated = _get(status_module, "lastUpdatePostDateStruct", "date")
    secondary = [s.get("id") for s in ident.get("secondaryIdInfos") or [] if isinstance(s, dict)]
    other_ids = [
        i
        for i in [_get(ident, "orgStudyIdInfo", "id"), ident.get("acronym"), *secondary]
        if isinstance(i, str) and i
    ]
    conditions = _get(protocol, "conditionsModule", "conditions") or []
    try:
        return Trial.model_validate(
            {
                "id": nct,
                "nct_id": nct,
                "other_ids": list(dict.fromkeys(other_ids)),
                "title": ident.get("briefTitle") or ident.get("officialTitle") or nct,
                "phase": "/".join(PHASES[p] for p in phases if p in PHASES) or None,
                "sponsor": _get(protocol, "sponsorCollaboratorsModule", "leadSponsor", "name"),
                "status": overall.lower(),
                "status_text": status_text,
                "status_as_of": _date(updated),
                "interventions": [
                    f"{i.get('type', '').replace('_', ' ').title()}: {i.get('name')}".lstrip(": ")
                    for i in interventions
                    if isinstance(i, dict) and i.get("name")
                ],
                "conditions": [c for c in conditions if isinstance(c, str)],
                "sex": sex if sex in ("all", "female", "male") else None,
                "eligibility": criteria,
                "free_text": split_criteria(eligibility.get("eligibilityCriteria")),
                "locations": [_place(loc) for loc in locations if isinstance(loc, dict)],
                "sources": [f"https://clinicaltrials.gov/study/{nct}"],
                "curated": False,
                "version": updated
                if isinstance(updated, str)
                else _get(study, "derivedSection", "miscInfoModule", "versionHolder"),
            },
            context={"grammar": grammar},
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise StudyError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


def _place(location: dict[str, Any]) -> str:
    parts = (location.get("facility"), location.get("city"), location.get("country"))
    return ", ".join(str(x) for x in parts if x)


def studies_in(data: Any) -> list[Any]:
    """The studies of one file: a page's `studies[]`, or the file itself as one study."""
    if isinstance(data, dict) and "studies" in data:
        if not isinstance(data["studies"], list):
            raise StudyError("'studies' must be a list")
        return list(data["studies"])
    if isinstance(data, dict) and "protocolSection" in data:
        return [data]
    raise StudyError("not a ClinicalTrials.gov v2 study or /studies page (no protocolSection or studies)")


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, why)


def files_in(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*.json") if p.is_file())
    else:
        yield path


def import_path(path: Path, registry_dir: Path, grammar: Grammar) -> ImportReport:
    report = ImportReport()
    if not path.exists():
        report.failed.append((str(path), "no such file or folder"))
        return report
    if registry_dir.exists() and not registry_dir.is_dir():
        report.failed.append((str(registry_dir), "the registry must be a folder, not a file"))
        return report
    registry_dir.mkdir(parents=True, exist_ok=True)
    for file in files_in(path):
        try:
            studies = studies_in(orjson.loads(file.read_bytes()))
            trials = []
            for i, study in enumerate(studies):
                try:
                    trials.append(study_to_trial(study, grammar))
                except (StudyError, TypeError, AttributeError, ValueError) as exc:
                    why = (
                        str(exc) if isinstance(exc, StudyError) else f"a field has an unexpected type ({exc})"
                    )
                    raise StudyError(f"study {i + 1}: {why}" if len(studies) > 1 else why) from None
        except (OSError, orjson.JSONDecodeError, StudyError) as exc:
            why = f"not valid JSON: {exc}" if isinstance(exc, orjson.JSONDecodeError) else str(exc)
            report.failed.append((str(file), why))
            continue
        for trial in trials:  # the whole file was valid: now write each trial atomically
            _store(trial, registry_dir, report, grammar)
    return report


def _store(trial: Trial, registry_dir: Path, report: ImportReport, grammar: Grammar) -> None:
    target = registry_dir / f"{trial.id}.json"
    if target.exists():
        try:
            old = Trial.model_validate(orjson.loads(target.read_bytes()), context={"grammar": grammar})
        except (OSError, orjson.JSONDecodeError, ValidationError):
            old = None
        if old is not None and (old.version or "") >= (trial.version or ""):
            report.unchanged.append(trial.id)
            return
        report.updated.append(trial.id)
    else:
        report.added.append(trial.id)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(orjson.dumps(trial.model_dump(mode="json"), option=orjson.OPT_INDENT_2))
    partial.replace(target)
