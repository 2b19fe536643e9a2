"""Benchmarks for the assessment. Prints the numbers docs/performance.md quotes.

    python bench/run.py            # 20,000 generated cases (best of 3), 10 one-case runs
    python bench/run.py --smoke    # 200 cases once, 2 one-case runs

- batch: `rrall assess --format jsonl` on 20,000 varied cases, the whole process timed
  (start-up, parsing, validation, classification, frameworks, options, prognosis, trials,
  and the output, read through a pipe by this process). Goals: >= 2,000 cases/s with
  options and prognosis (issue: options); the core-engine issue's >= 5,000 cases/s was
  set before options existed.
- summary: the same batch with `--detail summary` (ids, classification, groups, HSCT
  rules, option statuses, missing fields, citations by id). Goal (speed issue): >= 30,000
  cases/s, floor 15,000; the full batch's goal there is >= 8,000, floor 4,000.
- latency: `rrall assess` (text) on one example case, median of 10 whole-process runs;
  goal (speed issue) <= 0.20 s, floor 0.35 s.

What it checks, so that it never times failures: every `rrall assess` must exit 0 (a case
that cannot be assessed is exit 2); the batch must write exactly one JSON line per case,
the first and last naming the first and last case; the one-case run must print its
case's heading. Anything else stops the run with exit status 1. Writes bench/out/run.json.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import ROOT, RRALL, command, fail, options, run, timed, write_numbers

ONE_CASE = ROOT / "examples" / "cases" / "b-marrow-early.yaml"


def cases_file(out: Path, n: int) -> Path:
    cases = out / f"cases-{n}.jsonl"
    if not cases.exists():
        out.mkdir(parents=True, exist_ok=True)
        run([sys.executable, str(ROOT / "bench" / "generate_cases.py"), "--n", str(n), "--out", str(cases)])
    return cases


def first_and_last_ids(cases: Path) -> tuple[str, str]:
    with cases.open("rb") as handle:
        last = handle.readline()
        first = json.loads(last)["id"]
        for line in handle:
            last = line
    return first, json.loads(last)["id"]


class Lines:
    """Counts the lines of a stream read in chunks, keeping its first and last line."""

    def __init__(self) -> None:
        self.count, self.head, self.previous, self.current = 0, b"", b"", b""

    def feed(self, chunk: bytes) -> None:
        self.count += chunk.count(b"\n")
        if b"\n" not in self.head:
            self.head += chunk
        self.previous, self.current = self.current, chunk

    def case_ids(self) -> tuple[str | None, str | None]:
        if not self.count:
            return None, None
        last = (self.previous + self.current).rstrip(b"\n").rsplit(b"\n", 1)[-1]
        return json.loads(self.head.split(b"\n", 1)[0])["case_id"], json.loads(last)["case_id"]


def timed_batch(cases: Path, n: int, ids: tuple[str, str], detail: str = "full") -> float:
    """Seconds for one `rrall assess --format jsonl` whose output is n lines, one per case."""
    cmd = [*RRALL, "assess", "--format", "jsonl", "--detail", detail, str(cases)]
    lines = Lines()
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        while chunk := process.stdout.read(1 << 20):
            lines.feed(chunk)
        code = process.wait()
        took = time.perf_counter() - start
        errors.seek(0)
        if code != 0:
            fail(f"`{command(cmd)}` exited {code}: {errors.read().decode(errors='replace')[-2000:]}")
    if lines.count != n or lines.case_ids() != ids:
        fail(f"`{command(cmd)}` wrote {lines.count} lines for {n} cases (first and last case "
             f"{lines.case_ids()}, expected {ids})")
    return took


def main() -> None:
    parser = options(__doc__)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n, runs, one_case_runs = (200, 1, 2) if args.smoke else (args.n, args.runs, 10)
    cases = cases_file(args.out, n)
    ids = first_and_last_ids(cases)
    batch = [timed_batch(cases, n, ids) for _ in range(runs)]
    best = min(batch)
    print(f"batch: {n} cases in {best:.2f} s (best of {runs}; all {', '.join(f'{t:.2f}' for t in batch)})"
          f" = {n / best:,.0f} cases/s")
    short = [timed_batch(cases, n, ids, "summary") for _ in range(runs)]
    quick = min(short)
    print(f"batch --detail summary: {n} cases in {quick:.2f} s (best of {runs}; all "
          f"{', '.join(f'{t:.2f}' for t in short)}) = {n / quick:,.0f} cases/s")
    latency = []
    for _ in range(one_case_runs):
        took, text = timed([*RRALL, "assess", str(ONE_CASE)], capture=True)
        if ONE_CASE.stem not in text:
            fail(f"`rrall assess {ONE_CASE.name}` printed no heading for {ONE_CASE.stem}: {text[:2000]}")
        latency.append(took)
    print(f"one case: median {statistics.median(latency):.3f} s, max {max(latency):.3f} s "
          f"({one_case_runs} runs)")
    numbers: dict[str, Any] = {
        "batch": {"cases": n, "runs_seconds": [round(t, 2) for t in batch], "best_seconds": round(best, 2),
                  "cases_per_second_best": round(n / best), "goal_cases_per_second": 8000,
                  "floor_cases_per_second": 4000},
        "batch_summary": {"cases": n, "runs_seconds": [round(t, 2) for t in short],
                          "best_seconds": round(quick, 2), "cases_per_second_best": round(n / quick),
                          "goal_cases_per_second": 30000, "floor_cases_per_second": 15000},
        "one_case": {"case": ONE_CASE.name, "runs": one_case_runs,
                     "median_seconds": round(statistics.median(latency), 3),
                     "max_seconds": round(max(latency), 3), "goal_seconds": 0.2,
                     "floor_seconds": 0.35}}
    write_numbers(args.out, "run", numbers, args.smoke)


if __name__ == "__main__":
    main()
