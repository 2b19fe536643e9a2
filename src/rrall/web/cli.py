"""`rrall serve`, `rrall users ...` and `rrall report`: the workbench from the command line."""


import logging
import os
import secrets
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from rrall.errors import ExitCode

if TYPE_CHECKING:
    from rrall.store.repository import Repository
    from rrall.web.settings import Settings

users_app = typer.Typer(no_args_is_help=True, help="Workbench users and API tokens.")


def _fail(message: str, code: int = ExitCode.BAD_INPUT) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def settings_or_exit() -> "Settings":
    """The settings, or a clear message (field, problem) and exit 2: never a traceback."""
    import tomllib

    from pydantic import ValidationError

    from rrall.web.settings import load_settings

    try:
        return load_settings()
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            where = ".".join(str(p) for p in error["loc"])
            typer.echo(f"setting {where} (RRALL_{where.upper()}): {error['msg']}", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        typer.echo(f"RRALL_SETTINGS: cannot read the settings file: {exc}", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT) from None


def _repo() -> "Repository":
    from rrall.store.db import open_engine, upgrade
    from rrall.store.repository import Repository

    engine = open_engine(settings_or_exit().database_url)
    upgrade(engine)
    return Repository(engine)


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    load_cases: Annotated[list[Path] | None, typer.Option(
        "--load-cases", help="Case files or folders to store on start (cases already stored are kept).",
        show_default=False)] = None,
) -> None:
    """Start the tumor-board workbench (web pages and the REST API under /api/v1)."""
    import uvicorn

    from rrall.trials.registry import rrall_home
    from rrall.web.app import create_app
    from rrall.web.security import QuietErrors

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = settings_or_exit()
    app = create_app(settings)
    repo = app.state.repo
    address = f"http://{host}:{port}/"
    box = None
    if repo.count_users() == 0:
        password = secrets.token_urlsafe(12)
        repo.add_user("admin", password, "admin", actor="first-start")
        box = show_first_password(password, rrall_home(), address)
    if load_cases:
        _load(app.state.workbench, load_cases)
    _warm_up(app.state.workbench)
    typer.echo(f"rrall workbench on {address} (database: {_db_kind(settings.database_url)}); "
               "it runs in the foreground: press Ctrl+C to stop it.", err=True)
    served: Any = QuietErrors(app)
    if box:
        # To the terminal only, never to the log; after uvicorn's start-up lines, so it is
        # the last thing on the screen and not lost among them.
        served = AfterStartup(served, box)
    uvicorn.run(served, host=host, port=port, access_log=False, log_level="info")


class AfterStartup:
    """An ASGI wrapper that prints a message to the terminal once the server has started."""

    def __init__(self, app, message: str) -> None:  # type: ignore[no-untyped-def]
        self.app, self.message = app, message

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        import asyncio

        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def told(message) -> None:  # type: ignore[no-untyped-def]
            await send(message)
            if message.get("type") == "lifespan.startup.complete":
                asyncio.get_running_loop().call_later(0.3, lambda: print(self.message, flush=True))

        await self.app(scope, receive, told)


def first_start_box(address: str, password: str) -> str:
    """The first administrator's password in a box that stands out from the log lines."""
    lines = ["First start: rrall created the administrator account.", "",
             f"  Open     {address}", "  User     admin", f"  Password {password}", "",
             "Write the password down now: it is shown only this once.",
             "Change it with: rrall users set-password admin",
             "Add users with: rrall users add NAME --role clinician"]
    width = max(len(line) for line in lines)
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join([rule, *(f"| {line.ljust(width)} |" for line in lines), rule])


def show_first_password(password: str, home: Path, address: str, stdout: TextIO | None = None) -> str | None:
    """The first-start admin password, shown once and never to the log stream (stderr,
    where logging and a service manager's capture go). On a terminal: the box to print on
    standard output once the server has started. Otherwise (a service, a container, output
    to a file): in RRALL_HOME/admin-password, readable by this account only, and stderr
    says where (None is returned)."""
    out = stdout or sys.stdout
    if out.isatty():
        return first_start_box(address, password)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = home / "admin-password"
    path.unlink(missing_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w") as file:
        file.write(password + "\n")
    typer.echo(f"First start: created the user 'admin'. Standard output is not a terminal, so its "
               f"password is in {path} (readable by this account only); delete the file once you "
               "have logged in.", err=True)
    return None


def _warm_up(workbench) -> None:  # type: ignore[no-untyped-def]
    """Build the engine's shared tables before the first request, then move everything
    loaded so far out of the garbage collector's way (fewer long pauses under load)."""
    from rrall.case.model import Case
    from rrall.runtime import few_full_collections, freeze_loaded

    example = Case.model_validate({"id": "warm-up", "sex": "female", "date_of_birth": "2015-01-01",
                                   "assessment_date": "2024-01-01",
                                   "diagnosis": {"date": "2018-01-01", "immunophenotype": "B"},
                                   "relapses": [{"date": "2023-06-01", "sites": ["bone_marrow"]}]})
    workbench.assess(example.model_dump(mode="json", exclude_none=True))
    few_full_collections()
    freeze_loaded()


def _db_kind(url: str) -> str:
    return url.split(":", 1)[0]


def _load(workbench, paths: list[Path]) -> None:  # type: ignore[no-untyped-def]
    from rrall.case.load import CASE_SUFFIXES
    from rrall.case.untrusted import read_document
    from rrall.errors import CaseInputError

    stored = skipped = 0
    files = [p for path in paths for p in (sorted(path.iterdir()) if path.is_dir() else [path])
             if p.suffix in CASE_SUFFIXES]
    for file in files:
        try:
            document = read_document(file.read_bytes())
            if not isinstance(document, dict):
                raise ValueError("a case file holds one JSON/YAML object")
            if workbench.repo.case_by_case_id(str(document.get("id"))):
                skipped += 1
                continue
            workbench.create(document, "loader")
            stored += 1
        except CaseInputError as exc:
            typer.echo(f"{file}: not loaded: {exc}", err=True)
            skipped += 1
        except (ValueError, OSError) as exc:  # ValueError: not UTF-8, YAML or a case's shape
            typer.echo(f"{file}: not loaded: not a JSON or YAML case file: {exc}", err=True)
            skipped += 1
    typer.echo(f"Loaded {stored} case(s) from {len(files)} file(s); {skipped} skipped.", err=True)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(show_default=False)],
    role: Annotated[str, typer.Option(help="viewer, clinician or admin.")] = "clinician",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Add a user who can log in to the workbench."""
    from rrall.errors import ConflictError
    from rrall.store.accounts import ROLES

    if role not in ROLES:
        raise _fail(f"--role: {role!r} is not a role; allowed: {', '.join(ROLES)}")
    password = _new_password(password_stdin)
    try:
        _repo().add_user(username, password, role)
    except ConflictError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"user {username!r} added with role {role}")


def _new_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise _fail(f"the password has {len(password)} characters; write at least 10")
    return password


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument(show_default=False)],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the new password from stdin.")] = False,
) -> None:
    """Give a user a new password (asked twice); their open sessions end."""
    from rrall.errors import NotFoundError

    password = _new_password(password_stdin)
    try:
        _repo().set_password(username, password)
    except NotFoundError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"password of {username!r} changed; their open sessions are closed")


@users_app.command("token")
def users_token(username: Annotated[str, typer.Argument(show_default=False)],
                name: Annotated[str, typer.Option(help="What the token is for.")] = "api") -> None:
    """Issue an API bearer token for a user (shown once; only its hash is stored)."""
    from rrall.errors import NotFoundError

    try:
        token = _repo().issue_token(username, name)
    except NotFoundError as exc:
        raise _fail(str(exc)) from None
    typer.echo(token)


@users_app.command("revoke-tokens")
def users_revoke(username: Annotated[str, typer.Argument(show_default=False)]) -> None:
    """Revoke every API token of a user."""
    from rrall.errors import NotFoundError

    try:
        count = _repo().revoke_tokens(username)
    except NotFoundError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{count} token(s) of {username!r} revoked")


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(show_default=False)],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the user again.")] = False,
) -> None:
    """Stop a user from logging in or using tokens (their sessions end at once)."""
    from rrall.errors import NotFoundError

    try:
        _repo().set_disabled(username, not enable)
    except NotFoundError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"user {username!r} {'enabled' if enable else 'disabled'}")


@users_app.command("list")
def users_list() -> None:
    """Every user with their role."""
    for user in _repo().users():
        state = "disabled" if user.disabled else "active"
        typer.echo(f"{user.username}\t{user.role}\t{state}")


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"


def report_command(
    case_file: Annotated[Path, typer.Argument(help="A case file (.json or .yaml).", show_default=False)],
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="html or pdf.")] = ReportFormat.html,
    family: Annotated[bool, typer.Option("--family", help="The plain-language family summary.")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Language of the family summary: en or es.")] = "en",
    patient_name: Annotated[str, typer.Option("--patient-name", help="The child's name, printed on the "
                                              "clinician report only (never stored or logged).")] = "",
    mrn: Annotated[str, typer.Option("--mrn", help="The medical record number, printed on the clinician "
                                     "report only (never stored or logged).")] = "",
    contact: Annotated[str, typer.Option("--contact", help="Who the family should call, for the family "
                                         "summary's contact box (default: RRALL_CARE_TEAM_CONTACT).",
                                         show_default=False)] = "",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default: CASEID-KIND.FORMAT).",
                                             show_default=False)] = None,
) -> None:
    """Write the clinician report (or, with --family, the family summary) as HTML or PDF."""
    import os

    import orjson

    from rrall.assessment import assess
    from rrall.case.load import load_case
    from rrall.case.untrusted import read_document
    from rrall.errors import CaseInputError
    from rrall.knowledge.load import default_knowledge
    from rrall.report.family import family_html, languages
    from rrall.report.fastjson import assessment_json
    from rrall.report.html import Identifiers, ReportContext, clinician_html, to_pdf

    kb = default_knowledge()
    if lang not in languages(kb):
        raise _fail(f"--lang: {lang!r} is not a family-summary language; allowed: {', '.join(languages(kb))}")
    try:
        case = load_case(case_file, kb)
    except CaseInputError as exc:
        raise _fail(str(exc)) from None
    result = orjson.loads(assessment_json(assess(case, kb)))
    document = read_document(case_file.read_bytes())  # load_case read it: it is a valid case
    kind = "family" if family else "clinician"
    if family:
        page = family_html(result, document, kb, lang, None,
                           contact or os.environ.get("RRALL_CARE_TEAM_CONTACT", ""))
    else:
        page = clinician_html(ReportContext(result, document, kb, identifiers=Identifiers(patient_name, mrn)))
    suffix = f"-{lang}" if family and lang != "en" else ""
    target = out or Path(f"{case.id}-{kind}{suffix}.{fmt.value}")
    if fmt is ReportFormat.pdf:
        target.write_bytes(to_pdf(page))
    else:
        target.write_text(page, encoding="utf-8")
    typer.echo(f"{target}", err=True)
