"""Varied flat-layout rows for proving the vectorised path equal to the per-case path.

Values are drawn to sit on and beside every bound the rules use (18, 30 and 36 months from
diagnosis, 6 months from the end of therapy, month ends and leap days, ages at the trial
limits, 5 % marrow blasts, MRD at 0.01 % and 0.1 %), to cover every column and its
unknown, and to include bad cells of every kind (impossible dates, dates out of order,
text where numbers go, numbers out of range, padded cells, words outside the vocabulary,
testis for a girl, kinase mutations on a BCR::ABL1-negative relapse, ...). A fixed seed
gives the same rows every time.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from rrall.classify.months import add_months

SITES = [
    "bone_marrow",
    "cns",
    "testis",
    "other",
    "bone_marrow;cns",
    "bone_marrow; testis",
    "cns;testis",
    "bone_marrow;other",
]
GENETICS = [
    None,
    "none",
    "ETV6::RUNX1",
    "TP53",
    "BCR::ABL1",
    "KMT2A;TP53",
    "IKZF1_deletion",
    "high_hyperdiploid",
]
AGENTS = [
    None,
    "blinatumomab",
    "blinatumomab:no_response",
    "inotuzumab_ozogamicin:complete_remission",
    "tisagenlecleucel",
    "blinatumomab;tisagenlecleucel:mrd_negative_remission",
]
BAD_DATES = ["2015-02-30", "2015/01/01", "01.02.2015", " 2015-01-01", "yesterday", "0000-01-01", "20150101"]
BAD_NUMBERS = ["abc", " 5", "-1", "1e400", "nan", "1_000", "150%"]
# One of these spoils about one row in six (a bad cell, or cells that contradict each other).
CORRUPTIONS: list[tuple[str, list[Any]]] = [
    ("cranial_radiation_gy", [61]),
    ("bcr_abl1", ["maybe"]),
    ("abl1_kinase_mutations", ["t315i"]),
    ("wbc_per_uL", [2_000_001]),
    ("prior_agents", ["unknown_drug"]),
    ("diagnosis_genetics", ["XYZ"]),
    ("relapse_genetics", ["hyperdiploid"]),
    ("relapse_sites", ["brain", "none", "testis"]),
    ("marrow_blasts_percent", [100.5, -1]),
    ("mrd_end_of_reinduction_percent", [101]),
    ("doxorubicin_mg_per_m2", [2100]),
    ("sex", ["x", "Male"]),
    ("immunophenotype", ["NK", "b"]),
    ("id", ["", " padded", "x" * 201]),
    ("relapse_date", [None]),
    *[
        (column, BAD_DATES)
        for column in (
            "date_of_birth",
            "diagnosis_date",
            "relapse_date",
            "assessment_date",
            "frontline_end_date",
            "prior_allogeneic_hsct_date",
        )
    ],
    *[
        (column, BAD_NUMBERS)
        for column in (
            "marrow_blasts_percent",
            "wbc_per_uL",
            "mrd_end_of_reinduction_percent",
            "cranial_radiation_gy",
            "daunorubicin_mg_per_m2",
        )
    ],
]


def _maybe(rng: random.Random, value: Any, p: float = 0.85) -> Any:
    return value if rng.random() < p else None


def row(rng: random.Random, i: int) -> dict[str, Any]:
    diagnosis = date(2004, 1, 1) + timedelta(days=rng.randrange(0, 16 * 365))
    if rng.random() < 0.1:
        diagnosis = rng.choice([date(2012, 1, 31), date(2016, 2, 29), date(2015, 8, 31), date(2013, 3, 30)])
    age_days = rng.choice([rng.randrange(20, 400), rng.randrange(365, 21 * 365), 365, 366, 364])
    birth = diagnosis - timedelta(days=age_days)
    months = rng.choice([rng.randrange(1, 120), 17, 18, 19, 29, 30, 31, 35, 36, 37])
    relapse = add_months(diagnosis, months) + timedelta(days=rng.choice([-1, 0, 0, 1, rng.randrange(0, 28)]))
    end = max(
        diagnosis, add_months(relapse, -rng.choice([5, 6, 7, 12, 0])) + timedelta(days=rng.choice([-1, 0]))
    )
    frontline: Any = rng.choice([end.isoformat(), end.isoformat(), "not_completed", None])
    assessed = relapse + timedelta(days=rng.choice([0, 20, 35, 400]))
    hsct = rng.choice(
        [
            None,
            None,
            None,
            None,
            max(diagnosis, relapse - timedelta(days=rng.randrange(1, 900))),
            relapse + timedelta(days=rng.choice([0, 10])),
            max(diagnosis, end - timedelta(days=30)),
        ]
    )
    sex = rng.choice(["male", "female"])
    sites = rng.choice(SITES[:4] * 3 + SITES)
    if sex == "female":
        sites = sites.replace("testis", "other")
    marrow = "bone_marrow" in sites
    blasts = rng.choice(
        [5, "5.0", 5.1, 25, round(rng.uniform(5, 100), 1), 100]
        if marrow
        else [None, 0, 4.9, "4.9999999999", 3.2]
    )
    bcr = rng.choice([None, "false", "false", "true", "yes"])
    out: dict[str, Any] = {
        "id": f"V{i:05d}",
        "sex": sex,
        "date_of_birth": birth.isoformat(),
        "assessment_date": _maybe(rng, assessed.isoformat(), 0.9),
        "diagnosis_date": diagnosis.isoformat(),
        "immunophenotype": rng.choice(["B", "B", "B", "T"]),
        "frontline_end_date": frontline,
        "induction_outcome": rng.choice([None, None, "CR", "induction_failure"]),
        "diagnosis_cns_status": rng.choice([None, "CNS1", "CNS2", "CNS3"]),
        "diagnosis_genetics": rng.choice(GENETICS),
        "wbc_per_uL": rng.choice([None, 0, 5000, 50000, round(rng.uniform(0, 500000)), 2_000_000]),
        "relapse_date": relapse.isoformat(),
        "relapse_sites": sites,
        "marrow_blasts_percent": blasts,
        "relapse_immunophenotype": rng.choice([None, None, None, "B", "T"]),
        "cd19": rng.choice([None, "positive", "dim", "negative", "unknown"]),
        "cd22": rng.choice([None, None, "positive", "dim", "negative"]),
        "bcr_abl1": bcr,
        "abl1_kinase_mutations": rng.choice([None, "none", "T315I", "E255K;T315I"])
        if bcr in ("true", "yes")
        else None,
        "relapse_genetics": rng.choice([g for g in GENETICS if not (bcr == "false" and g and "BCR" in g)]),
        "relapse_cns_status": rng.choice([None, "CNS1", "CNS2", "CNS3"]),
        "reinduction_outcome": rng.choice([None, "CR", "treatment_failure"]),
        "mrd_end_of_reinduction_percent": rng.choice(
            [None, None, 0, 0.001, 0.0099, 0.01, "0.010", 0.05, 0.099, 0.1, "0.10", 0.5, 1, 30, 100]
        ),
        "prior_allogeneic_hsct_date": hsct.isoformat() if hsct else None,
        "prior_agents": rng.choice(AGENTS),
        "doxorubicin_mg_per_m2": rng.choice([None, None, 0, 75, 150, 300]),
        "daunorubicin_mg_per_m2": rng.choice([None, None, None, 120, 250]),
        "idarubicin_mg_per_m2": rng.choice([None, None, None, None, 30]),
        "mitoxantrone_mg_per_m2": rng.choice([None, None, None, None, 40]),
        "cranial_radiation_gy": rng.choice([None, None, 0, 12, 18]),
        "last_follow_up_date": (relapse + timedelta(days=rng.randrange(0, 3000))).isoformat(),
        "vital_status": rng.choice(["alive", "alive", "dead"]),
        "event_date": None,
        "event_type": rng.choice(["none", "none", None]),
    }
    if rng.random() < 1 / 6:
        column, values = rng.choice(CORRUPTIONS)
        out[column] = rng.choice(values)
    return out


def rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    made = [row(rng, i) for i in range(n)]
    for i in range(0, n, 50):  # exact duplicates but for the id: the same class
        made[i + 1 if i + 1 < n else i] = made[i] | {"id": f"D{i:05d}"}
    return made
