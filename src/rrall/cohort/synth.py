"""`rrall synth`: a synthetic cohort in the flat layout, clearly labelled synthetic.

Proportions and survival follow the published figures in synth.yaml where there are
some, and documented assumptions elsewhere. Survival: death after relapse is exponential
with the published 5-year OS of the child's lineage and timing group (time from diagnosis
<18, 18 to <36, >=36 months); a second relapse competes with death at the assumed
5-year rate; follow-up is cut uniformly. Every case is valid input for `rrall cohort`.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

HERE = Path(__file__).parent
TIMINGS = ("early", "intermediate", "late")
MONTHS = {"early": (6, 17), "intermediate": (18, 35), "late": (36, 96)}


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float = Field(ge=0)
    source: str | None = None
    quote: str | None = None
    assumption: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def sourced_or_assumed(self) -> Parameter:
        if (self.source is None) == (not self.assumption):
            raise ValueError("a parameter has a source or is an assumption, not both or neither")
        return self


class SynthFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format_version: int
    parameters: dict[str, Parameter]


def value_problem(name: str, value: float) -> str | None:
    """Why a parameter cannot take a value, or None: shares are between 0 and 1; a 5-year
    survival must be above 0 (1: nobody dies) and a 5-year incidence below 1 (0: none);
    follow-up lasts at least a year."""
    if name.startswith("os5_"):
        return None if 0 < value <= 1 else "a 5-year survival, above 0 and at most 1"
    if name.startswith("cir5_"):
        return None if 0 <= value < 1 else "a 5-year incidence, at least 0 and below 1"
    if name == "follow_up_years_max":
        return None if 1 <= value <= 50 else "years, from 1 to 50"
    return None if 0 <= value <= 1 else "a share, from 0 to 1"


def _exponential(rng: random.Random, five_year_survival: float) -> float:
    """A time in years with the given 5-year survival (never, when that is 1)."""
    rate = -math.log(five_year_survival) / 5
    return rng.expovariate(rate) if rate > 0 else math.inf


def load_parameters() -> SynthFile:
    return SynthFile.model_validate(yaml.safe_load((HERE / "synth.yaml").read_text(encoding="utf-8")))


def _day(start: date, days: float) -> date:
    return start + timedelta(days=int(days))


def synthetic_row(rng: random.Random, i: int, p: dict[str, float]) -> dict[str, Any]:
    lineage = "T" if rng.random() < p["t_share"] else "B"
    if lineage == "B":
        timing = "late" if rng.random() < p["b_late_share"] else (
            "early" if rng.random() < p["b_early_of_not_late"] else "intermediate")
        marrow = rng.random() < p["b_marrow_share"]
    else:
        timing = "early" if rng.random() < p["t_early_share"] else (
            "intermediate" if rng.random() < p["t_intermediate_of_not_early"] else "late")
        marrow = rng.random() < p["t_marrow_share"]
    sex = "male" if rng.random() < p["male_share"] else "female"
    diagnosis = date(2005, 1, 1) + timedelta(days=rng.randrange(0, 14 * 365))
    birth = diagnosis - timedelta(days=rng.randrange(365, 17 * 365))
    low, high = MONTHS[timing]
    relapse = _day(diagnosis, rng.uniform(low, high + 1) * 30.44)
    sites = _sites(rng, lineage, marrow, sex, p)
    frontline_end = _day(diagnosis, rng.uniform(2.0, 3.0) * 365.25)
    row: dict[str, Any] = {
        "id": f"SYNTHETIC-{i:07d}", "sex": sex, "date_of_birth": birth.isoformat(),
        "assessment_date": (relapse + timedelta(days=35)).isoformat(),
        "diagnosis_date": diagnosis.isoformat(), "immunophenotype": lineage,
        "frontline_end_date": frontline_end.isoformat() if frontline_end < relapse else "not_completed",
        "relapse_date": relapse.isoformat(), "relapse_sites": ";".join(sites),
        "marrow_blasts_percent": round(rng.uniform(25, 95) if "bone_marrow" in sites
                                       else rng.uniform(0, 4.5), 1),
        "cd19": "positive" if lineage == "B" else None, "bcr_abl1": "false",
        # Synthetic children had no HSCT and none of the listed agents before the relapse.
        "prior_allogeneic_hsct_date": None, "prior_agents": None,
    }
    row.update(_follow_up(rng, relapse, p[f"os5_{lineage.lower()}_{timing}"], p))
    return row


def _sites(rng: random.Random, lineage: str, marrow: bool, sex: str, p: dict[str, float]) -> list[str]:
    if lineage == "T":
        cns = rng.random() < p["t_cns_share"]
        if not marrow and not cns:  # an extramedullary relapse that is not CNS
            return ["testis"] if sex == "male" else ["other"]
        return (["bone_marrow"] if marrow else []) + (["cns"] if cns else [])
    extra = "testis" if sex == "male" and rng.random() < p["testis_of_extramedullary_male"] else "cns"
    if marrow:
        return ["bone_marrow", extra] if rng.random() < p["combined_of_marrow"] else ["bone_marrow"]
    return [extra]


def _follow_up(rng: random.Random, relapse: date, os5: float, p: dict[str, float]) -> dict[str, Any]:
    """Exponential death (5-year OS as published) competing with an exponential second
    relapse (5-year incidence assumed), cut by uniform administrative follow-up."""
    death = _exponential(rng, os5)
    second = _exponential(rng, 1 - p["cir5_second_relapse"])
    cut = rng.uniform(1, p["follow_up_years_max"])
    years = 365.25
    if min(death, second) > cut:
        return {"last_follow_up_date": _day(relapse, cut * years).isoformat(), "vital_status": "alive",
                "event_type": "none", "event_date": None}
    if death <= second:
        when = _day(relapse, death * years).isoformat()
        return {"last_follow_up_date": when, "vital_status": "dead", "event_type": "death",
                "event_date": when}
    dies_later = death <= cut
    return {"last_follow_up_date": _day(relapse, (death if dies_later else cut) * years).isoformat(),
            "vital_status": "dead" if dies_later else "alive", "event_type": "second_relapse",
            "event_date": _day(relapse, second * years).isoformat()}


def write_cohort(out: Path, n: int, seed: int, overrides: dict[str, float]) -> dict[str, Any]:
    """Write the cohort (.csv or .parquet) and its sidecar OUT.synthetic.json; return the sidecar."""
    import orjson
    import polars as pl

    from rrall._version import __version__

    spec = load_parameters()
    unknown = sorted(set(overrides) - set(spec.parameters))
    if unknown:
        raise KeyError(", ".join(unknown))
    values = {k: overrides.get(k, v.value) for k, v in spec.parameters.items()}
    rng = random.Random(seed)
    columns = ["id", "sex", "date_of_birth", "assessment_date", "diagnosis_date", "immunophenotype",
               "frontline_end_date", "relapse_date", "relapse_sites", "marrow_blasts_percent", "cd19",
               "bcr_abl1", "prior_allogeneic_hsct_date", "prior_agents", "last_follow_up_date",
               "vital_status", "event_date", "event_type"]
    chunk = 50_000
    parts = []
    for start in range(0, n, chunk):
        rows = [synthetic_row(rng, i, values) for i in range(start + 1, min(n, start + chunk) + 1)]
        parts.append(pl.DataFrame(rows, schema={c: pl.Float64 if c == "marrow_blasts_percent" else pl.String
                                                for c in columns}, orient="row"))
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    if out.suffix == ".parquet":
        frame.write_parquet(out)
    else:
        frame.write_csv(out)
    sidecar = {
        "synthetic": True,
        "warning": "SYNTHETIC DATA for demonstrations, benchmarks and tests; not patient data and not a "
                   "model of any population.",
        "generator": f"rrall {__version__} synth", "n": n, "seed": seed,
        "parameters": {k: {**spec.parameters[k].model_dump(exclude_none=True), "value": values[k],
                           **({"changed_from": spec.parameters[k].value} if k in overrides else {})}
                       for k in values},
    }
    out.with_name(out.name + ".synthetic.json").write_bytes(orjson.dumps(sidecar, option=orjson.OPT_INDENT_2))
    return sidecar
