"""`rrall fhir import` and `rrall fhir export`."""


import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from rrall.errors import ExitCode

fhir_app = typer.Typer(no_args_is_help=True, help="FHIR R4: read a record into a case, write a case as FHIR.")


@fhir_app.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help="A Bundle (.json), an NDJSON file, or a folder of NDJSON "
                                                "files from a Bulk Data export.", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the case here (default: stdout).",
                                             show_default=False)] = None,
) -> None:
    """Map a FHIR R4 record to the case format. Unmapped elements are warnings naming the
    resource and element; conflicting data is an error naming both resources (exit 2)."""
    from rrall.case.load import parse_case
    from rrall.errors import CaseInputError
    from rrall.fhir.importer import import_case

    if not source.exists():
        typer.echo(f"{source}: no such file or folder", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT)
    result = import_case(source)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    errors = list(result.errors)
    if not errors:
        try:
            parse_case(result.document)
        except CaseInputError as exc:
            errors = exc.errors
    for error in errors:
        typer.echo(f"error: {error}", err=True)
    body = orjson.dumps(result.document, option=orjson.OPT_INDENT_2) + b"\n"
    if out:
        out.write_bytes(body)
    else:
        sys.stdout.buffer.write(body)
    if errors:
        typer.echo(f"{len(errors)} problem(s): the case above is what could be read; it is not valid yet.",
                   err=True)
        raise typer.Exit(ExitCode.BAD_INPUT)


@fhir_app.command("export")
def export_command(
    case_file: Annotated[Path, typer.Argument(help="A case file (.json or .yaml).", show_default=False)],
) -> None:
    """Print a case as a FHIR R4 Bundle (collection), the shape `rrall fhir import` reads."""
    from rrall.case.load import load_case
    from rrall.errors import CaseInputError
    from rrall.fhir.export import case_bundle

    try:
        case = load_case(case_file)
    except CaseInputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    sys.stdout.buffer.write(orjson.dumps(case_bundle(case), option=orjson.OPT_INDENT_2) + b"\n")


@fhir_app.command("codesystem")
def codesystem_command(
    name: Annotated[str | None, typer.Argument(help="One of: case, framework, risk-group, therapy-option, "
                                                    "option-status (default: all, as a Bundle).",
                                               show_default=False)] = None,
) -> None:
    """Print rrall's CodeSystems: the case format's own codes (used where no standard code
    was found), the risk frameworks, their groups, the therapy options and their statuses."""
    from rrall._version import __version__
    from rrall.fhir.codesystems import NAMES, code_systems
    from rrall.knowledge.load import default_knowledge

    if name is not None and name not in NAMES:
        typer.echo(f"no CodeSystem {name!r}; allowed: {', '.join(NAMES)}", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT)
    systems = code_systems(default_knowledge(), __version__)
    body: dict[str, object] = systems[name] if name else {
        "resourceType": "Bundle", "type": "collection",
        "entry": [{"fullUrl": s["url"], "resource": s} for s in systems.values()]}
    sys.stdout.buffer.write(orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")
