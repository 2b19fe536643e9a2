"""A trial's structured eligibility under the key names of the curated trials.json, read
off its criteria (for audit: `rrall trials list`, the API's trial list)."""

from __future__ import annotations

from typing import Any

from rrall.logic.criteria import AtLeast, AtMost, Comparison, Equals, Has, Not, OneOf
from rrall.trials.match import parts
from rrall.trials.model import Trial


def eligibility_summary(t: Trial) -> dict[str, Any]:
    found: dict[str, Any] = {}
    excluded: list[str] = []
    for part in parts(t):
        if isinstance(part, Not) and isinstance(part.item, Has) and part.item.fact == "prior_agents":
            excluded += part.item.values
        if not isinstance(part, Comparison):
            continue
        values = (
            part.values if isinstance(part, OneOf) else (part.value,) if isinstance(part, Equals) else None
        )
        if part.fact == "age" and isinstance(part, AtLeast):
            found["min_age_years"] = float(part.bound / 12)
        elif part.fact == "age" and isinstance(part, AtMost):
            found["max_age_years"] = float(part.bound / 12)
        elif part.fact == "performance" and isinstance(part, AtLeast):
            found["min_performance"] = int(part.bound)
        elif values is not None:
            found[part.fact] = list(values)
    if found.get("prior_allogeneic_hsct") == [False]:
        excluded.append("hsct")
    bcr = found.get("bcr_abl1")
    return {
        "min_age_years": found.get("min_age_years"),
        "max_age_years": found.get("max_age_years"),
        "immunophenotype": found.get("immunophenotype"),
        "disease_states": found.get("disease_state"),
        "cd19_required": True if "cd19" in t.eligibility.reads else None,
        "cd22_required": True if "cd22" in t.eligibility.reads else None,
        "ph_status": None if bcr is None else "positive" if bcr == [True] else "negative",
        "excludes_prior": excluded,
        "excludes_active_cns": True if found.get("active_cns") == [False] else None,
        "min_performance": found.get("min_performance"),
    }
