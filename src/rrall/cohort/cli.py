"""`rrall cohort INPUT... --out DIR`: a cohort through the engine, with a summary report."""


from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from rrall.errors import CohortInputError, ExitCode


def cohort_command(
    inputs: Annotated[list[Path], typer.Argument(
        help="CSV or Parquet files in the flat layout (docs/cohort.md), .jsonl files of cases, or a "
             "folder of FHIR .ndjson files (a Bulk Data export).",
        show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Folder for results.parquet, errors.jsonl and "
                                      "summary.html.", show_default=False)],
    workers: Annotated[int | None, typer.Option("--workers", help="Processes (default: all cores).",
                                                show_default=False)] = None,
    long: Annotated[Path | None, typer.Option(
        "--long", help="Long table of later relapses and MRD (CSV or Parquet), joined by case id.",
        show_default=False)] = None,
    knowledge: Annotated[Path | None, typer.Option("--knowledge", help="Knowledge base folder.",
                                                   show_default=False)] = None,
    engine: Annotated[str, typer.Option("--engine",
                                        help="local (all cores) or dask (a Dask cluster).")] = "local",
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address, e.g. "
                                                  "tcp://host:8786 (with --engine dask).",
                                                  show_default=False)] = None,
    vectorised: Annotated[bool, typer.Option(
        "--vectorised/--per-case", help="For CSV and Parquet: read the table as "
        "columns and assess one row per class of equivalent rows (identical results, docs/cohort.md), "
        "or assess every row on its own.")] = True,
) -> None:
    """Assess every case of a cohort; write one results row per case, the rows that could
    not be assessed, and a summary of groups, agreement between frameworks and missing data."""
    import itertools

    from rrall.cohort.survival_workers import SurvivalWorkers, follow_up_in_headers, wants_survival

    # Started first, so that the survival stack is imported while this process imports,
    # loads the knowledge base, checks the inputs and assesses the cases (closed at the end
    # of the run, or by the interpreter on the way out); used only if the checked tables
    # really have follow-up.
    early = SurvivalWorkers() if follow_up_in_headers(inputs) else None

    import orjson
    import polars as pl
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rrall._version import __version__
    from rrall.cohort import vector
    from rrall.cohort.progress import RateColumn
    from rrall.cohort.run import (
        LONG_ROW,
        assess_rows,
        case_key,
        default_workers,
        read_long,
        read_rows,
    )
    from rrall.cohort.summary import summarise, write_html
    from rrall.cohort.table import ResultsWriter, refuse_duplicate_ids
    from rrall.knowledge.load import default_knowledge, load_knowledge

    kb = load_knowledge(knowledge) if knowledge else default_knowledge()
    flat = all(path.is_file() and path.suffix.lower() in (".csv", ".parquet") for path in inputs)
    limits = vector.limits(kb) if vectorised and flat else None
    # Every input is read through once before anything is written: its columns and their
    # types, its encoding, its CSV quoting, its JSON lines. A problem found here is
    # reported with all the others and nothing is assessed (exit 2).
    problems = []
    total = 0
    headers: list[Any] = []  # each table's first row (source, line, cells): its columns
    for path in inputs:
        if path.is_dir() and not any(f.is_file() for f in path.glob("*.ndjson")):
            problems.append(f"{path}: a folder without .ndjson files (allowed: a FHIR Bulk Data export)")
            continue
        if not path.is_dir() and not path.is_file():
            problems.append(f"{path}: no such file")
            continue
        try:
            if path.is_dir() or path.suffix.lower() == ".ndjson":
                total += sum(1 for _ in read_rows(path))  # one row per patient
            else:
                # the columns (and their types), before any row
                headers.append(next(iter(read_rows(path)), None))
                tabular = path.suffix.lower() in (".csv", ".parquet")
                total += vector.count_rows(path) if tabular else sum(1 for _ in read_rows(path))
        except CohortInputError as exc:
            problems += [_problem(exc.source, e) for e in exc.errors]
    if out.exists() and not out.is_dir():
        problems.append(f"--out {out}: is a file, not a folder")
    if engine not in ("local", "dask"):
        problems.append(f"--engine: {engine!r} is not an engine (allowed: local, dask)")
    if engine == "dask" and not scheduler:
        problems.append("--engine dask needs --scheduler ADDRESS (a Dask scheduler, e.g. tcp://host:8786)")
    records = {}
    if long is not None:
        try:
            records = read_long(long)
        except CohortInputError as exc:
            problems += [_problem(exc.source, e) for e in exc.errors]
    client = None
    if engine == "dask" and scheduler and not problems:
        client, trouble = _connect(scheduler)
        if client is not None:
            from rrall.cohort.dask_engine import worker_problems

            trouble = worker_problems(client, knowledge, kb)
            if trouble:
                client.close()
        problems += trouble
    if problems:
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT)
    out.mkdir(parents=True, exist_ok=True)
    _clear_outputs(out)
    fitting = (early or SurvivalWorkers()) if wants_survival(headers) else None
    if early is not None and fitting is None:
        early.close()
    writer = ResultsWriter(out, kb)
    seen: set[str] = set()
    bad = assessed = 0
    columns = (TextColumn("assessing"), BarColumn(), MofNCompleteColumn(), RateColumn(),
               TimeRemainingColumn())
    with (out / "errors.jsonl").open("wb") as errors, Progress(*columns, transient=True) as progress:
        task = progress.add_task("cases", total=total)
        stream = itertools.chain.from_iterable(read_rows(path) for path in inputs)
        chunks: Iterator[tuple[list[dict[str, Any]] | pl.DataFrame, list[bytes]]]
        if limits is not None and engine == "dask":
            from rrall.cohort.dask_engine import assess_flat_dask

            chunks = assess_flat_dask(inputs, client, knowledge, date.today(), records)
        elif limits is not None:
            run = vector.VectorRun(kb, date.today(), records, limits, workers or default_workers())
            chunks = run.files(inputs)
        elif engine == "dask":
            from rrall.cohort.dask_engine import assess_rows_dask

            chunks = assess_rows_dask(stream, client, knowledge, date.today(), records)
        else:
            chunks = assess_rows(stream, kb, date.today(), workers or default_workers(), None, records)
        for results, failures in chunks:
            progress.advance(task, len(results))
            if isinstance(results, pl.DataFrame):
                seen.update(case_key(i) for i in results["case_id"].to_list())
                writer.add_frame(results)
            else:
                seen.update(case_key(r.get("case_id")) for r in results)
                writer.add(results)
            assessed += len(results) - len(failures)
            for failure in failures:
                errors.write(failure + b"\n")
            bad += len(failures)
    writer.finish()
    repeated = refuse_duplicate_ids(out / "results.parquet")
    if repeated:
        with (out / "errors.jsonl").open("ab") as errors:
            errors.writelines(record + b"\n" for record in repeated)
        assessed, bad = assessed - len(repeated), bad + len(repeated)
    if client is not None:
        client.close()
    needed = ["case_id", "error", "missing_fields", "relapse_date", "first_relapse_date", "disease_state",
              "immunophenotype",
              "site", "timing_bfm", "timing_cog", "last_follow_up_date", "vital_status", "event_date",
              "event_type",
              *(f"{fw}_{part}" for fw in kb.frameworks for part in ("status", "group"))]
    frame = pl.scan_parquet(out / "results.parquet").select(needed).collect()
    synthetic = any(p.with_name(p.name + ".synthetic.json").is_file() for p in inputs)
    summary = summarise(frame, bad, kb, __version__, out / "figures", synthetic, fitting)
    if fitting is not None:
        fitting.close()
    write_html(summary, out / "summary.html")
    if summary["follow_up_problems"]:
        listed = "\n".join(summary["follow_up_problems"]) + "\n"
        (out / FOLLOW_UP_PROBLEMS).write_text(listed, encoding="utf-8")
    unmatched = sorted(set(records) - seen)
    if unmatched:  # ids are written to the output folder only, never to the terminal or a log
        rows = [f"{long} row {r.get(LONG_ROW)}: id {key!r}" for key in unmatched for r in records[key]]
        (out / LONG_UNMATCHED).write_text("\n".join(rows) + "\n", encoding="utf-8")
        typer.echo(f"warning: {len(rows)} row(s) of the long table match no case and were not used "
                   f"(listed in {out / LONG_UNMATCHED})", err=True)
    typer.echo(orjson.dumps({"assessed": assessed, "errors": bad, "long_table_ids_unmatched": len(unmatched),
                             "out": str(out)}).decode())
    if bad:
        raise typer.Exit(ExitCode.BAD_INPUT)


def _problem(source: str, error: Any) -> str:
    allowed = f" (allowed: {error.allowed})" if error.allowed else ""
    return f"{source}: {error.path}: {error.message}{allowed}"


CONNECT_TIMEOUT_S = 15  # a scheduler on a busy cluster can be slow to answer


def _connect(scheduler: str) -> tuple[Any, list[str]]:
    """A client of the Dask scheduler, or the reason there is none, before anything is written."""
    try:
        from distributed import Client
    except ImportError:
        return None, ["--engine dask needs Dask: pip install 'rrall[dask]'"]
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S), []  # type: ignore[no-untyped-call]
    except (OSError, ValueError, TypeError) as exc:  # unreachable, timed out, or not an address
        return None, [f"--scheduler {scheduler}: cannot connect to a Dask scheduler ({exc}) "
                      "(allowed: the address of a running scheduler, e.g. tcp://host:8786)"]


FIGURES = ("os_by_", "cir_by_")
FOLLOW_UP_PROBLEMS = "follow_up_problems.txt"
LONG_UNMATCHED = "long_table_unmatched.txt"


def _clear_outputs(out: Path) -> None:
    """Remove what an earlier run wrote and this one may not write again (its figures, its
    lists, its summary, so that a run that fails leaves none of them), and nothing else:
    the folder may hold the user's files."""
    figures = [f for prefix in FIGURES for suffix in ("svg", "png") for f in (out / "figures").glob(
        f"{prefix}*.{suffix}")]
    for path in [*figures, out / FOLLOW_UP_PROBLEMS, out / LONG_UNMATCHED, out / "summary.html"]:
        path.unlink(missing_ok=True)


def synth_command(
    n: Annotated[int, typer.Option("--n", min=1, help="Number of children.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (the same seed gives the same file).")] = 1,
    out: Annotated[Path, typer.Option("--out", help="Output .csv or .parquet (flat cohort layout).",
                                      show_default=False)] = Path("synthetic-cohort.csv"),
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", help="Change a parameter, NAME=VALUE (see src/rrall/cohort/synth.yaml).",
        show_default=False)] = None,
) -> None:
    """Write a SYNTHETIC cohort (not patient data) whose proportions and survival follow the
    published figures where there are some and documented assumptions elsewhere; a sidecar
    OUT.synthetic.json records every parameter and its source or assumption."""
    import math

    from rrall.cohort.synth import load_parameters, value_problem, write_cohort

    if out.suffix not in (".csv", ".parquet"):
        typer.echo(f"--out: {out.suffix or 'no suffix'} is not an output (allowed: .csv, .parquet)", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT)
    if not out.parent.is_dir():
        typer.echo(f"--out {out}: the folder {out.parent} does not exist (allowed: a file in an existing "
                   "folder)", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT)
    known = load_parameters().parameters
    values: dict[str, float] = {}
    for item in overrides or []:
        name, _, text = item.partition("=")
        if name not in known:
            typer.echo(f"--set {item!r}: {name!r} is not a parameter (allowed: {', '.join(known)})", err=True)
            raise typer.Exit(ExitCode.BAD_INPUT)
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        problem = "a number" if math.isnan(number) else value_problem(name, number)
        if problem:
            typer.echo(f"--set {item!r}: {text!r} is not allowed for {name} (allowed: {problem})", err=True)
            raise typer.Exit(ExitCode.BAD_INPUT)
        values[name] = number
    sidecar = write_cohort(out, n, seed, values)
    assumed = [k for k, v in sidecar["parameters"].items() if v.get("assumption")]
    typer.echo(f"{out}: {n} SYNTHETIC children (seed {seed}); parameters in {out.name}.synthetic.json; "
               f"assumptions, not published figures: {', '.join(assumed)}", err=True)
