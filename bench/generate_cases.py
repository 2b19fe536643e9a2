"""Write N varied, valid cases as JSON Lines (deterministic for a given seed).

    python bench/generate_cases.py --n 20000 --out bench/out/cases.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

SITE_SETS = [["bone_marrow"], ["bone_marrow", "cns"], ["bone_marrow", "testis"], ["cns"], ["testis"],
             ["cns", "other"], ["bone_marrow", "other"]]


def make_case(rng: random.Random, i: int) -> dict[str, Any]:
    sex = rng.choice(["male", "female"])
    birth = date(2000, 1, 1) + timedelta(days=rng.randrange(0, 18 * 365))
    diagnosis = birth + timedelta(days=rng.randrange(200, 15 * 365))
    relapse_dates = [diagnosis + timedelta(days=rng.randrange(90, 8 * 365))]
    if rng.random() < 0.15:
        relapse_dates.append(relapse_dates[-1] + timedelta(days=rng.randrange(120, 4 * 365)))
    first = relapse_dates[0]
    end: Any = rng.choice(["date", "date", "date", "not_completed", None])
    if end == "date":
        end = (diagnosis + timedelta(days=rng.randrange(0, (first - diagnosis).days + 1))).isoformat()
    relapses = []
    for when in relapse_dates:
        sites = list(rng.choice(SITE_SETS))
        if sex == "female" and "testis" in sites:
            sites = [s if s != "testis" else "cns" for s in sites]
            sites = list(dict.fromkeys(sites))
        marrow = "bone_marrow" in sites
        relapse: dict[str, Any] = {"date": when.isoformat(), "sites": sites}
        if rng.random() < 0.9:
            relapse["marrow_blasts_percent"] = round(rng.uniform(5, 95) if marrow else rng.uniform(0, 4.9), 1)
        relapse["cd19"] = rng.choice(["positive", "positive", "dim", "negative", "unknown"])
        relapse["cd22"] = rng.choice(["positive", "positive", "dim", "negative"])
        relapse["bcr_abl1"] = rng.random() < 0.05
        if relapse["bcr_abl1"] and rng.random() < 0.3:
            relapse["abl1_kinase_mutations"] = [rng.choice(["T315I", "E255K", "F317L", "Y253H"])]
        relapses.append(relapse)
    case: dict[str, Any] = {
        "id": f"bench-{i:06d}", "sex": sex, "date_of_birth": birth.isoformat(),
        "assessment_date": (relapse_dates[-1] + timedelta(days=42)).isoformat(),
        "diagnosis": {"date": diagnosis.isoformat(), "immunophenotype": "T" if rng.random() < 0.15 else "B",
                      "genetics": rng.choice([[], ["ETV6::RUNX1"], ["KMT2A"], ["high_hyperdiploid"]])},
        "relapses": relapses,
    }
    if end is not None:
        case["diagnosis"]["frontline_end_date"] = end
    if rng.random() < 0.6:
        case["mrd"] = [{"timepoint": "end_of_reinduction", "unit": rng.choice(["percent", "fraction"]),
                        "value": rng.choice([0, 0.00005, 0.0002, 0.005, 0.02, 0.3])}]
    if rng.random() < 0.08:
        hsct = first + timedelta(days=-rng.randrange(30, 200))
        if hsct > diagnosis:
            case["prior_therapy"] = {"hsct": [{"date": hsct.isoformat(), "type": "allogeneic"}]}
            if end not in (None, "not_completed") and date.fromisoformat(end) > hsct:
                case["diagnosis"]["frontline_end_date"] = hsct.isoformat()
    return case


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("bench/out/cases.jsonl"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w") as handle:
        for i in range(args.n):
            handle.write(json.dumps(make_case(rng, i)) + "\n")


if __name__ == "__main__":
    main()
