"""Before and after in one run: a `rrall` command timed on an earlier commit and on this
checkout, alternately, on the same machine in the same minutes.

    python bench/compare.py --before 5b03848 --runs 10 -- assess examples/cases/b-marrow-early.yaml
    python bench/compare.py --before 5b03848 --runs 5 --name cohort-200 -- cohort \\
        examples/cohort/synthetic-200.csv --long examples/cohort/long.csv --out /tmp/cohort

The earlier commit is checked out in a temporary git worktree (removed at the end) and run
from its own source with this environment's packages; both sides' modules are compiled
first, as an installed package's are. One untimed run of each side builds its knowledge
snapshots (in a cache of the run's own, removed with the worktree). The runs alternate
(before, after, before, ...) so that a busy minute slows both. A machine this noisy (the
same command varies by a quarter between runs) is compared by the medians of the same
minutes, not by numbers taken hours apart. Each run is timed until its standard output
closes, as a reader of a pipe would wait.

What it checks, so that it never times failures: every run must exit 0, and each run's
standard output must equal the first run's of its side; `--same-output` also requires
the two sides to print the same bytes (for changes that must not change an answer).
Writes bench/out/compare-NAME.json.
"""

from __future__ import annotations

import compileall
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT, RRALL, SHOWN, command, fail, options, write_numbers


def hashed_run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds a successful run took (whole process) and the SHA-256 of its standard output,
    read as it comes (a batch prints gigabytes)."""
    digest = hashlib.sha256()
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        while chunk := process.stdout.read(1 << 20):
            digest.update(chunk)
        code = process.wait()
        took = time.perf_counter() - start
        if code != 0:
            errors.seek(0)
            fail(f"`{command(cmd)}` exited {code}: {errors.read().decode(errors='replace')[-SHOWN:].strip()}")
    return took, digest.hexdigest()


def checkout(revision: str, folder: Path) -> Path:
    done = subprocess.run(["git", "worktree", "add", "--detach", str(folder), revision], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        fail(f"git worktree add {revision}: {done.stderr.strip()}")
    return folder / "src"


def main() -> None:
    parser = options(__doc__)
    parser.add_argument("--before", required=True, help="the earlier commit (any git revision)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each side")
    parser.add_argument("--name", default=None,
                        help="the numbers file's name (default: the rrall command's name)")
    parser.add_argument("--same-output", action="store_true",
                        help="fail unless both sides print the same bytes")
    parser.add_argument("command", nargs="+", help="the rrall command and its arguments, after --")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs: at least 1")
    runs = 1 if args.smoke else args.runs
    name = args.name or args.command[0]
    subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True, check=False)  # a killed run's
    scratch = Path(tempfile.mkdtemp(prefix="rrall-compare-"))
    tree = scratch / "before"
    try:
        sides = {"before": checkout(args.before, tree), "after": ROOT / "src"}
        for source in sides.values():
            compileall.compile_dir(source, quiet=1)
        # Each side's snapshots in the run's own cache (the "before" tree's path is new each
        # time, so its snapshots would pile up in the user's cache).
        environments = {side: {**os.environ, "PYTHONPATH": str(source), "RRALL_CACHE": str(scratch / "cache")}
                        for side, source in sides.items()}
        for env in environments.values():
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        printed: dict[str, str] = {}
        for side, env in environments.items():  # untimed: builds the snapshots
            printed[side] = hashed_run([*RRALL, *args.command], env)[1]
        if args.same_output and printed["before"] != printed["after"]:
            fail(f"the two sides printed different output for `rrall {' '.join(args.command)}`")
        seconds: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(runs):
            for side, env in environments.items():
                took, digest = hashed_run([*RRALL, *args.command], env)
                if digest != printed[side]:
                    fail(f"{side}: a run printed other output than its first run")
                seconds[side].append(took)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True,
                       check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    numbers = {"command": ["rrall", *args.command], "before": args.before, "runs": runs,
               "same_output": printed["before"] == printed["after"]}
    for side, took in seconds.items():
        numbers[side] = {"median_seconds": round(statistics.median(took), 3),
                         "min_seconds": round(min(took), 3),
                         "max_seconds": round(max(took), 3), "runs_seconds": [round(t, 3) for t in took]}
        print(f"{side}: median {statistics.median(took):.3f} s, min {min(took):.3f} s ({runs} runs)",
              file=sys.stderr)
    write_numbers(args.out, f"compare-{name}", numbers, args.smoke)


if __name__ == "__main__":
    main()
