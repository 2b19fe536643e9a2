"""`rrall knowledge manifest|verify|sign|diff|impact|install|releases`: knowledge releases on
the command line. Exit codes: 0 done (for verify: the files match), 1 internal failure,
2 bad input (a release that does not verify, an unknown release, a case that cannot be read)."""


import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import orjson
import typer

from rrall.errors import ExitCode, ReleaseError

if TYPE_CHECKING:
    from rrall.case.model import Case
    from rrall.errors import CaseInputError
    from rrall.knowledge.load import KnowledgeBase
    from rrall.release.impact import ImpactReport


class OutFormat(StrEnum):
    text = "text"
    json = "json"


Release = Annotated[
    str,
    typer.Argument(
        help="A knowledge folder, a release archive (.tar.gz, .zip) or a "
        "release id (a version installed here, or 'bundled').",
        show_default=False,
    ),
]
Folder = Annotated[
    Path | None, typer.Argument(help="The knowledge folder (default: the bundled one).", show_default=False)
]
FormatOption = Annotated[OutFormat, typer.Option("--format", "-f", help="Output format.")]


def _fail(message: str, code: int = ExitCode.BAD_INPUT) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _root(folder: Path | None) -> Path:
    from rrall.knowledge.load import default_knowledge_dir

    return folder or default_knowledge_dir()


def _load(name: str) -> "KnowledgeBase":
    from rrall.errors import KnowledgeError
    from rrall.knowledge.load import load_knowledge
    from rrall.release.files import resolve_release

    try:
        return load_knowledge(resolve_release(name))
    except (ReleaseError, KnowledgeError) as exc:
        _fail(str(exc))


def manifest(folder: Folder = None) -> None:
    """Write the release's SHA-256 manifest (SHA256SUMS) after a change to its files."""
    from rrall.release.manifest import release_files, write_manifest

    root = _root(folder)
    path = write_manifest(root)
    typer.echo(f"{path}: {len(release_files(root))} files")


def verify(
    release: Annotated[
        str | None,
        typer.Argument(
            help="A knowledge folder, archive or release id (default: the bundled one).", show_default=False
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="Also check the release's signature with this Ed25519 public key (PEM); "
            "default: RRALL_RELEASE_PUBLIC_KEY if set.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check every file of a release against its SHA-256 manifest (and its signature)."""
    from rrall.release.files import resolve_release
    from rrall.release.manifest import verify_manifest
    from rrall.release.sign import site_public_key, verify_signature

    try:
        root = resolve_release(release) if release else _root(None)
        found = verify_manifest(root)
        if not found.ok:
            _fail(str(found))
        key = public_key or site_public_key()
        if key is not None:
            verify_signature(root, key)
    except ReleaseError as exc:
        _fail(str(exc))
    typer.echo(str(found) + (" and the signature verifies" if key else ""))


def sign(
    key: Annotated[
        Path, typer.Option("--key", help="The curator's Ed25519 private key (PEM).", show_default=False)
    ],
    folder: Folder = None,
) -> None:
    """Sign the release's manifest (writes SHA256SUMS.sig); run `rrall knowledge manifest` first."""
    from rrall.release.manifest import require_verified
    from rrall.release.sign import sign_release

    root = _root(folder)
    try:
        require_verified(root)
        typer.echo(f"{sign_release(root, key)}: signed")
    except ReleaseError as exc:
        _fail(str(exc))


def diff(old: Release, new: Release, fmt: FormatOption = OutFormat.text) -> None:
    """What changed between two releases, by file and id, with the CHANGELOG entries."""
    from rrall.release.diff import diff_releases, diff_text

    before, after = _load(old), _load(new)
    found = diff_releases(before.root, after.root, before.version, after.version, after.glossary)
    if fmt is OutFormat.json:
        typer.echo(orjson.dumps(found.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(diff_text(found))


def impact(
    old: Release,
    new: Release,
    cases: Annotated[
        list[Path] | None,
        typer.Argument(help="Case files (.json, .yaml, .jsonl), cohort tables (.csv, .parquet) or folders.",
                       show_default=False),
    ] = None,
    store: Annotated[
        bool, typer.Option("--store", help="Also every case stored in the workbench (its latest version).")
    ] = False,
    fmt: FormatOption = OutFormat.text,
) -> None:
    """Which cases' conclusions change from OLD to NEW: per case, each change with the rules and
    sources on both sides, and a summary by kind of change."""
    from rrall.case.load import iter_cases
    from rrall.release.impact import Impact
    from rrall.release.parallel import run_jsonl

    before, after = _load(old), _load(new)
    if not cases and not store:
        _fail("give case files or folders, or --store for the workbench's cases")
    started = time.perf_counter()
    run = Impact(before, after)
    classes = 0
    for path in _case_files(cases or []):
        if path.suffix in (".csv", ".parquet") and path.is_file():
            from rrall.cohort.impact import impact_table

            classes += impact_table(run, path)
        elif path.suffix == ".jsonl" and path.is_file():
            run_jsonl(run, path)
        else:
            run.run(iter_cases(path, after))
    if store:
        run.run(_stored_cases(after))
    report = run.finish()
    report.seconds, report.classes = time.perf_counter() - started, classes
    if fmt is OutFormat.json:
        typer.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(impact_text(report))
    if report.errors:
        _fail(f"{len(report.errors)} case(s) could not be read; see the errors above.")


def _case_files(paths: list[Path]) -> Iterator[Path]:
    from rrall.case.load import CASE_SUFFIXES

    for path in paths:
        if path.is_dir():
            found = (*CASE_SUFFIXES, ".jsonl", ".csv", ".parquet")
            yield from sorted(p for p in path.iterdir() if p.suffix in found)
        else:
            yield path


def _stored_cases(kb: "KnowledgeBase") -> "Iterator[Case | CaseInputError]":
    from rrall.case.load import parse_case
    from rrall.errors import CaseInputError
    from rrall.store.db import open_engine, upgrade
    from rrall.store.repository import Repository
    from rrall.web.settings import load_settings

    engine = open_engine(load_settings().database_url)
    upgrade(engine)
    repo = Repository(engine)
    _total, records = repo.cases("", 1_000_000, 0)
    try:
        for record in records:
            try:
                yield parse_case(repo.version(record.id).document, kb, source=f"stored case {record.case_id}")
            except CaseInputError as exc:
                yield exc
    finally:
        engine.dispose()


def impact_text(report: "ImpactReport") -> str:
    from rrall.release.impact import KINDS

    lines = [
        f"Knowledge {report.old_version} -> {report.new_version}: {report.cases} case(s) compared, "
        f"{len(report.changed)} would change."
    ]
    for case in report.changed:
        lines += ["", f"Case {case.case_id}"]
        for c in case.changes:
            lines.append(f"  {c.label}, {c.subject}: {c.before or '-'} -> {c.after or '-'}")
            lines.append(
                f"    before: rules {', '.join(c.rules_before) or '-'}; "
                f"sources {', '.join(c.citations_before) or '-'}"
            )
            lines.append(
                f"    now:    rules {', '.join(c.rules_after) or '-'}; "
                f"sources {', '.join(c.citations_after) or '-'}"
            )
    width = max(len(label) for label in KINDS.values())
    lines += ["", f"{'What changes':<{width}}  Cases"]
    lines += [f"{label:<{width}}  {report.by_kind.get(kind, 0)}" for kind, label in KINDS.items()]
    classes = f"; {report.classes} classes of cohort rows, one case each" if report.classes else ""
    lines += [
        f"{'any change':<{width}}  {len(report.changed)}",
        "",
        f"{report.cases} cases in {report.seconds:.1f} s ({report.distinct} distinct pairs of "
        f"decisions compared{classes}).",
    ]
    lines += [f"error: {error}" for error in report.errors]
    return "\n".join(lines)


def install(
    release: Annotated[
        str, typer.Argument(help="A knowledge folder or a release archive.", show_default=False)
    ],
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="The workbench administrator installing it "
            "(recorded in the audit log; default: the command line).",
            show_default=False,
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="Require a valid signature by this Ed25519 public key (PEM); default: "
            "RRALL_RELEASE_PUBLIC_KEY if set.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Install a knowledge release in the workbench: check it, keep it beside the earlier ones and
    flag the cases whose latest assessment it would change (stored assessments stay as they are)."""
    from rrall.store.db import open_engine, upgrade
    from rrall.store.repository import Repository
    from rrall.web.releases import install_release
    from rrall.web.settings import load_settings

    engine = open_engine(load_settings().database_url)
    upgrade(engine)
    try:
        done = install_release(Repository(engine), release, by or "cli", public_key)
    except ReleaseError as exc:
        _fail(str(exc))
    finally:
        engine.dispose()
    typer.echo(
        f"knowledge {done.version} installed ({done.path}); {done.cases} case(s) compared, "
        f"{done.flagged} flagged for review. Restart the workbench to use it."
    )
    for line in done.skipped:
        typer.echo(f"not compared: {line}", err=True)


def releases() -> None:
    """The knowledge releases kept in the workbench, the one in use last."""
    from rrall.release.shelf import Shelf

    versions = Shelf().versions()
    if not versions:
        typer.echo("No release installed; the workbench uses the bundled knowledge base.")
    for version in versions:
        typer.echo(version)


def add_commands(knowledge_app: typer.Typer) -> None:
    for name, command, short in (
        ("manifest", manifest, "Write the release's SHA-256 manifest (SHA256SUMS)."),
        ("verify", verify, "Check a release's files against its manifest (and signature)."),
        ("sign", sign, "Sign a release's manifest with the curator's Ed25519 key."),
        ("diff", diff, "What changed between two releases, by file and id."),
        ("impact", impact, "Which cases' conclusions change between two releases, and how."),
        ("install", install, "Install a release in the workbench (checked, kept, audited)."),
        ("releases", releases, "List the releases kept in the workbench."),
    ):
        knowledge_app.command(name, short_help=short)(command)
