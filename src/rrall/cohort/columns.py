"""The flat column layout of a cohort table: one row per child, the first relapse's fields.

Every column is optional except the identifying and diagnostic ones; an empty cell is
"not recorded", never "no". Lists are separated by ";". A row becomes a case in the case
format (docs/case-format.md), validated by the same code as any case file, so a bad row
gets the same field errors, with its row number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rrall.errors import FieldError
from rrall.vocabulary import Anthracycline, values

REQUIRED = ("id", "sex", "date_of_birth", "diagnosis_date", "immunophenotype")
# Therapy records are complete lists in the case format (an empty one means none was
# given), so these columns must be present for their empty cells to say "none": a table
# without them would otherwise be read as "no prior HSCT, no prior agent".
COMPLETE_RECORDS = ("prior_allogeneic_hsct_date", "prior_agents")
ANTHRACYCLINES = {f"{agent}_mg_per_m2": agent for agent in values(Anthracycline)}
COLUMNS: dict[str, str] = {
    "id": "case identifier (text)",
    "sex": "male | female",
    "date_of_birth": "YYYY-MM-DD",
    "assessment_date": "YYYY-MM-DD (default: today)",
    "diagnosis_date": "YYYY-MM-DD",
    "immunophenotype": "B | T (at diagnosis)",
    "frontline_end_date": "YYYY-MM-DD, or not_completed (relapse during front-line therapy); "
                          "empty: unknown",
    "induction_outcome": "CR | induction_failure (default CR)",
    "diagnosis_cns_status": "CNS1 | CNS2 | CNS3",
    "diagnosis_genetics": "lesions at diagnosis, ';'-separated (empty: not tested; 'none': tested, "
                          "none found)",
    "wbc_per_uL": "white cells at diagnosis, per microlitre",
    "relapse_date": "YYYY-MM-DD of the first relapse (empty: no relapse, e.g. primary refractory)",
    "relapse_sites": "bone_marrow; cns; testis; other",
    "marrow_blasts_percent": "0-100",
    "relapse_immunophenotype": "B | T, when re-tested at relapse",
    "cd19": "positive | dim | negative | unknown",
    "cd22": "positive | dim | negative | unknown",
    "bcr_abl1": "true | false",
    "abl1_kinase_mutations": "e.g. T315I; ';'-separated ('none': tested, none found)",
    "relapse_genetics": "lesions at relapse, ';'-separated ('none': tested, none found)",
    "relapse_cns_status": "CNS1 | CNS2 | CNS3",
    "reinduction_outcome": "CR | treatment_failure",
    "mrd_end_of_reinduction_percent": "marrow MRD after reinduction, in percent (0.01 = 10^-4)",
    "prior_allogeneic_hsct_date": "YYYY-MM-DD of an allogeneic HSCT before the relapse",
    "prior_agents": "agent or agent:response, ';'-separated (e.g. blinatumomab:no_response)",
    **{column: f"cumulative {agent}, mg/m²" for column, agent in ANTHRACYCLINES.items()},
    "cranial_radiation_gy": "prior cranial radiation, Gy",
    "down_syndrome": "true | false (empty: not recorded, read as no)",
    "germline_predisposition": "TP53; ataxia_telangiectasia; ... ';'-separated (empty or 'none': none known)",
    "last_follow_up_date": "YYYY-MM-DD (follow-up, for survival)",
    "vital_status": "alive | dead",
    "event_date": "YYYY-MM-DD of the first event after the relapse",
    "event_type": "second_relapse | death | none",
}
FOLLOW_UP = ("last_follow_up_date", "vital_status", "event_date", "event_type")
# The case's dates and measurements among the columns (the follow-up dates are not the case's).
DATES = ("date_of_birth", "assessment_date", "diagnosis_date", "frontline_end_date", "relapse_date",
         "prior_allogeneic_hsct_date")
MEASURED = ("marrow_blasts_percent", "mrd_end_of_reinduction_percent", "wbc_per_uL", "cranial_radiation_gy")


def check_columns(columns: list[str]) -> list[FieldError]:
    """Column-level problems, reported once before any row is read."""
    errors = [FieldError(f"column {name!r}", "is not a column of the cohort layout",
                         "see docs/cohort.md; allowed: " + ", ".join(COLUMNS))
              for name in columns if name not in COLUMNS]
    errors += [FieldError(f"column {name!r}", "is required but missing", "a column of that name")
               for name in REQUIRED if name not in columns]
    errors += [FieldError(f"column {name!r}", "is required but missing: its empty cells mean none was "
                          "given (a therapy record is complete), so without the column rrall cannot tell "
                          "'none' from 'not recorded'", "a column of that name, empty where none was given")
               for name in COMPLETE_RECORDS if name not in columns]
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            errors.append(FieldError(f"column {name!r}", "appears twice", "each column once"))
        seen.add(name)
    return errors


def _cell(row: Mapping[str, Any], name: str) -> Any:
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):  # NaN: an empty cell
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _list(text: Any) -> list[str] | None:
    if text is None:
        return None
    if str(text).strip().lower() == "none":
        return []
    return [part.strip() for part in str(text).split(";") if part.strip()]


def _bool(text: Any) -> Any:
    lowered = str(text).strip().lower()
    return {"true": True, "false": False, "yes": True, "no": False}.get(lowered, text)


def _number(text: Any) -> Any:
    try:
        return float(text)
    except (TypeError, ValueError):
        return text  # the case model reports it with the allowed range


def row_to_case(row: Mapping[str, Any]) -> dict[str, Any]:
    """The case-format mapping of one row; nothing is inferred that the row does not say."""
    def cell(name: str) -> Any:
        return _cell(row, name)

    diagnosis: dict[str, Any] = {"date": cell("diagnosis_date"), "immunophenotype": cell("immunophenotype")}
    optional = (("frontline_end_date", "frontline_end_date"), ("induction_outcome", "induction_outcome"),
                ("cns_status", "diagnosis_cns_status"))
    for key, column in optional:
        if cell(column) is not None:
            diagnosis[key] = cell(column)
    if cell("diagnosis_genetics") is not None:
        diagnosis["genetics"] = _list(cell("diagnosis_genetics"))
    if cell("wbc_per_uL") is not None:
        diagnosis["wbc_per_uL"] = _number(cell("wbc_per_uL"))
    identifier = cell("id")
    if isinstance(identifier, int | float) and not isinstance(identifier, bool):
        identifier = str(int(identifier)) if float(identifier).is_integer() else str(identifier)
    case: dict[str, Any] = {"id": identifier, "sex": cell("sex"), "date_of_birth": cell("date_of_birth"),
                            "diagnosis": diagnosis}
    if cell("assessment_date") is not None:
        case["assessment_date"] = cell("assessment_date")
    relapses = _relapses(row)
    if relapses is not None:
        case["relapses"] = relapses
    else:  # no relapse (primary refractory): the marker columns describe the disease after induction
        refractory = _refractory_disease(row)
        if refractory:
            diagnosis["refractory_disease"] = refractory
    if cell("mrd_end_of_reinduction_percent") is not None:
        case["mrd"] = [{"timepoint": "end_of_reinduction", "unit": "percent",
                        "value": _number(cell("mrd_end_of_reinduction_percent"))}]
    therapy = _prior_therapy(row)
    if therapy:
        case["prior_therapy"] = therapy
    born = _constitutional(row)
    if born:
        case["constitutional"] = born
    return case


def _constitutional(row: Mapping[str, Any]) -> dict[str, Any]:
    """Case format v1.1: Down syndrome and germline predisposition, when the row gives them."""
    born: dict[str, Any] = {}
    if _cell(row, "down_syndrome") is not None:
        born["down_syndrome"] = _bool(_cell(row, "down_syndrome"))
    if _cell(row, "germline_predisposition") is not None:
        born["germline_predisposition"] = _list(_cell(row, "germline_predisposition"))
    return born


# Columns that describe only a relapse (a row without one gives its markers to the refractory
# disease; these have no place there).
RELAPSE_ONLY = ("relapse_sites", "relapse_immunophenotype", "bcr_abl1", "relapse_genetics",
                "relapse_cns_status", "reinduction_outcome")


def row_problems(row: Mapping[str, Any]) -> list[FieldError]:
    """What a row gives that its case could not hold: relapse columns without relapse_date
    (refused by name, never dropped in silence)."""
    if _cell(row, "relapse_date") is not None:
        return []
    return [FieldError(f"column {column!r}", "is filled, but relapse_date is empty (no relapse to hold it)",
                       "the date of the first relapse in relapse_date; for primary refractory disease leave "
                       "it empty and give BCR::ABL1 in diagnosis_genetics")
            for column in RELAPSE_ONLY if _cell(row, column) is not None]


def _relapses(row: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The first relapse (later relapses are not part of the flat layout)."""
    date = _cell(row, "relapse_date")
    if date is None:
        return None
    relapse: dict[str, Any] = {"date": date, "sites": _list(_cell(row, "relapse_sites")) or []}
    if _cell(row, "marrow_blasts_percent") is not None:
        relapse["marrow_blasts_percent"] = _number(_cell(row, "marrow_blasts_percent"))
    for key, column in (("immunophenotype", "relapse_immunophenotype"), ("cd19", "cd19"), ("cd22", "cd22"),
                        ("cns_status", "relapse_cns_status"), ("reinduction_outcome", "reinduction_outcome")):
        if _cell(row, column) is not None:
            relapse[key] = _cell(row, column)
    if _cell(row, "bcr_abl1") is not None:
        relapse["bcr_abl1"] = _bool(_cell(row, "bcr_abl1"))
    if _cell(row, "abl1_kinase_mutations") is not None:
        relapse["abl1_kinase_mutations"] = _list(_cell(row, "abl1_kinase_mutations"))
    if _cell(row, "relapse_genetics") is not None:
        relapse["genetics"] = _list(_cell(row, "relapse_genetics"))
    return [relapse]


def _refractory_disease(row: Mapping[str, Any]) -> dict[str, Any]:
    """Case format 1.2: a row without a relapse gives its markers to the disease persisting
    after induction, so that nothing entered in those columns is lost."""
    block: dict[str, Any] = {}
    if _cell(row, "marrow_blasts_percent") is not None:
        block["marrow_blasts_percent"] = _number(_cell(row, "marrow_blasts_percent"))
    for key in ("cd19", "cd22"):
        if _cell(row, key) is not None:
            block[key] = _cell(row, key)
    if _cell(row, "abl1_kinase_mutations") is not None:
        block["abl1_kinase_mutations"] = _list(_cell(row, "abl1_kinase_mutations"))
    return block


def _prior_therapy(row: Mapping[str, Any]) -> dict[str, Any]:
    therapy: dict[str, Any] = {}
    if _cell(row, "prior_allogeneic_hsct_date") is not None:
        therapy["hsct"] = [{"date": _cell(row, "prior_allogeneic_hsct_date"), "type": "allogeneic"}]
    agents = _list(_cell(row, "prior_agents"))
    if agents:
        therapy["agents"] = [dict(zip(("agent", "response"), item.split(":", 1), strict=False))
                             for item in agents]
    doses = [{"agent": agent, "cumulative_mg_per_m2": _number(_cell(row, column))}
             for column, agent in ANTHRACYCLINES.items() if _cell(row, column) is not None]
    if doses:
        therapy["anthracyclines"] = doses
    if _cell(row, "cranial_radiation_gy") is not None:
        therapy["cranial_radiation_gy"] = _number(_cell(row, "cranial_radiation_gy"))
    return therapy


# The long table: later relapses and MRD measurements, one row each, joined by case id.
LONG_REQUIRED = ("id", "record")
LONG_COLUMNS: dict[str, str] = {
    "id": "case identifier, as in the flat table",
    "record": "relapse (a relapse after the first) | mrd (an MRD measurement)",
    "date": "YYYY-MM-DD (relapse: required; mrd: optional)",
    "sites": "relapse: bone_marrow; cns; testis; other",
    "marrow_blasts_percent": "relapse: 0-100",
    "immunophenotype": "relapse: B | T",
    "cd19": "relapse: positive | dim | negative | unknown",
    "cd22": "relapse: positive | dim | negative | unknown",
    "bcr_abl1": "relapse: true | false",
    "abl1_kinase_mutations": "relapse: ';'-separated",
    "genetics": "relapse: ';'-separated",
    "cns_status": "relapse: CNS1 | CNS2 | CNS3",
    "reinduction_outcome": "relapse: CR | treatment_failure",
    "timepoint": "mrd: at_relapse | end_of_reinduction | end_of_consolidation | pre_hsct | other",
    "value": "mrd: the measurement",
    "unit": "mrd: percent | fraction",
    "method": "mrd: flow | pcr | ngs",
    "relapse": "mrd: the relapse it follows (1 = first); default the latest",
}


def check_long_columns(columns: list[str]) -> list[FieldError]:
    errors = [FieldError(f"column {name!r}", "is not a column of the long table",
                         "see docs/cohort.md; allowed: " + ", ".join(LONG_COLUMNS))
              for name in columns if name not in LONG_COLUMNS]
    errors += [FieldError(f"column {name!r}", "is required but missing", "a column of that name")
               for name in LONG_REQUIRED if name not in columns]
    return errors


def add_long_records(case: dict[str, Any], records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The case with its later relapses (in date order, after the first) and its MRD
    measurements from the long table (whose `record` values were checked when it was read)."""
    relapses = list(case.get("relapses") or [])
    later, mrd = [], list(case.get("mrd") or [])
    for record in records:
        kind = _cell(record, "record")
        if kind == "relapse":
            relapse = _relapses({**record, "relapse_date": _cell(record, "date"),
                                 "relapse_sites": _cell(record, "sites"),
                                 "relapse_immunophenotype": _cell(record, "immunophenotype"),
                                 "relapse_cns_status": _cell(record, "cns_status"),
                                 "relapse_genetics": _cell(record, "genetics")})
            later += relapse or [{"date": None, "sites": []}]
        elif kind == "mrd":
            item: dict[str, Any] = {"timepoint": _cell(record, "timepoint"),
                                    "value": _number(_cell(record, "value")), "unit": _cell(record, "unit")}
            for key in ("method", "date"):
                if _cell(record, key) is not None:
                    item[key] = _cell(record, key)
            if _cell(record, "relapse") is not None:
                item["relapse"] = _number(_cell(record, "relapse"))
                if isinstance(item["relapse"], float) and item["relapse"].is_integer():
                    item["relapse"] = int(item["relapse"])
            mrd.append(item)
    later.sort(key=lambda r: str(r.get("date") or ""))
    if later:
        case["relapses"] = relapses + later
    if mrd:
        case["mrd"] = mrd
    return case
