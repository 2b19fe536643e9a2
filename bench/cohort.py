"""Benchmark: `rrall cohort` on N generated cases (default 100,000), whole process.

    python bench/cohort.py --n 100000       # writes bench/out/ (not committed)

Reports cases per second end to end and the peak resident memory of the run (parent and
workers, from the operating system's accounting of the finished processes). Goals of the
cohort issue: >= 10,000 cases/s and < 2 GiB for 1,000,000 cases.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RRALL = [sys.executable, "-c", "from rrall.cli import main; main()"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    cases = ROOT / "bench" / "out" / f"cases-{args.n}.jsonl"
    if not cases.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate_cases.py"), "--n", str(args.n),
                        "--out", str(cases)], check=True)
    out = ROOT / "bench" / "out" / f"cohort-{args.n}"
    start = time.perf_counter()
    subprocess.run([*RRALL, "cohort", str(cases), "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"cohort: {args.n} cases in {took:.1f} s = {args.n / took:,.0f} cases/s; "
          f"largest process peak {peak:,.0f} MB")


if __name__ == "__main__":
    main()
