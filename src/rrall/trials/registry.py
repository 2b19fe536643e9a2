"""The trial registry: the curated trials shipped in knowledge/trials/, plus the trials a
user imported from ClinicalTrials.gov into their data directory (RRALL_HOME/trials/).

An imported record of a trial that is also curated never replaces the curated
eligibility (the registry's own record holds only ages and text); its status is used
when it is newer than the curated one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from rrall.errors import KnowledgeError
from rrall.knowledge.load import KnowledgeBase, read_yaml, validation_problems
from rrall.logic.parse import Grammar
from rrall.trials.model import Trial


class TrialFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    format_version: int
    trial: Trial


def rrall_home() -> Path:
    """RRALL_HOME, else the user's data directory (XDG_DATA_HOME or ~/.local/share)/rrall."""
    home = os.environ.get("RRALL_HOME")
    if home:
        return Path(home)
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "rrall"


def imported_dir(home: Path | None = None) -> Path:
    return (home or rrall_home()) / "trials"


def load_curated(folder: Path, grammar: Grammar) -> list[Trial]:
    """Every curated trial file; all problems at once (KnowledgeError)."""
    problems: list[str] = []
    trials = []
    for path in sorted(folder.glob("*.yaml")):
        data = read_yaml(path, problems)
        if data is None:
            continue
        try:
            trials.append(TrialFile.model_validate(data, context={"grammar": grammar}).trial)
        except ValidationError as exc:
            problems += validation_problems(f"trials/{path.name}", exc)
    if problems:
        raise KnowledgeError(problems)
    return trials


def record_files(folder: Path) -> list[str]:
    """The imported records' files in name order, every name ending in .json (as pathlib's
    glob gives them, dot-files included): the one listing that the loader reads and the
    snapshot's key stamps. Strings from os.scandir: pathlib's glob and Path comparisons
    took a tenth of a second on 10,000 records."""
    if not folder.is_dir():
        return []
    return sorted(entry.path for entry in os.scandir(folder) if entry.name.endswith(".json"))


def load_imported(folder: Path, grammar: Grammar) -> tuple[list[Trial], list[str]]:
    """Imported trials (one JSON file each) and a problem per unreadable file; an
    unreadable file is skipped, never half-used."""
    trials, problems = [], []
    # Imported records repeat a few hundred distinct structured criteria: each is kept once
    # (equal criteria are equal values), which makes a snapshot of 10,000 records a third
    # of the size and three times quicker to load.
    shared: dict[Any, Any] = {}
    for path in map(Path, record_files(folder)):
        try:
            trial = Trial.model_validate_json(path.read_bytes(), context={"grammar": grammar})
        except (OSError, ValidationError) as exc:
            problems.append(f"{path}: skipped, not a readable trial record ({type(exc).__name__}); "
                            "import it again with `rrall trials import`")
            continue
        same = shared.setdefault(trial.eligibility.test, trial.eligibility)
        trials.append(trial if same is trial.eligibility else trial.model_copy(update={"eligibility": same}))
    return trials, problems


@dataclass(frozen=True, eq=False)
class Registry:
    trials: tuple[Trial, ...]
    problems: tuple[str, ...] = ()

    @classmethod
    def merge(cls, curated: list[Trial], imported: list[Trial],
              problems: list[str] | None = None) -> Registry:
        by_id = {t.id: t for t in curated}
        for trial in imported:
            mine = by_id.get(trial.id)
            if mine is None:
                by_id[trial.id] = trial
            elif trial.status_as_of and (mine.status_as_of is None or trial.status_as_of > mine.status_as_of):
                by_id[trial.id] = mine.model_copy(update={
                    "status": trial.status, "status_text": trial.status_text,
                    "status_as_of": trial.status_as_of, "locations": trial.locations or mine.locations,
                    "version": trial.version})
        return cls(tuple(by_id.values()), tuple(problems or ()))


def refreshed(curated: list[Trial], imported: list[Trial]) -> list[tuple[Trial, Trial]]:
    """(curated, merged) for each curated trial whose status a newer imported registry
    record changes or re-dates."""
    merged = {t.id: t for t in Registry.merge(curated, imported).trials}
    return [
        (t, merged[t.id])
        for t in curated
        if (merged[t.id].status, merged[t.id].status_as_of) != (t.status, t.status_as_of)
    ]


def default_registry(kb: KnowledgeBase, home: Path | None = None) -> Registry:
    """The curated trials of a knowledge base plus the user's imported ones."""
    curated = curated_trials(kb)
    imported, problems = imported_trials(imported_dir(home), kb)
    return Registry.merge(curated, imported, problems)


def curated_trials(kb: KnowledgeBase) -> list[Trial]:
    """`load_curated` of the knowledge base's trials, from a snapshot keyed like the
    knowledge base's own (every knowledge file's bytes): a tenth of a one-case run's set-up
    went to reading and validating the 42 trial files again."""
    from rrall.knowledge.snapshot import snapshot

    knowledge = [path for path in kb.root.rglob("*") if path.is_file()]
    return snapshot("curated", kb.root, knowledge, lambda: load_curated(kb.root / "trials", kb.grammar))


def imported_trials(folder: Path, kb: KnowledgeBase) -> tuple[list[Trial], list[str]]:
    """`load_imported`, from a snapshot keyed by every knowledge file's bytes and every
    imported record's size, inode and modification time (knowledge/snapshot.py): 10,000
    records are read and validated again only when one of them is written (`rrall trials
    import` writes whole files), added or removed, or the knowledge base changes."""
    from rrall.knowledge.snapshot import snapshot

    records = record_files(folder)
    if not records:
        return [], []
    knowledge = [path for path in kb.root.rglob("*") if path.is_file()]
    return snapshot("trials", folder, knowledge, lambda: load_imported(folder, kb.grammar), stamped=records)
