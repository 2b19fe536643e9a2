"""Benchmark: `rrall cohort` on N synthetic children (default 100,000), whole process.

    python bench/cohort.py --n 1000000 --runs 3   # writes bench/out/ (not committed)

The input is made by `rrall synth` (Parquet, flat layout with follow-up, so the summary
includes the survival analysis); `--csv` writes it as CSV instead; `--jsonl` uses
bench/generate_cases.py's varied case files (which take the per-case path); `--per-case`
turns the vectorised path off. Reports cases per second end to end (the cohort run only, not the making of
the input) and memory two ways: the peak resident memory of the largest process of the run
(parent and workers, from the operating system's accounting of finished processes), and the
peak of the whole process tree, sampled every 0.1 s as the sum of each process's
proportional set size (PSS: pages shared by forked workers are split between them, so the
sum is the memory the run really holds). Goals of the cohort issue: >= 10,000 cases/s and
< 2 GiB for 1,000,000 cases. `--smoke`: 200 children, one run.

What it checks, so that it never times failures: every `rrall` process must exit 0; each
cohort run must report every case assessed and none refused, and results.parquet must
hold one row per case. Anything else stops the run with exit status 1. Writes
bench/out/cohort-N-FORMAT.json.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from harness import ROOT, RRALL, command, fail, options, run, write_numbers


def _tree(root: int) -> list[int]:
    """The process and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process tree until stopped; keeps the peak (kB)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in _tree(self.pid)))


def make_input(out_dir: Path, n: int, kind: str) -> Path:
    """The cohort file (kept in the out folder and reused: it is deterministic)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if kind == "jsonl":
        cases = out_dir / f"cases-{n}.jsonl"
        if not cases.exists():
            run([sys.executable, str(ROOT / "bench" / "generate_cases.py"), "--n", str(n),
                 "--out", str(cases)])
    else:
        cases = out_dir / f"synth-{n}.{kind}"
        if not cases.exists():
            run([*RRALL, "synth", "--n", str(n), "--seed", "1", "--out", str(cases)])
    return cases


def timed_cohort(cmd: list[str], n: int, out: Path) -> tuple[float, int]:
    """Seconds for one cohort run that assessed all n cases, and its tree's peak PSS (kB)."""
    with tempfile.TemporaryFile() as printed, tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, stdout=printed, stderr=errors)
        sampler = TreeSampler(process.pid)
        sampler.start()
        code = process.wait()
        took = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
        if code != 0:
            errors.seek(0)
            fail(f"`{command(cmd)}` exited {code}: {errors.read().decode(errors='replace')[-2000:]}")
        printed.seek(0)
        report = json.loads(printed.read().decode().strip().splitlines()[-1])
    import polars as pl

    rows = pl.scan_parquet(out / "results.parquet").select(pl.len()).collect().item()
    if report.get("assessed") != n or report.get("errors") != 0 or rows != n:
        fail(f"`{command(cmd)}` assessed {report.get('assessed')} of {n} cases, {report.get('errors')} "
             f"refused, {rows} result rows")
    return took, sampler.peak_kb


def main() -> None:
    parser = options(__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--jsonl", action="store_true", help="varied case files instead of rrall synth")
    parser.add_argument("--csv", action="store_true", help="the synthetic cohort as CSV instead of Parquet")
    parser.add_argument("--per-case", action="store_true", help="assess every row on its own")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    n, runs = (200, 1) if args.smoke else (args.n, args.runs)
    kind = "jsonl" if args.jsonl else "csv" if args.csv else "parquet"
    cases = make_input(args.out, n, kind)
    out = args.out / f"cohort-{n}"
    cmd = [*RRALL, "cohort", str(cases), "--out", str(out), *(["--per-case"] if args.per_case else [])]
    measured = [timed_cohort(cmd, n, out) for _ in range(runs)]
    took = [t for t, _ in measured]
    tree_peak_kb = max(kb for _, kb in measured)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    best = min(took)
    result: dict[str, Any] = {
        "n": n,
        "input": cases.name,
        "per_case": args.per_case,
        "runs_seconds": [round(t, 1) for t in took],
        "cases_per_second_best": round(n / best),
        "largest_process_peak_mb": round(peak),
        "process_tree_peak_pss_mb": round(tree_peak_kb / 1024),
    }
    print(
        f"cohort: {n} cases ({cases.name}{', per case' if args.per_case else ''}); runs "
        + ", ".join(f"{t:.1f} s" for t in took)
        + f"; best {n / best:,.0f} cases/s; largest process peak {peak:,.0f} MB"
        + f"; whole process tree peak {tree_peak_kb / 1024:,.0f} MB (PSS)"
    )
    name = f"cohort-{n}-{kind}{'-per-case' if args.per_case else ''}"
    write_numbers(args.out, name, result, args.smoke)


if __name__ == "__main__":
    main()
