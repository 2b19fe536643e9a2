"""`rrall trials import | list | match`: the registry on the command line."""


import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from rrall.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rrall.knowledge.glossary import Glossary
    from rrall.results import TrialMatch
    from rrall.trials.model import Trial

trials_app = typer.Typer(
    no_args_is_help=True, help="The clinical-trial registry: import from ClinicalTrials.gov, list, match."
)
RegistryOption = Annotated[
    Path | None,
    typer.Option(
        "--registry", help="Folder of imported trials (default: RRALL_HOME/trials).", show_default=False
    ),
]
KnowledgeOption = Annotated[
    Path | None,
    typer.Option(
        "--knowledge", help="Knowledge base folder (default: the bundled release).", show_default=False
    ),
]


class Format(StrEnum):
    text = "text"
    json = "json"


@trials_app.command("import")
def import_command(
    path: Annotated[
        Path,
        typer.Argument(
            help="A v2 study JSON, a /studies page, or a folder of study files.", show_default=False
        ),
    ],
    registry: RegistryOption = None,
) -> None:
    """Import ClinicalTrials.gov API v2 JSON into the registry (marked not curated)."""
    from rrall.knowledge.load import default_knowledge
    from rrall.trials.ctgov import import_path
    from rrall.trials.registry import imported_dir

    target = registry or imported_dir()
    kb = default_knowledge()
    report = import_path(path, target, kb.grammar)
    _say_refreshed(kb, target)
    for file, why in report.failed:
        typer.echo(f"error: {file}: {why} (file skipped, nothing written from it)", err=True)
    typer.echo(
        f"{len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged (the registry already had that version or a newer one), "
        f"{len(report.failed)} file(s) skipped; registry {target}"
    )
    if report.failed:
        raise typer.Exit(ExitCode.BAD_INPUT)


def _say_refreshed(kb: Any, target: Path) -> None:
    """Each curated trial whose status the registry's newer record now gives."""
    from rrall.trials.registry import load_curated, load_imported, refreshed

    imported, _problems = load_imported(target, kb.grammar)
    for old, new in refreshed(load_curated(kb.root / "trials", kb.grammar), imported):
        was = f"{old.status.replace('_', ' ')} ({old.status_as_of or 'undated'})"
        typer.echo(
            f"status of {old.id} refreshed from the registry: {was} -> {new.status.replace('_', ' ')} "
            f"(as of {new.status_as_of})"
        )


@trials_app.command("list")
def list_command(
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
    registry: RegistryOption = None,
    knowledge: KnowledgeOption = None,
) -> None:
    """Print the registry with each trial's structured eligibility, for audit."""
    from rich.console import Console
    from rich.table import Table

    found = _registry(registry, knowledge)
    rows = [audit_view(t) for t in found.trials]
    for problem in found.problems:
        typer.echo(f"warning: {problem}", err=True)
    if fmt is Format.json:
        sys.stdout.buffer.write(orjson.dumps({"trials": rows}, option=orjson.OPT_INDENT_2) + b"\n")
        return
    table = Table(title=f"{len(rows)} trials", title_justify="left")
    for column in ("id", "phase", "status (as of)", "ages", "lineage", "states", "curated"):
        table.add_column(column)
    for row in rows:
        ages = f"{_age(row['min_age_years'])}-{_age(row['max_age_years'])}"
        table.add_row(
            row["id"],
            row["phase"] or "-",
            f"{row['status']} ({row['status_as_of'] or 'undated'})",
            ages,
            ",".join(row["immunophenotype"] or []) or "-",
            ", ".join(row["disease_states"] or []) or "-",
            "yes" if row["curated"] else "no",
        )
    Console(highlight=False).print(table)


@trials_app.command("lint")
def lint_command(
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
    knowledge: KnowledgeOption = None,
) -> None:
    """Per curated trial, which eligibility bullets the criteria say and which remain free text."""
    from rrall.knowledge.load import default_knowledge, load_knowledge
    from rrall.trials.coverage import coverage, totals
    from rrall.trials.registry import load_curated

    kb = load_knowledge(knowledge) if knowledge else default_knowledge()
    rows = coverage(load_curated(kb.root / "trials", kb.grammar))
    structured, total = totals(rows)
    if fmt is Format.json:
        data = {
            "structured": structured, "total": total, "trials": len(rows),
            "per_trial": [
                {"id": c.trial_id, "structured": c.structured, "total": c.total,
                 "free_text": list(c.free_text)}
                for c in rows
            ],
        }
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        return
    for c in rows:
        typer.echo(f"{c.trial_id}: {c.structured}/{c.total} bullets structured")
        for text in c.free_text:
            typer.echo(f"  free text: {text}")
    share = f" ({100 * structured / total:.0f} %)" if total else ""
    typer.echo(f"{structured}/{total} eligibility bullets structured{share} over {len(rows)} curated trials")


@trials_app.command("match")
def match_command(
    case_file: Annotated[Path, typer.Argument(help="A case file (.json or .yaml).", show_default=False)],
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
    include_closed: Annotated[
        bool, typer.Option("--include-closed", help="Also list trials not open to enrolment.")
    ] = False,
    registry: RegistryOption = None,
    knowledge: KnowledgeOption = None,
) -> None:
    """Match one case against the registry, criterion by criterion (met, not met, unknown)."""
    from rrall.assessment import match_trials_for
    from rrall.case.load import load_case
    from rrall.errors import CaseInputError
    from rrall.knowledge.load import default_knowledge, load_knowledge

    kb = load_knowledge(knowledge) if knowledge else default_knowledge()
    try:
        case = load_case(case_file, kb)
    except CaseInputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    matches = match_trials_for(case, kb, trials=_registry(registry, knowledge), include_closed=include_closed)
    if fmt is Format.json:
        from pydantic import TypeAdapter

        from rrall.results import TrialMatch

        listed = orjson.Fragment(TypeAdapter(tuple[TrialMatch, ...]).dump_json(matches))
        data = {"case_id": case.id, "assessment_date": case.as_of.isoformat(), "trials": listed}
        sys.stdout.buffer.write(orjson.dumps(data) + b"\n")
        return
    print_matches(case.id, matches, kb.glossary)


def print_matches(case_id: str, matches: "Sequence[TrialMatch]", glossary: "Glossary") -> None:
    from rich.console import Console

    from rrall.report.words import field_words

    out = Console(highlight=False)
    mark = {"met": "[green]✓[/green]", "not_met": "[red]✗[/red]", "unknown": "[magenta]?[/magenta]"}
    heading = {"open": "Open to enrolment", "status_unknown": "Status unknown: confirm the status first",
               "closed": "Not open to enrolment"}
    grouped = any(x.status_group != "open" for x in matches)
    lines = ["[dim]Decision support for qualified clinicians, for research and education; rrall does not "
             "prescribe. Check every status and criterion with the trial team.[/dim]",
             f"[bold]{_escape(case_id)}[/bold]: {len(matches)} trial(s)"]
    shown = None
    for m in matches:
        group = m.status_group
        if group != shown and grouped:
            lines.append(f"\n[bold underline]{heading[group]}[/bold underline]")
        shown = group
        as_of = f"as of {m.status_as_of.isoformat()}" if m.status_as_of else "status undated"
        origin = "curated" if m.curated else "imported, not curated"
        lines.append(
            f"\n[bold]{m.status.replace('_', ' ')}[/bold] · {m.id} · {m.phase or 'phase not given'} · "
            f"{m.trial_status.replace('_', ' ')} ({as_of}) · {origin}"
        )
        lines.append(f"  {_escape(m.title)}")
        if m.status_warning:
            lines.append(f"  [yellow]{_escape(m.status_warning)}[/yellow]")
        lines += [f"  {mark[c.result]} {_escape(c.detail)}" for c in m.criteria]
        if m.missing:
            said = ", ".join(field_words(f, glossary) for f in m.missing)
            lines.append(f"  [magenta]would decide: {_escape(said)}[/magenta]")
    if out.is_terminal and len(matches) <= RICH_UP_TO:
        out.print("\n".join(lines))
    else:  # piped, or a registry's worth: plain text (rich took seconds per 1,000 trials)
        sys.stdout.write(_plain("\n".join(lines)) + "\n")


def audit_view(t: "Trial") -> dict[str, Any]:
    """The structured eligibility under trials.json's key names (read off the criteria), the
    criteria as written and in words, then everything else."""
    from rrall.engine import engine_for
    from rrall.knowledge.load import default_knowledge
    from rrall.trials.audit import eligibility_summary

    return {
        "id": t.id, "nct_id": t.nct_id, "other_ids": t.other_ids, "title": t.title, "phase": t.phase,
        "sponsor": t.sponsor, "status": t.status, "status_text": t.status_text,
        "status_as_of": t.status_as_of.isoformat() if t.status_as_of else None, "curated": t.curated,
        **eligibility_summary(t),
        "eligibility": t.eligibility.source,
        "eligibility_in_words": engine_for(default_knowledge()).in_words(t.eligibility),
        "free_text": t.free_text, "interventions": t.interventions, "conditions": t.conditions,
        "sources": t.sources,
    }


def _age(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


RICH_UP_TO = 200  # trials listed with colours on a terminal; more are written as plain text
_MARKUP = re.compile(r"(?<!\\)\[/?(?:bold underline|bold|dim|green|red|magenta|yellow)\]")


def _plain(text: str) -> str:
    """The listing without its colour markup (and with escaped brackets as brackets)."""
    return _MARKUP.sub("", text).replace(r"\[", "[")


def _registry(folder: Path | None, knowledge: Path | None) -> Any:
    """The curated trials of the knowledge base plus those imported into `folder`."""
    from rrall.knowledge.load import default_knowledge, load_knowledge
    from rrall.trials.registry import Registry, curated_trials, imported_dir, imported_trials

    if folder is not None and not folder.is_dir():
        why = "is a file, not a folder" if folder.exists() else "does not exist"
        typer.echo(f"error: --registry {folder}: {why}", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT)
    kb = load_knowledge(knowledge) if knowledge else default_knowledge()
    imported, problems = imported_trials(folder or imported_dir(), kb)
    return Registry.merge(curated_trials(kb), imported, problems)
