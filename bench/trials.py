"""Benchmark: one case matched against a registry of 10,000 imported trials (goal <= 0.5 s).

    python bench/trials.py            # writes bench/out/trials-10000/ (not committed)

Generates 10,000 ClinicalTrials.gov v2 study records (varied ages, statuses, sexes,
eligibility text), imports them with `rrall trials import`, then times:
- the import itself;
- `match_trials_for` in one process (cold: builds the criteria index; warm: a second case);
- `rrall trials match CASE --include-closed --format json` as a whole process.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RRALL = [sys.executable, "-c", "from rrall.cli import main; main()"]
STATUSES = ["RECRUITING", "NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED", "TERMINATED", "UNKNOWN"]


def study(rng: random.Random, i: int) -> dict[str, object]:
    low = rng.choice(["1 Year", "6 Months", "28 Days", "2 Years", None])
    high = rng.choice(["17 Years", "21 Years", "25 Years", "30 Years", "39 Years", None])
    eligibility: dict[str, object] = {
        "sex": rng.choice(["ALL", "ALL", "ALL", "FEMALE", "MALE"]),
        "eligibilityCriteria": "Inclusion Criteria:\n\n* Relapsed or refractory ALL\n"
                               "* Adequate organ function\n\nExclusion Criteria:\n\n* Active infection\n"
                               "* Prior therapy within 14 days",
    }
    if low:
        eligibility["minimumAge"] = low
    if high:
        eligibility["maximumAge"] = high
    return {"protocolSection": {
        "identificationModule": {"nctId": f"NCT{91000000 + i:08d}",
                                 "briefTitle": f"Synthetic benchmark study {i}"},
        "statusModule": {"overallStatus": rng.choice(STATUSES),
                         "lastUpdatePostDateStruct": {"date": "2026-10-01", "type": "ACTUAL"}},
        "designModule": {"phases": [rng.choice(["PHASE1", "PHASE2", "PHASE3"])],
                         "studyType": "INTERVENTIONAL"},
        "eligibilityModule": eligibility,
    }}


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    out = ROOT / "bench" / "out" / f"trials-{args.n}"
    shutil.rmtree(out, ignore_errors=True)
    pages = out / "pages"
    pages.mkdir(parents=True)
    rng = random.Random(1)
    for start in range(0, args.n, 1000):
        page = {"studies": [study(rng, i) for i in range(start, min(start + 1000, args.n))]}
        (pages / f"page-{start // 1000:03d}.json").write_text(json.dumps(page))
    registry = out / "registry"
    took = timed([*RRALL, "trials", "import", str(pages), "--registry", str(registry)])
    print(f"import: {args.n} studies in {took:.2f} s")

    from rrall.assessment import match_trials_for
    from rrall.case.load import load_case
    from rrall.knowledge.load import default_knowledge
    from rrall.trials.registry import Registry, curated_trials, load_imported

    kb = default_knowledge()
    imported, _ = load_imported(registry)
    reg = Registry.merge(list(curated_trials(kb.root / "trials")), imported)
    cases = [load_case(ROOT / "examples" / "cases" / name, kb) for name in
             ("b-marrow-early.yaml", "t-marrow-late.yaml", "second-relapse.yaml")]
    start = time.perf_counter()
    found = match_trials_for(cases[0], kb, trials=reg, include_closed=True)
    cold = time.perf_counter() - start
    warm = []
    for case in cases[1:]:
        start = time.perf_counter()
        match_trials_for(case, kb, trials=reg, include_closed=True)
        warm.append(time.perf_counter() - start)
    print(f"match in process: {len(found)} trials; first case {cold:.3f} s (builds the index), "
          f"next cases {max(warm):.3f} s")
    case_file = str(ROOT / "examples" / "cases" / "b-marrow-early.yaml")
    runs = [timed([*RRALL, "trials", "match", case_file, "--include-closed", "--format", "json",
                   "--registry", str(registry)]) for _ in range(3)]
    print(f"rrall trials match (whole process, {len(reg.trials)} trials): best {min(runs):.2f} s, "
          f"all {', '.join(f'{r:.2f}' for r in runs)}")


if __name__ == "__main__":
    main()
