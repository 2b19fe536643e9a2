"""The `rrall` command. Exit codes: 0 done, 1 internal failure, 2 bad input.

Heavy modules (the engine, rich) are imported inside the commands that need them, so
that `rrall --version` and a one-case `rrall assess` start quickly.
"""


import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from rrall._version import __version__
from rrall.cohort.cli import cohort_command, synth_command
from rrall.errors import ExitCode
from rrall.fhir.cli import fhir_app
from rrall.release_cli import add_commands as add_release_commands
from rrall.runtime import few_full_collections, freeze_at_exit
from rrall.trials_cli import trials_app
from rrall.web.cdscli import cds_app
from rrall.web.cli import report_command, serve_command, users_app

if TYPE_CHECKING:
    from rrall.case.model import Case
    from rrall.errors import CaseInputError
    from rrall.knowledge.load import KnowledgeBase
    from rrall.report import Renderer


ORDER = ("assess", "report", "serve", "users", "knowledge", "trials", "cohort", "synth", "fhir", "cds",
         "schema")


class InOrder(TyperGroup):
    """Commands in the order a new user meets them, not alphabetically."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda name: ORDER.index(name) if name in ORDER else len(ORDER))


app = typer.Typer(cls=InOrder, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="rrall: decision support for relapsed and refractory childhood ALL. "
                  "For qualified clinicians, research and education; it does not prescribe.")
knowledge_app = typer.Typer(no_args_is_help=True, help="Inspect and check the knowledge base, compare "
                            "releases, install one in the workbench.")


class Format(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    fhir = "fhir"


class Detail(StrEnum):
    full = "full"
    summary = "summary"


class InputFormat(StrEnum):
    """The format of an input whose name does not give it (standard input, a pipe)."""

    json = "json"
    yaml = "yaml"
    jsonl = "jsonl"


class Region(StrEnum):
    """The regulatory region whose label status leads (knowledge/labels.yaml)."""

    US = "US"
    EU = "EU"


KnowledgeOption = Annotated[
    Path | None,
    typer.Option("--knowledge", help="Knowledge base folder (default: the bundled release).",
                 envvar="RRALL_KNOWLEDGE", show_default=False),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rrall {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """rrall command line."""


def _knowledge(path: Path | None) -> "KnowledgeBase":
    from rrall.errors import KnowledgeError
    from rrall.knowledge.load import default_knowledge, load_knowledge

    try:
        return load_knowledge(path) if path else default_knowledge()
    except KnowledgeError as exc:
        _fail(str(exc), ExitCode.INTERNAL)


GIVE_FORMAT = ", or --input-format json, yaml or jsonl for a pipe or another name"


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _case_files(paths: list[Path]) -> Iterator[Path]:
    from rrall.case.load import CASE_SUFFIXES, STDIN

    for path in paths:
        if str(path) == STDIN:  # standard input, even where a folder is named "-"
            yield path
        elif path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix in (*CASE_SUFFIXES, ".jsonl"))
        else:
            yield path


def _cases(paths: list[Path], kb: "KnowledgeBase",
           input_format: "InputFormat | None" = None) -> "Iterator[Case | CaseInputError]":
    from rrall.case.load import iter_cases

    for path in _case_files(paths):
        yield from iter_cases(path, kb, input_format=input_format and input_format.value,
                              how_to_say=GIVE_FORMAT)


def assess(
    paths: Annotated[list[Path], typer.Argument(help="Case files (.json, .yaml, .jsonl) or folders; - for "
                                                "standard input.", show_default=False)],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    input_format: Annotated[InputFormat | None, typer.Option(
        "--input-format", help="The format of inputs whose name does not give it: standard input (-), a "
        "pipe, a name without .json, .yaml, .yml or .jsonl.", show_default=False)] = None,
    knowledge: KnowledgeOption = None,
    factors: Annotated[str | None, typer.Option(
        "--anthracycline-factors", help="Doxorubicin-equivalent factor table (default: the knowledge "
        "base's, PanCareFollowUp).", show_default=False)] = None,
    full: Annotated[bool, typer.Option("--full", help="Text: everything (reasons, every option, prognosis, "
                                       "trials, sources), not only the one-screen summary.")] = False,
    detail: Annotated[Detail, typer.Option(
        "--detail", help="JSON and JSON Lines: everything (full), or ids, classification, groups, HSCT "
        "rules, option statuses, missing fields and citations by id (summary).")] = Detail.full,
    region: Annotated[Region, typer.Option(
        "--region", envvar="RRALL_REGION",
        help="Text: the region whose label status leads where labels differ.")] = Region.US,
) -> None:
    """Assess cases: the one-screen summary (frameworks, HSCT, options, missing tests), or JSON."""
    from functools import partial

    from rrall.assessment import assess as assess_case
    from rrall.errors import CaseInputError

    kb = _knowledge(knowledge)
    tables = [t.id for t in kb.anthracyclines.tables]
    if factors is not None and factors not in tables:
        _fail(f"--anthracycline-factors: {factors!r} is not a factor table; allowed: {', '.join(tables)}",
              ExitCode.BAD_INPUT)
    from rrall.case.load import STDIN

    stdin = sum(str(p) == STDIN for p in paths)
    if stdin > 1:
        _fail("-: standard input is given more than once; it can be read once", ExitCode.BAD_INPUT)
    if stdin and input_format is None:
        _fail("-: standard input has no name to give its format (allowed: --input-format json, yaml or "
              "jsonl)", ExitCode.BAD_INPUT)
    if detail is Detail.summary and fmt not in (Format.json, Format.jsonl):
        _fail(f"--detail summary: applies to JSON and JSON Lines output, not {fmt.value} (allowed: "
              "--format json or --format jsonl)", ExitCode.BAD_INPUT)
    run = partial(assess_case, anthracycline_table=factors)
    if fmt is Format.jsonl:
        bad = _assess_jsonl_fast(paths, kb, factors, detail, input_format)
        if bad:
            _fail(f"{bad} case(s) could not be assessed; see the error records.", ExitCode.BAD_INPUT)
        return
    render = _renderer(fmt, kb, full, detail, region.value) if fmt is not Format.fhir else None
    fhir = None
    if render is None:
        from rrall.fhir.render import FhirRenderer

        render = fhir = FhirRenderer(kb.glossary)
    bad = 0
    try:
        for item in _cases(paths, kb, input_format):
            if isinstance(item, CaseInputError):
                bad += 1
                render.error(item)
            else:
                if fhir is not None:
                    fhir.case = item
                render.assessment(run(item, kb))
        render.close()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if bad:
        _fail(f"{bad} case(s) could not be assessed; see the errors above.", ExitCode.BAD_INPUT)


def _assess_jsonl_fast(paths: list[Path], kb: "KnowledgeBase", factors: str | None, detail: Detail,
                       input_format: InputFormat | None = None) -> int:
    """JSON Lines out: .jsonl inputs go through the parallel batch path, others one by one."""
    from rrall.assessment import assess
    from rrall.batch import write_jsonl
    from rrall.case.load import iter_cases
    from rrall.errors import CaseInputError
    from rrall.report.jsonout import JsonRenderer

    render, bad = JsonRenderer(lines=True, detail=detail.value), 0
    try:
        for path in _case_files(paths):
            if path.suffix == ".jsonl" and path.is_file():
                bad += write_jsonl(path, kb, render.out, anthracycline_table=factors, detail=detail.value)
                continue
            for item in iter_cases(path, kb, input_format=input_format and input_format.value,
                                   how_to_say=GIVE_FORMAT):
                if isinstance(item, CaseInputError):
                    bad += 1
                    render.error(item)
                else:
                    render.assessment(assess(item, kb, anthracycline_table=factors))
        render.close()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return bad


def _renderer(fmt: Format, kb: "KnowledgeBase", full: bool, detail: Detail = Detail.full,
              region: str = "US") -> "Renderer":
    if fmt is Format.text:
        from rrall.report.text import TextRenderer

        return TextRenderer(kb, full=full, region=region)
    from rrall.report.jsonout import JsonRenderer

    return JsonRenderer(lines=False, detail=detail.value)


def schema(
    output: Annotated[bool, typer.Option("--output", help="The schema of the assessment output (JSON), "
                                         "not of the case format.")] = False,
    detail: Annotated[Detail, typer.Option("--detail", help="With --output: the full or the summary "
                                           "shape.")] = Detail.full,
) -> None:
    """Print the JSON Schema of the case format (v1.3), or with --output of the assessment output."""
    import json

    if output:
        from rrall.results import Assessment, AssessmentSummary

        model = AssessmentSummary if detail is Detail.summary else Assessment
        document = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                    **model.model_json_schema(mode="serialization")}
        typer.echo(json.dumps(document, indent=2))
        return
    if detail is not Detail.full:
        _fail("--detail: applies with --output only (allowed: rrall schema --output --detail summary)",
              ExitCode.BAD_INPUT)
    from rrall.case.schema import case_json_schema

    typer.echo(json.dumps(case_json_schema(), indent=2))


@knowledge_app.command("lint")
def knowledge_lint(knowledge: KnowledgeOption = None) -> None:
    """Check every knowledge file; exit 1 on any error."""
    from rrall.knowledge.load import default_knowledge_dir
    from rrall.lint import lint

    root = knowledge or default_knowledge_dir()
    problems = lint(root)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        _fail(f"{len(problems)} knowledge error(s) in {root}", ExitCode.INTERNAL)
    typer.echo(f"knowledge base {root}: OK")


class ShowFormat(StrEnum):
    text = "text"
    json = "json"


@knowledge_app.command("show")
def knowledge_show(
    therapy_id: Annotated[str, typer.Argument(help="A therapy option, by id or name in any capitalisation, "
                                              "e.g. Blinatumomab or allogeneic_hsct.",
                                              show_default=False)],
    fmt: Annotated[ShowFormat, typer.Option("--format", "-f")] = ShowFormat.text,
    knowledge: KnowledgeOption = None,
) -> None:
    """Print one therapy option: its criteria, decision rules, cautions, evidence and sources."""
    from rrall.report.knowledge import find_therapy, show_therapy

    kb = _knowledge(knowledge)
    found = find_therapy(kb, therapy_id)
    if found is None:
        _fail(f"no therapy option {therapy_id!r}; write one of: {', '.join(kb.therapies)} "
              "(any capitalisation; the option's name works too)", ExitCode.BAD_INPUT)
    show_therapy(kb, found, as_json=fmt is ShowFormat.json)


@knowledge_app.command("references")
def knowledge_references(
    fmt: Annotated[ShowFormat, typer.Option("--format", "-f")] = ShowFormat.text,
    knowledge: KnowledgeOption = None,
) -> None:
    """Print every source the knowledge base cites, with its identifiers and what it supports."""
    from rrall.report.knowledge import show_references

    show_references(_knowledge(knowledge), as_json=fmt is ShowFormat.json)


add_release_commands(knowledge_app)

# The extra that provides each package a command may need (pyproject.toml): the core install
# is the engine and the command line; the rest is asked for by name.
EXTRAS = {"fastapi": "web", "uvicorn": "web", "sqlalchemy": "web", "alembic": "web", "jwt": "web",
          "multipart": "web", "jinja2": "report", "weasyprint": "report", "matplotlib": "report",
          "fhir": "fhir", "httpx": "fhir", "polars": "cohort", "numpy": "cohort", "lifelines": "cohort",
          "dask": "dask", "distributed": "dask", "psycopg": "postgres", "cryptography": "sign"}


# `rrall --help` lists the commands in the order a new user meets them, each with one line.
app.command("assess", short_help="Assess cases: the one-screen summary, everything with --full, or JSON.")(
    assess)
app.command("report", short_help="Write the clinician report or the family summary (HTML or PDF).")(
    report_command)
app.command("serve", short_help="Start the tumor-board workbench in the foreground (pages and REST API).")(
    serve_command)
app.add_typer(users_app, name="users", help="Workbench users, passwords and API tokens.")
app.add_typer(knowledge_app, name="knowledge",
              help="Check the knowledge base, show an option or the sources; compare, verify and install "
              "releases.")
app.add_typer(trials_app, name="trials", help="The trial registry: match a case, import, list.")
app.command("cohort", short_help="Assess a cohort table: results, errors and a summary report.")(
    cohort_command)
app.command("synth", short_help="Write a SYNTHETIC cohort (not patient data) for trying cohort mode.")(
    synth_command)
app.add_typer(fhir_app, name="fhir", help="FHIR R4: read a record into a case, write a case as FHIR.")
app.add_typer(cds_app, name="cds", help="CDS Hooks test-client keys and tokens, for trying the service.")
app.command("schema", short_help="Print the JSON Schema of the case format.")(schema)


def main() -> None:
    # A third-party pydantic plugin would see every value validated, and a case is patient
    # data: rrall's own processes load none (this also skips their discovery at start-up).
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    few_full_collections()
    try:
        app()
    except ModuleNotFoundError as exc:
        extra = EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None or os.environ.get("RRALL_DEBUG"):
            raise
        typer.echo(f"rrall: this needs the '{extra}' extra, which is not installed: "
                   f"pip install 'rrall[{extra}]' (or 'rrall[all]')", err=True)
        sys.exit(ExitCode.BAD_INPUT)
    except Exception as exc:  # an internal failure: short message, exit 1, no traceback
        if os.environ.get("RRALL_DEBUG"):
            raise
        said = str(exc) if len(str(exc)) <= 200 else str(exc)[:200] + "..."  # it may quote a huge value
        typer.echo(f"rrall: internal error: {type(exc).__name__}: {said} "
                   "(set RRALL_DEBUG=1 for details)", err=True)
        sys.exit(ExitCode.INTERNAL)
    finally:
        freeze_at_exit()
