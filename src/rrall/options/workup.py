"""The relapse work-up as case fields: which tests the case does not yet report."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from rrall.case.model import Case, Relapse
from rrall.classify.mrd import mrd_at
from rrall.knowledge.clinical import Finding, WorkupItem
from rrall.knowledge.load import KnowledgeBase
from rrall.vocabulary import MrdTimepoint, values

Present = Callable[[Case], bool | None]  # None: does not apply to this case


def _relapse_field(name: str) -> Present:
    def present(case: Case) -> bool | None:
        if not case.relapses:
            return None
        return getattr(case.relapses[-1], name) not in (None, "unknown")
    return present


def _mrd_at(timepoint: str) -> Present:
    """Whether the case gives an MRD at this time point of the latest relapse."""
    return lambda case: bool(case.relapses) and bool(mrd_at(case, timepoint))


FIELD_PRESENT: dict[str, Present] = {
    **{f"relapses[-1].{name}": _relapse_field(name) for name in (
        "marrow_blasts_percent", "cns_status", "cd19", "cd22", "genetics", "bcr_abl1",
        "abl1_kinase_mutations")},
    **{f"mrd[timepoint={t}]": _mrd_at(t) for t in values(MrdTimepoint)},
    "prior_therapy.anthracyclines": lambda case: bool(case.prior_therapy.anthracyclines),
    "prior_therapy.cranial_radiation_gy": lambda case: case.prior_therapy.cranial_radiation_gy is not None,
    "donor": lambda case: case.donor is not None,
}


def gaps(item: WorkupItem, case: Case) -> list[str]:
    """The fields of a work-up item this case leaves empty."""
    return [field for field in item.fields if FIELD_PRESENT[field](case) is False]


def with_finding(case: Case, finding: Finding) -> Case | None:
    """The case as it would be had the test found `finding` at the latest relapse (None
    without a relapse): what the assessment compares with to say what the finding changes."""
    if not case.relapses:
        return None
    latest = case.relapses[-1]
    update: dict[str, object] = dict(finding.set)
    for field, added in finding.add.items():
        present = list(getattr(latest, field) or [])
        update[field] = present + [v for v in added if v not in present]
    # The finding's values are the knowledge base's, checked against the case model by the
    # lint (lint/clinical.py), so they are written without validating the case again.
    relapse = latest.model_copy(update=update)
    return case.model_copy(update={"relapses": [*case.relapses[:-1], relapse]})


def finding_problems(kb: KnowledgeBase) -> list[str]:
    """What is wrong with the knowledge base's findings (each work-up item's `if_found`, and
    the CNS status counted as CNS disease): a work-up finding must write its item's own field,
    and every finding values the case model accepts. Checked by the lint and before an engine
    uses them, since `with_finding` writes them without validating the case again."""
    problems = []
    for item in kb.workup:
        if item.if_found is None:
            continue
        written = {f"relapses[-1].{field}" for field in (*item.if_found.set, *item.if_found.add)}
        if not written & set(item.fields):
            problems.append(f"workup.yaml: {item.id}: if_found writes none of the item's own fields")
        problems += _value_problems(f"workup.yaml: {item.id}: if_found", item.if_found)
    counted = kb.classification.site.cns.counted
    return problems + _value_problems("classification.yaml: site.cns.counted", counted)


def _value_problems(where: str, found: Finding) -> list[str]:
    """A finding's fields must be relapse fields, and its values ones the case model accepts."""
    unknown = sorted(f for f in (*found.set, *found.add) if f not in Relapse.model_fields)
    problems = [f"{where} {f}: not a relapse field" for f in unknown]
    sample = {"date": "2020-01-01", "sites": ["bone_marrow"], **found.set}
    try:
        Relapse.model_validate(sample | {field: list(v) for field, v in found.add.items()})
    except ValidationError as error:
        problems += [f"{where} {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
    return problems
