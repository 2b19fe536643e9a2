"""Benchmarks for the assessment. Prints the numbers docs/performance.md quotes.

    python bench/run.py            # 20,000 generated cases, 10 one-case runs

- batch: `rrall assess --format jsonl` on 20,000 varied cases, the whole process timed
  (start-up, parsing, validation, classification, frameworks, options, prognosis, output
  to /dev/null). Goals: >= 2,000 cases/s with options and prognosis (issue: options);
  the core-engine issue's >= 5,000 cases/s was set before options existed.
- latency: `rrall assess` (text) on one example case, median of 10 whole-process runs;
  goal <= 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RRALL = [sys.executable, "-c", "from rrall.cli import main; main()"]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cases = ROOT / "bench" / "out" / f"cases-{args.n}.jsonl"
    if not cases.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate_cases.py"), "--n", str(args.n),
                        "--out", str(cases)], check=True)
    batch = [timed([*RRALL, "assess", "--format", "jsonl", str(cases)]) for _ in range(args.runs)]
    best = min(batch)
    runs = ", ".join(f"{t:.2f}" for t in batch)
    print(f"batch: {args.n} cases in {best:.2f} s (best of {args.runs}; all {runs})"
          f" = {args.n / best:,.0f} cases/s")
    one = ROOT / "examples" / "cases" / "b-marrow-early.yaml"
    latency = [timed([*RRALL, "assess", str(one)]) for _ in range(10)]
    print(f"one case: median {statistics.median(latency):.3f} s, max {max(latency):.3f} s (10 runs)")


if __name__ == "__main__":
    main()
