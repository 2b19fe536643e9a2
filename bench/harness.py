"""What every benchmark under bench/ shares: the `--smoke` and `--out` options, running
`rrall` and checking that it succeeded, percentiles, starting `rrall serve`, and the
numbers file (with the date, the git commit and the machine's load when it was measured).

A benchmark that meets a failure (a non-zero exit code, a refused HTTP call, too few
output lines) stops with exit status 1 and says what failed: numbers measured on errors
are never written.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import httpx

ROOT = Path(__file__).resolve().parents[1]
RRALL = [sys.executable, "-c", "from rrall.cli import main; main()"]
SHOWN = 2000  # characters of a failing call's body or a failing process's stderr shown
LOAD_AT_START = os.getloadavg()  # a busy machine slows every number: it is written with them


def fail(message: str) -> NoReturn:
    """What a benchmark timed did not succeed: exit status 1 with the reason on stderr
    (SystemExit, so that servers it started are still stopped on the way out)."""
    print(f"benchmark failed: {message}", file=sys.stderr)
    raise SystemExit(1)


def options(doc: str | None) -> argparse.ArgumentParser:
    """A parser with the options every benchmark has; each adds its own sizes."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny size that runs in seconds (CI runs it): checks the benchmark works")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out",
                        help="folder for the inputs it makes and its numbers file (default: bench/out)")
    return parser


def command(cmd: Sequence[str]) -> str:
    shown = ["rrall", *cmd[len(RRALL):]] if list(cmd[:len(RRALL)]) == RRALL else list(cmd)
    return " ".join(str(part) for part in shown)


def run(cmd: Sequence[str], *, env: dict[str, str] | None = None, stdin: str | None = None,
        capture: bool = False) -> str:
    """Run a process to its end; any exit status but 0 fails the benchmark. Returns its
    stdout when `capture` (otherwise stdout is thrown away)."""
    done = subprocess.run(list(cmd), env=env, input=stdin, text=True, stderr=subprocess.PIPE,
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        fail(f"`{command(cmd)}` exited {done.returncode}: {done.stderr[-SHOWN:].strip()}")
    return done.stdout if capture else ""


class InProcess:
    """`rrall` commands run in this process through its own command, with their output
    captured: the same code as the `rrall` program, without a process start and its
    imports each time (a `rrall cds token` costs about 2 ms). Settings come from this
    process's environment."""

    def __init__(self) -> None:
        import typer.main

        from rrall.cli import app

        self.command = typer.main.get_command(app)

    def __call__(self, *args: str, stdin: str = "") -> str:
        shown = f"`rrall {' '.join(args[:2])}`"
        captured, errors, given = io.StringIO(), io.StringIO(), sys.stdin
        try:
            sys.stdin = io.StringIO(stdin)
            with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(errors):
                code = self.command.main(args=list(args), prog_name="rrall", standalone_mode=False)
        except Exception as exc:
            fail(f"{shown} failed: {exc} {errors.getvalue().strip()}")
        finally:
            sys.stdin = given
        if code not in (None, 0):
            fail(f"{shown} exited {code}: {errors.getvalue().strip()}")
        return captured.getvalue().strip()


def timed(cmd: Sequence[str], **kwargs: Any) -> tuple[float, str]:
    """Seconds a successful run took (whole process), and its captured stdout if asked."""
    start = time.perf_counter()
    stdout = run(cmd, **kwargs)
    return time.perf_counter() - start, stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def percentiles(milliseconds: Sequence[float]) -> dict[str, float | int]:
    """Nearest-rank p50/p90/p95/p99 and the maximum of successful calls' latencies."""
    if not milliseconds:
        fail("no call was timed")
    ordered = sorted(milliseconds)

    def rank(p: float) -> float:
        return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1)

    return {"timed": len(ordered), "p50_ms": rank(50), "p90_ms": rank(90), "p95_ms": rank(95),
            "p99_ms": rank(99), "max_ms": round(ordered[-1], 1)}


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def measured_on() -> dict[str, Any]:
    """When, on which code and on how busy a machine the numbers were taken. A commit
    that is unknown (no git) is null; `uncommitted_changes` says the tree differed from it."""
    changes = _git("status", "--porcelain", "--untracked-files=no")
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": _git("rev-parse", "HEAD"),
            "uncommitted_changes": None if changes is None else bool(changes),
            "load_average_1_5_15_min": {"at_start": [round(x, 2) for x in LOAD_AT_START],
                                        "at_end": [round(x, 2) for x in os.getloadavg()]},
            "cpu_count": os.cpu_count(), "python": platform.python_version()}


def write_numbers(out: Path, name: str, numbers: dict[str, Any], smoke: bool) -> Path:
    """bench/out/NAME.json (NAME-smoke.json for a smoke run, never to be quoted)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}{'-smoke' if smoke else ''}.json"
    document = {"benchmark": name, "smoke": smoke, "measured_on": measured_on(), **numbers}
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document, indent=2))
    print(f"numbers: {path}")
    return path


@contextmanager
def served(env: dict[str, str], ready_path: str) -> Iterator[str]:
    """`rrall serve` on a free loopback port, its base URL once `ready_path` answers 200;
    a server that exits or does not answer within 60 s fails the benchmark."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below, after the server stops)
    server = subprocess.Popen([*RRALL, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=log)
    base = f"http://127.0.0.1:{port}"

    def stderr() -> str:
        log.seek(0)
        return log.read().decode(errors="replace")[-SHOWN:].strip()

    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                fail(f"`rrall serve` exited {server.returncode} before answering: {stderr()}")
            try:
                if httpx.get(base + ready_path, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                fail(f"`rrall serve` did not answer {ready_path} within 60 s: {stderr()}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def refused(what: str, response: httpx.Response) -> NoReturn:
    """Stop on a call that did not succeed, with its status and body."""
    fail(f"{what} answered {response.status_code}: {response.text[:SHOWN]}")
