"""Benchmark: `rrall knowledge impact` of the fixture release 2027.1.0 on N cases (default
100,000), whole process, on two inputs:

- varied case files as JSON Lines (bench/generate_cases.py, seed 1): each case parsed,
  classified and compared (the per-case path, with forked workers);
- a SYNTHETIC cohort table (`rrall synth`, seed 1, CSV): rows in the cohort's classes, one
  comparison per class.

    python bench/impact.py --n 100000 --runs 3   # writes bench/out/ (not committed)

The release is tests/release/fixture.py's (one threshold, one option status, one prognosis
figure changed). Goal of the knowledge-releases issue: 100,000 cases in under a minute.
What it checks, so that it never times failures: every process exits 0, and each run's
JSON report counts every case compared and none refused. `--smoke`: 300 cases, one run.
Writes bench/out/impact-N.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from harness import ROOT, RRALL, command, fail, options, run, timed, write_numbers

sys.path.insert(0, str(ROOT))
from tests.release.fixture import make_release  # the documented fixture release


def main() -> None:
    parser = options(__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    n, runs = (300, 1) if args.smoke else (args.n, args.runs)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    release = out / "release-2027.1.0"
    if not (release / "SHA256SUMS").is_file():
        make_release(release)
    jsonl, table = out / f"impact-cases-{n}.jsonl", out / f"impact-synth-{n}.csv"
    if not jsonl.is_file():
        run([sys.executable, str(ROOT / "bench" / "generate_cases.py"), "--n", str(n), "--seed", "1",
             "--out", str(jsonl)])
    if not table.is_file():
        run([*RRALL, "synth", "--n", str(n), "--seed", "1", "--out", str(table)])
    numbers = {}
    for kind, cases in (("json_lines", jsonl), ("cohort_table", table)):
        cmd = [*RRALL, "knowledge", "impact", "bundled", str(release), str(cases), "--format", "json"]
        seconds = []
        for _ in range(runs):
            took, stdout = timed(cmd, capture=True)
            report = json.loads(stdout)
            if report["cases"] != n or report["errors"]:
                fail(f"`{command(cmd)}` compared {report['cases']} of {n} cases, "
                     f"{len(report['errors'])} refused")
            seconds.append(round(took, 2))
        numbers[kind] = {"command": command(cmd), "cases": n, "seconds": seconds, "best": min(seconds),
                         "cases_changed": report["cases_changed"], "summary": report["summary"]}
    write_numbers(out, f"impact-{n}" if not args.smoke else "impact", numbers, args.smoke)


if __name__ == "__main__":
    main()
