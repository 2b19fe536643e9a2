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
< 2 GiB for 1,000,000 cases.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RRALL = [sys.executable, "-c", "from rrall.cli import main; main()"]


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--jsonl", action="store_true", help="varied case files instead of rrall synth")
    parser.add_argument("--csv", action="store_true", help="the synthetic cohort as CSV instead of Parquet")
    parser.add_argument("--per-case", action="store_true", help="assess every row on its own")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.jsonl:
        cases = out_dir / f"cases-{args.n}.jsonl"
        if not cases.exists():
            subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "bench" / "generate_cases.py"),
                    "--n",
                    str(args.n),
                    "--out",
                    str(cases),
                ],
                check=True,
            )
    else:
        cases = out_dir / f"synth-{args.n}.{'csv' if args.csv else 'parquet'}"
        if not cases.exists():
            subprocess.run(
                [*RRALL, "synth", "--n", str(args.n), "--seed", "1", "--out", str(cases)],
                check=True,
                stderr=subprocess.DEVNULL,
            )
    out = out_dir / f"cohort-{args.n}"
    took = []
    tree_peak_kb = 0
    for _ in range(args.runs):
        start = time.perf_counter()
        process = subprocess.Popen(
            [*RRALL, "cohort", str(cases), "--out", str(out), *(["--per-case"] if args.per_case else [])],
            stdout=subprocess.DEVNULL,
        )
        sampler = TreeSampler(process.pid)
        sampler.start()
        if process.wait() != 0:
            raise SystemExit(f"rrall cohort exited {process.returncode}")
        took.append(time.perf_counter() - start)
        sampler.done.set()
        sampler.join()
        tree_peak_kb = max(tree_peak_kb, sampler.peak_kb)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    best = min(took)
    result = {
        "n": args.n,
        "input": cases.name,
        "per_case": args.per_case,
        "runs_seconds": [round(t, 1) for t in took],
        "cases_per_second_best": round(args.n / best),
        "largest_process_peak_mb": round(peak),
        "process_tree_peak_pss_mb": round(tree_peak_kb / 1024),
    }
    (out_dir / f"cohort-{args.n}.json").write_text(json.dumps(result, indent=2))
    print(
        f"cohort: {args.n} cases ({cases.name}{', per case' if args.per_case else ''}); runs "
        + ", ".join(f"{t:.1f} s" for t in took)
        + f"; best {args.n / best:,.0f} cases/s; largest process peak {peak:,.0f} MB"
        + f"; whole process tree peak {tree_peak_kb / 1024:,.0f} MB (PSS)"
    )


if __name__ == "__main__":
    main()
