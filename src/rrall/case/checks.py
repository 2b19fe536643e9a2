"""Checks that relate one field of a case to another.

They read the raw mapping (as parsed from JSON/YAML) with tolerant accessors, so they run
even when some fields are malformed: a user sees every problem in one pass. A value that
is itself invalid is skipped here; the field check reports it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from rrall.case.model import _iso_date
from rrall.errors import FieldError
from rrall.knowledge.model import CnsAgreement, SiteRule


def _get(raw: Any, *keys: str | int) -> Any:
    node = raw
    for key in keys:
        if isinstance(key, int):
            if not isinstance(node, list) or key >= len(node):
                return None
            node = node[key]
        else:
            if not isinstance(node, Mapping):
                return None
            node = node.get(key)
    return node


def _date(raw: Any, *keys: str | int) -> date | None:
    value = _get(raw, *keys)
    if value is None:
        return None
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:  # the common case, without the general parser's checks
            return date.fromisoformat(value)
        except ValueError:
            return None
    try:
        parsed = _iso_date(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, date) else None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _items(raw: Any, key: str, sub: str | None = None) -> list[Any]:
    node = _get(raw, key) if sub is None else _get(raw, key, sub)
    return node if isinstance(node, list) else []


def check_case(raw: Mapping[str, Any], today: date, site: SiteRule) -> list[FieldError]:
    """Every cross-field problem in one case. `today` stands in for a missing assessment_date;
    `site` is the knowledge base's site rule (the marrow threshold, the CNS agreement)."""
    errors: list[FieldError] = []
    errors += _check_order(raw)
    errors += _check_not_after_assessment(raw, _date(raw, "assessment_date") or today)
    errors += _check_relapses(raw, site.combined_marrow_blasts_percent)
    errors += _check_cns(raw, site.cns)
    errors += _check_refractory_disease(raw)
    errors += _check_performance(raw)
    errors += _check_mrd(raw)
    return errors


def _check_order(raw: Mapping[str, Any]) -> Iterator[FieldError]:
    birth = _date(raw, "date_of_birth")
    diagnosis = _date(raw, "diagnosis", "date")
    if birth and diagnosis and diagnosis < birth:
        yield FieldError("diagnosis.date", f"{diagnosis} is before date_of_birth {birth}",
                         "a date on or after date_of_birth")
    relapses = _items(raw, "relapses")
    previous: tuple[int, date] | None = None
    for i in range(len(relapses)):
        when = _date(relapses, i, "date")
        if when is None:
            continue
        if diagnosis and when <= diagnosis:
            yield FieldError(f"relapses[{i}].date", f"{when} is not after diagnosis.date {diagnosis}",
                             "a date after the initial diagnosis")
        if previous and when <= previous[1]:
            yield FieldError(f"relapses[{i}].date",
                             f"{when} is not after relapses[{previous[0]}].date {previous[1]}",
                             "relapses listed in date order, oldest first")
        previous = (i, when)
    end = _date(raw, "diagnosis", "frontline_end_date")
    first_relapse = _date(relapses, 0, "date")
    if end and diagnosis and end < diagnosis:
        yield FieldError("diagnosis.frontline_end_date", f"{end} is before diagnosis.date {diagnosis}",
                         "a date between diagnosis and the first relapse")
    if end and first_relapse and end > first_relapse:
        yield FieldError(
            "diagnosis.frontline_end_date",
            f"{end} is after the first relapse ({first_relapse})",
            "a date on or before relapses[0].date, or 'not_completed' if the relapse came on therapy",
        )
    if not relapses and _get(raw, "diagnosis", "induction_outcome") in (None, "CR"):
        yield FieldError("relapses", "no relapse is given and induction reached CR: nothing to assess",
                         "at least one relapse, or diagnosis.induction_outcome: induction_failure")
    for i, _ in enumerate(_items(raw, "prior_therapy", "hsct")):
        when = _date(raw, "prior_therapy", "hsct", i, "date")
        if when and diagnosis and when < diagnosis:
            yield FieldError(f"prior_therapy.hsct[{i}].date", f"{when} is before diagnosis.date {diagnosis}",
                             "a date after the initial diagnosis")
    for i, _ in enumerate(_items(raw, "prior_therapy", "agents")):
        when = _date(raw, "prior_therapy", "agents", i, "start_date")
        if when and diagnosis and when < diagnosis:
            yield FieldError(f"prior_therapy.agents[{i}].start_date",
                             f"{when} is before diagnosis.date {diagnosis}",
                             "a date after the initial diagnosis")


def _dated_fields(raw: Mapping[str, Any]) -> Iterator[tuple[str, date | None]]:
    yield "date_of_birth", _date(raw, "date_of_birth")
    yield "diagnosis.date", _date(raw, "diagnosis", "date")
    yield "diagnosis.frontline_end_date", _date(raw, "diagnosis", "frontline_end_date")
    yield "diagnosis.refractory_disease.date", _date(raw, "diagnosis", "refractory_disease", "date")
    for i, _ in enumerate(_items(raw, "relapses")):
        yield f"relapses[{i}].date", _date(raw, "relapses", i, "date")
    for i, _ in enumerate(_items(raw, "mrd")):
        yield f"mrd[{i}].date", _date(raw, "mrd", i, "date")
    for i, _ in enumerate(_items(raw, "prior_therapy", "hsct")):
        yield f"prior_therapy.hsct[{i}].date", _date(raw, "prior_therapy", "hsct", i, "date")
    for i, _ in enumerate(_items(raw, "prior_therapy", "agents")):
        when = _date(raw, "prior_therapy", "agents", i, "start_date")
        yield f"prior_therapy.agents[{i}].start_date", when
    yield "performance.date", _date(raw, "performance", "date")


def _check_not_after_assessment(raw: Mapping[str, Any], as_of: date) -> Iterator[FieldError]:
    source = "assessment_date" if _date(raw, "assessment_date") else "today (no assessment_date given)"
    for path, when in _dated_fields(raw):
        if when and when > as_of:
            yield FieldError(path, f"{when} is after the assessment date {as_of}",
                             f"a date on or before {source}")


def _check_performance(raw: Mapping[str, Any]) -> Iterator[FieldError]:
    scale, score = _get(raw, "performance", "scale"), _get(raw, "performance", "score")
    if not isinstance(score, int) or isinstance(score, bool):
        return
    if scale == "ecog" and not 0 <= score <= 4:
        yield FieldError("performance.score", f"{score} is not an ECOG grade", "0 to 4 on the ECOG scale")
    if scale in ("lansky", "karnofsky") and score % 10:
        yield FieldError("performance.score", f"{score} is not a {scale.capitalize()} score",
                         "0 to 100 in steps of 10")


def _check_relapses(raw: Mapping[str, Any], threshold: Decimal) -> Iterator[FieldError]:
    female = _get(raw, "sex") == "female"
    for i, relapse in enumerate(_items(raw, "relapses")):
        sites = _get(relapse, "sites")
        sites = sites if isinstance(sites, list) else []
        if female and "testis" in sites:
            yield FieldError(f"relapses[{i}].sites", "testis is listed for a female patient",
                             "bone_marrow, cns, other")
        blasts = _number(_get(relapse, "marrow_blasts_percent"))
        if blasts is not None and blasts >= threshold and sites and "bone_marrow" not in sites:
            yield FieldError(
                f"relapses[{i}].marrow_blasts_percent",
                f"{blasts} % marrow blasts (>= {threshold} %) but sites do not include bone_marrow",
                "add bone_marrow to sites (a combined relapse), or correct the blast count",
            )
        bcr_abl1 = _get(relapse, "bcr_abl1")
        genetics = _get(relapse, "genetics")
        if bcr_abl1 is False and isinstance(genetics, list) and "BCR::ABL1" in genetics:
            yield FieldError(f"relapses[{i}].bcr_abl1", "false, but genetics lists BCR::ABL1",
                             "true, or remove BCR::ABL1 from genetics")
        mutations = _get(relapse, "abl1_kinase_mutations")
        if bcr_abl1 is False and isinstance(mutations, list) and mutations:
            yield FieldError(f"relapses[{i}].abl1_kinase_mutations",
                             "ABL1 kinase-domain mutations given for a BCR::ABL1-negative relapse",
                             "bcr_abl1: true, or no mutations")


def _check_cns(raw: Mapping[str, Any], rule: CnsAgreement) -> Iterator[FieldError]:
    """The lumbar puncture at relapse and the listed sites must tell the same story."""
    for i, relapse in enumerate(_items(raw, "relapses")):
        sites, status = _get(relapse, "sites"), _get(relapse, "cns_status")
        if not isinstance(sites, list) or not sites:
            continue
        if status in rule.site_required and "cns" not in sites:
            yield FieldError(f"relapses[{i}].cns_status",
                             f"{status} (CNS disease) but sites do not include cns",
                             "cns among the sites, or another CNS status")
        if status in rule.site_excluded and "cns" in sites:
            others = ", ".join(rule.site_excluded)
            yield FieldError(f"relapses[{i}].cns_status",
                             f"{status} (no CNS disease) but sites include cns",
                             f"a CNS status other than {others} ({rule.site_excluded_note}), "
                             "or no cns among the sites")


def _check_refractory_disease(raw: Mapping[str, Any]) -> Iterator[FieldError]:
    """The disease persisting after induction exists only where induction failed."""
    block = _get(raw, "diagnosis", "refractory_disease")
    if not isinstance(block, Mapping):
        return
    path = "diagnosis.refractory_disease"
    if _get(raw, "diagnosis", "induction_outcome") != "induction_failure":
        yield FieldError(path, "given, but diagnosis.induction_outcome is not induction_failure",
                         "omit it, or diagnosis.induction_outcome: induction_failure")
    when, diagnosis = _date(block, "date"), _date(raw, "diagnosis", "date")
    if when and diagnosis and when < diagnosis:
        yield FieldError(f"{path}.date", f"{when} is before diagnosis.date {diagnosis}",
                         "a date after the initial diagnosis, before any relapse")
    first_relapse = _date(raw, "relapses", 0, "date")
    if when and first_relapse and when >= first_relapse:
        yield FieldError(f"{path}.date", f"{when} is not before the first relapse ({first_relapse})",
                         "a date before relapses[0].date")
    genetics, mutations = _get(raw, "diagnosis", "genetics"), _get(block, "abl1_kinase_mutations")
    if isinstance(genetics, list) and "BCR::ABL1" not in genetics and isinstance(mutations, list) \
            and mutations:
        yield FieldError(f"{path}.abl1_kinase_mutations",
                         "ABL1 kinase-domain mutations given, but diagnosis.genetics does not list BCR::ABL1",
                         "add BCR::ABL1 to diagnosis.genetics, or no mutations")


def _check_mrd(raw: Mapping[str, Any]) -> Iterator[FieldError]:
    relapses = _items(raw, "relapses")
    for i, entry in enumerate(_items(raw, "mrd")):
        value = _number(_get(entry, "value"))
        unit = _get(entry, "unit")
        if value is not None and unit == "percent" and value > 100:
            yield FieldError(f"mrd[{i}].value", f"{value} % is over 100 %", "0 to 100 when unit is percent")
        if value is not None and unit == "fraction" and value > 1:
            yield FieldError(f"mrd[{i}].value", f"{value} is over 1 as a fraction",
                             "0 to 1 when unit is fraction (or give unit: percent)")
        index = _get(entry, "relapse")
        if isinstance(index, int) and not isinstance(index, bool) and index >= 1:
            if index > len(relapses):
                yield FieldError(f"mrd[{i}].relapse", f"relapse {index} is not in relapses",
                                 f"1 to {len(relapses)}" if relapses else "omit it: the case has no relapse")
                continue
        elif relapses:
            index = len(relapses)
        else:
            continue
        measured = _date(entry, "date")
        relapse_date = _date(relapses, index - 1, "date")
        if measured and relapse_date and measured < relapse_date:
            at_relapse = _get(entry, "timepoint") == "at_relapse"  # the sample that showed the relapse
            yield FieldError(
                f"mrd[{i}].date", f"{measured} is before relapse {index} ({relapse_date})",
                "the relapse's date or later" if at_relapse else "a date on or after the relapse it follows",
            )
