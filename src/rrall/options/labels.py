"""Each regulatory label of an option, for one case: within it, outside it, or not yet known
(with the case fields that would tell). Labels are data (knowledge/labels.yaml) with their
region, date and source; they never change an option's status."""

from __future__ import annotations

from rrall.knowledge.clinical import Label
from rrall.logic.resolve import resolve
from rrall.logic.world import World
from rrall.results import LabelStatus

Verdict = tuple[Label, bool | None, tuple[str, ...]]


def decide_labels(labels: tuple[Label, ...], world: World) -> tuple[Verdict, ...]:
    out: list[Verdict] = []
    for label in labels:
        covered = resolve(world, label.covers.test.test)
        if covered.settled:
            out.append((label, bool(covered.outcome), ()))
        else:
            out.append((label, None, tuple(dict.fromkeys(q.field for q in covered.questions()))))
    return tuple(out)


def label_statuses(verdicts: tuple[Verdict, ...], regions: dict[str, str]) -> tuple[LabelStatus, ...]:
    return tuple(
        LabelStatus(
            region=label.region,
            region_name=regions.get(label.region, label.region),
            status="insufficient_data" if covered is None else ("on_label" if covered else "off_label"),
            indication=label.indication,
            date=label.date,
            missing=fields,
            citations=tuple(label.citations),
        )
        for label, covered, fields in verdicts
    )


def regions_differ(statuses: tuple[LabelStatus, ...]) -> bool:
    return len({s.status for s in statuses}) > 1


def lead_first(statuses: tuple[LabelStatus, ...], region: str) -> tuple[LabelStatus, ...]:
    """The chosen region's label first (RRALL_REGION or --region), then the others."""
    return tuple(sorted(statuses, key=lambda s: s.region != region))
