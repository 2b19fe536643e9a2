"""What a reading the case does not record would change, said beside the missing data.

Three kinds: a fact read as its assumed value while its field is empty (knowledge/facts.yaml
`assumed`: a relapse without a recorded reinduction outcome is not yet refractory); a
work-up test not yet recorded whose finding would change the relapse itself (workup.yaml
`if_found`: a lumbar puncture showing CNS disease makes an isolated marrow relapse a
combined one); and a recorded result whose meaning at relapse is not established
(classification.yaml site `cns.counted`: CNS2 alone, said in its warning). Each way the
other reading is decided by the same engine, never by a second copy of the rules, only
what would really change is said, and every line reads "now X; if <reading>: Y".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from rrall.case.model import Case
from rrall.engine.conclusion import Case_, Conclusion
from rrall.engine.summary import Gathered
from rrall.knowledge.clinical import Finding, Therapy, WorkupItem
from rrall.logic.world import World
from rrall.options.workup import with_finding
from rrall.results import FrameworkResult, Missing, MissingData, OptionResult, Warning

if TYPE_CHECKING:
    from rrall.engine import Engine


def assumed_changes(
    engine: Engine, one: Case_, fact: str, options: tuple[OptionResult, ...]
) -> list[MissingData]:
    """Which options would change if the assumed fact took its other value."""
    other = not one.facts[fact]
    worlds: list[World] = []  # made only if some status must be worked out afresh

    def decided(decide_part: Callable[[World], Any]) -> Any:
        if not worlds:
            worlds.append(engine.ev.world({**one.facts, fact: other}))
        return decide_part(worlds[0])

    bands = engine.rows.flipped(engine.memo, one.bands, fact, other)
    now = {o.id: o.status for o in options}
    changed: list[tuple[Therapy, str]] = []
    for c, therapy in engine.reading[fact]:
        after = _status_in(engine, c, bands, decided)
        if after != now[therapy.id]:
            changed.append((therapy, after))
    if not changed:
        return []
    words = engine.ev.words
    field = engine.kb.facts.facts[fact].field
    said = tuple(f"{t.name}: now {_status(engine, now[t.id])}; if {words.value(fact, other)}: "
                 f"{_status(engine, after)}" for t, after in changed)
    return [MissingData(field=field, affects=tuple(f"option:{t.id}" for t, _ in changed), decides=said,
                        test=words.glossary.test(field))]


def finding_changes(
    engine: Engine,
    case: Case,
    one: Case_,
    item: WorkupItem,
    risk: tuple[FrameworkResult, ...],
    options: tuple[OptionResult, ...],
) -> MissingData | None:
    """What the work-up item's finding (`if_found`) would change in each framework's group
    and HSCT rule and in each option's status; None where it changes nothing."""
    assert item.if_found is not None
    affects, said = changes(engine, case, one, item.if_found, risk, options)
    if not said:
        return None
    # Why the test matters comes first: it names what no status shows (intrathecal intensity).
    return MissingData(field=item.fields[0], affects=affects, decides=(item.why, *said), test=item.name)


def counted_changes(engine: Engine, case: Case, found: Gathered) -> tuple[Warning, ...]:
    """A CNS status whose meaning at relapse is not established (CNS2 alone, no CNS site
    listed; classification.yaml site.cns): its warning also says what counting it as CNS
    disease would change, so that the team's choice is an informed one."""
    rule = engine.kb.classification.site.cns
    out = []
    for w in found.classified.warnings:
        if w.code == "cns_status_not_established":
            _, said = changes(engine, case, found.one, rule.counted, found.risk, found.options)
            if said:
                w = w.model_copy(update={"message": f"{w.message} What counting it would change: "
                                                    f"{'. '.join(said)}."})
        out.append(w)
    return tuple(out)


def changes(
    engine: Engine,
    case: Case,
    one: Case_,
    finding: Finding,
    risk: tuple[FrameworkResult, ...],
    options: tuple[OptionResult, ...],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the case would give with `finding` written into its latest relapse: the
    frameworks and options that change (by id) and each change in words."""
    found = with_finding(case, finding)
    if found is None:
        return (), ()
    # A finding writes only the latest relapse; the anthracycline doses come from the prior
    # therapy alone (classify/anthracycline.py), so the case's own are kept.
    facts = engine.ev.classifier.facts(found, one.doses)
    bands = engine.rows.changed(engine.memo, one.bands, one.facts, facts)
    other = Case_(facts, engine.ev.world(facts), bands, [], one.doses, one.dose_id)  # compared, never worded
    label = finding.label
    affects: list[str] = []
    said: list[str] = []
    # A conclusion whose facts fall in the same bands both ways has the same decision (the
    # engine's own sharing rests on that), so only the others are looked up.
    for c, now in zip(engine.frameworks, risk, strict=True):
        if c.pick(one.bands) == c.pick(other.bands):
            continue
        then = engine.framed(c, other)
        if _framework_words(engine, then) != _framework_words(engine, now):
            affects.append(now.framework)
            short = engine.kb.frameworks[now.framework].short_name
            needs = _needs(engine, then.missing) if then.status == "insufficient_data" else ""
            said.append(f"{short}: now {_framework_words(engine, now)}; if {label}: "
                        f"{_framework_words(engine, then)}{needs}")
    now_status = {o.id: o for o in options}
    for c in engine.options:
        pick = c.parts[0][0]
        if pick(one.bands) == pick(other.bands):
            continue
        after = _status_in(engine, c, other.bands, lambda decide: decide(other.world))
        before = now_status[c.id]
        if after != before.status:
            affects.append(f"option:{c.id}")
            # Where the other reading is open, name what it would still need (the whole
            # result is looked up only then).
            needs = _needs(engine, engine.framed(c, other).missing) if after == "insufficient_data" else ""
            said.append(f"{before.name}: now {_status(engine, before.status)}; if {label}: "
                        f"{_status(engine, after)}{needs}")
    return tuple(affects), tuple(said)


def _status_in(
    engine: Engine, c: Conclusion, bands: list[int], decided: Callable[[Callable[[World], Any]], Any]
) -> str:
    """An option's status alone for a band row (its first part, kept under the bands of the
    facts the status reads), `decided` working it out where it is not kept."""
    pick, decide_part = c.parts[0]
    memo = engine.memo
    found = memo.get(memo.table(("part", c.index, 0)), pick(bands), partial(decided, decide_part))
    statuses = found.map(itemgetter(0))
    return str(statuses.outcome) if statuses.settled else "insufficient_data"


def _framework_words(engine: Engine, r: FrameworkResult) -> str:
    """A framework's group and HSCT rule in words: 'S3 (transplant indicated in second remission)'."""
    glossary = engine.ev.words.glossary
    head = r.group or glossary.value("framework_status", r.status).lower()
    return f"{head} ({glossary.value('hsct_in_cr2', r.hsct_in_cr2)})" if r.hsct_in_cr2 else head


def _needs(engine: Engine, missing: tuple[Missing, ...]) -> str:
    """What an open answer of the other reading would still need, by the fields' labels."""
    labels = dict.fromkeys(_in_sentence(engine.ev.words.glossary.field(m.field)) for m in missing)
    return f" (would also need: {'; '.join(labels)})" if labels else ""


def _in_sentence(label: str) -> str:
    """A label inside a sentence: 'Marrow blasts' -> 'marrow blasts'; 'MRD ...' stays."""
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def _status(engine: Engine, status: str) -> str:
    return engine.ev.words.glossary.value("option_status", status).lower()
