"""Benchmark: one case matched against a registry of 10,000 imported trials (goal <= 0.5 s).

    python bench/trials.py            # writes bench/out/trials-10000/ (not committed)
    python bench/trials.py --smoke    # 200 studies

Generates 10,000 ClinicalTrials.gov v2 study records (varied ages, statuses, sexes,
eligibility text), imports them with `rrall trials import`, then times:
- the import itself;
- `match_trials_for` in one process (cold: builds the criteria index; warm: a second case);
- `rrall trials match CASE --include-closed --format json` as a whole process.

What it checks, so that it never times failures: every `rrall` process must exit 0; the
registry must then hold every generated study, with no unreadable file; each case in
process must be matched against every trial of the registry (closed ones included); and
each `rrall trials match` must print JSON for its case listing as many trials. Anything
else stops the run with exit status 1. Writes bench/out/trials.json.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from typing import Any

from harness import ROOT, RRALL, fail, options, timed, write_numbers

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


def main() -> None:
    parser = options(__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    n = 200 if args.smoke else args.n
    out = args.out / f"trials-{n}"
    shutil.rmtree(out, ignore_errors=True)
    pages = out / "pages"
    pages.mkdir(parents=True)
    rng = random.Random(1)
    for start in range(0, n, 1000):
        page = {"studies": [study(rng, i) for i in range(start, min(start + 1000, n))]}
        (pages / f"page-{start // 1000:03d}.json").write_text(json.dumps(page))
    registry = out / "registry"
    took, _ = timed([*RRALL, "trials", "import", str(pages), "--registry", str(registry)])
    print(f"import: {n} studies in {took:.2f} s")

    from rrall.assessment import match_trials_for
    from rrall.case.load import load_case
    from rrall.knowledge.load import default_knowledge
    from rrall.trials.registry import Registry, load_curated, load_imported

    kb = default_knowledge()
    imported, problems = load_imported(registry, kb.grammar)
    if len(imported) != n or problems:
        fail(f"the registry holds {len(imported)} of {n} imported studies; {'; '.join(problems[:5])}")
    reg = Registry.merge(load_curated(kb.root / "trials", kb.grammar), imported)
    cases = [load_case(ROOT / "examples" / "cases" / name, kb) for name in
             ("b-marrow-early.yaml", "t-marrow-late.yaml", "second-relapse.yaml")]
    seconds = []
    for case in cases:
        start = time.perf_counter()
        found = match_trials_for(case, kb, trials=reg, include_closed=True)
        seconds.append(time.perf_counter() - start)
        if len(found) != len(reg.trials):
            fail(f"case {case.id} was matched against {len(found)} of the registry's "
                 f"{len(reg.trials)} trials")
    print(f"match in process: {len(found)} trials; first case {seconds[0]:.3f} s (builds the index), "
          f"next cases {max(seconds[1:]):.3f} s")
    case_file = ROOT / "examples" / "cases" / "b-marrow-early.yaml"
    runs = []
    for _ in range(3):
        took_match, printed = timed([*RRALL, "trials", "match", str(case_file), "--include-closed",
                                     "--format", "json", "--registry", str(registry)], capture=True)
        listed = json.loads(printed)
        if listed.get("case_id") != case_file.stem or len(listed.get("trials", [])) != len(reg.trials):
            fail(f"`rrall trials match` listed {len(listed.get('trials', []))} trials for "
                 f"{listed.get('case_id')}; expected {len(reg.trials)} for {case_file.stem}")
        runs.append(took_match)
    print(f"rrall trials match (whole process, {len(reg.trials)} trials): best {min(runs):.2f} s, "
          f"all {', '.join(f'{r:.2f}' for r in runs)}")
    numbers: dict[str, Any] = {
        "studies_imported": n, "registry_trials": len(reg.trials), "import_seconds": round(took, 2),
        "in_process": {"first_case_seconds": round(seconds[0], 3), "next_cases_seconds_max":
                       round(max(seconds[1:]), 3), "goal_seconds": 0.5},
        "whole_process_match": {"runs_seconds": [round(r, 2) for r in runs],
                                "best_seconds": round(min(runs), 2)}}
    write_numbers(args.out, "trials", numbers, args.smoke)


if __name__ == "__main__":
    main()
