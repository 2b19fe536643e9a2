"""Benchmark: `rrall cohort` on N synthetic children (default 100,000), whole process.

    python bench/cohort.py --n 1000000      # writes bench/out/ (not committed)

The input is made by `rrall synth` (Parquet, flat layout with follow-up, so the summary
includes the survival analysis); `--jsonl` uses bench/generate_cases.py's varied case
files instead. Reports cases per second end to end (the cohort run only, not the making of
the input) and the peak resident memory of the largest process of the run (parent and
workers, from the operating system's accounting of finished processes). Goals of the
cohort issue: >= 10,000 cases/s and < 2 GiB for 1,000,000 cases.
"""

from __future__ import annotations

import argparse
import json
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
    parser.add_argument("--jsonl", action="store_true", help="varied case files instead of rrall synth")
    args = parser.parse_args()
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.jsonl:
        cases = out_dir / f"cases-{args.n}.jsonl"
        if not cases.exists():
            subprocess.run([sys.executable, str(ROOT / "bench" / "generate_cases.py"), "--n", str(args.n),
                            "--out", str(cases)], check=True)
    else:
        cases = out_dir / f"synth-{args.n}.parquet"
        if not cases.exists():
            subprocess.run([*RRALL, "synth", "--n", str(args.n), "--seed", "1", "--out", str(cases)],
                           check=True, stderr=subprocess.DEVNULL)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = out_dir / f"cohort-{args.n}"
    start = time.perf_counter()
    subprocess.run([*RRALL, "cohort", str(cases), "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    took = time.perf_counter() - start
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    result = {"n": args.n, "input": cases.name, "seconds": round(took, 1),
              "cases_per_second": round(args.n / took), "largest_process_peak_mb": round(peak)}
    (out_dir / f"cohort-{args.n}.json").write_text(json.dumps(result, indent=2))
    print(f"cohort: {args.n} cases in {took:.1f} s = {args.n / took:,.0f} cases/s; "
          f"largest process peak {peak:,.0f} MB")


if __name__ == "__main__":
    main()
