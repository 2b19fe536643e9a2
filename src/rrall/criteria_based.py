"""Everything decided by the criteria vocabulary, for one case: treatment options,
prognosis figures, the applicable work-up and the trial matches, with their citations.

The knowledge base's and the trial registry's criteria blocks are indexed once
(rules/index.py); a case evaluates each distinct requirement once, and cases whose
criterion results are the same share the whole answer (options/memo.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rrall.knowledge.clinical import PrognosisEstimate, WorkupItem
from rrall.knowledge.load import KnowledgeBase
from rrall.options.evaluate import Pick, Plan, evaluate_option, sort_options
from rrall.options.memo import remember, shared, table
from rrall.options.model import CumulativeAnthracycline, OptionResult
from rrall.prognosis.match import PrognosisResult, match_prognosis
from rrall.rules.check import CriterionResult, overall
from rrall.rules.criteria import Criteria
from rrall.rules.index import CriteriaIndex
from rrall.rules.profile import Profile
from rrall.trials.match import TrialMatch, match_trials
from rrall.trials.model import Trial
from rrall.trials.registry import Registry, default_registry

Shared = tuple[list[OptionResult], list[PrognosisResult], tuple[WorkupItem, ...], list[TrialMatch],
               dict[str, None]]
Results = tuple[CriterionResult, ...]


def criteria_based(kb: KnowledgeBase, registry: Registry, profile: Profile,
                   doses: CumulativeAnthracycline) -> tuple[Shared, Results]:
    """The shared answer, and the criterion results it was decided on."""
    plans = plans_for(kb, registry)
    results = plans.index.evaluate(profile)
    return _decided(kb, registry, plans, results, doses), results


def _decided(kb: KnowledgeBase, registry: Registry, plans: Plans, results: Results,
             doses: CumulativeAnthracycline) -> Shared:
    """Each part is shared between cases whose criterion results for that part are the same
    (keyed on the identities of the results it reads, options/memo.py); a part that misses
    is assembled from per-option, per-figure and per-trial memos."""
    dose_key = (doses.table, doses.status, tuple((c.rule, c.uncertain) for c in doses.cautions))
    memo = table(kb.memo, "case")
    key, options = shared(memo, ("case", "options", *dose_key), plans.options_read(results))
    if options is None:
        each = table(kb.memo, "option")
        options = sort_options([evaluate_option(plan, results, doses, each) for plan in plans.options])
        remember(memo, key, (plans.options_read(results), options))
    key, prognosis = shared(memo, ("case", "prognosis"), plans.prognosis_read(results))
    if prognosis is None:
        prognosis = match_prognosis(plans.prognosis, results, table(kb.memo, "prognosis"))
        remember(memo, key, (plans.prognosis_read(results), prognosis))
    key, trials = shared(memo, ("case", "trials", id(registry)), plans.trials_read(results))
    if trials is None:
        trials = match_trials(plans.trials, results, table(kb.memo, "trial"))
        remember(memo, key, ((plans.trials_read(results), registry), trials))
    workup = tuple(item for item, pick in plans.workup if overall(pick(results)) != "not_met")
    cited = _citations(memo, options, prognosis, doses)
    return options, prognosis, workup, trials, cited


def _citations(memo: dict[Any, Any], options: list[OptionResult], prognosis: list[PrognosisResult],
               doses: CumulativeAnthracycline) -> dict[str, None]:
    key = ("case", "citations", id(options), id(prognosis), id(doses))
    hit = memo.get(key)
    if hit is not None and hit[0][0] is options and hit[0][1] is prognosis and hit[0][2] is doses:
        return hit[1]  # type: ignore[no-any-return]
    cited = dict.fromkeys(c for o in options for c in o.citations)
    cited.update(dict.fromkeys(doses.citations))
    cited.update(dict.fromkeys(c for k in doses.cautions for c in k.citations))
    cited.update(dict.fromkeys(p.citation for p in prognosis))
    remember(memo, key, ((options, prognosis, doses), cited))
    return cited


def trial_matches(kb: KnowledgeBase, registry: Registry, profile: Profile,
                  include_closed: bool) -> list[TrialMatch]:
    """The trial block on its own, optionally with closed trials (`rrall trials match`)."""
    plans = plans_for(kb, registry)
    return match_trials(plans.trials, plans.index.evaluate(profile), table(kb.memo, "trial"), include_closed)


@dataclass(frozen=True)
class Plans:
    index: CriteriaIndex
    options: list[Plan]
    prognosis: list[tuple[PrognosisEstimate, Pick]]
    workup: list[tuple[WorkupItem, Pick]]
    trials: list[tuple[Trial, Pick]]
    options_read: Pick  # every result some option reads, as one tuple
    prognosis_read: Pick
    trials_read: Pick


_PLANS: dict[tuple[int, int], tuple[KnowledgeBase, Registry, Plans]] = {}
_REGISTRIES: dict[int, tuple[KnowledgeBase, Registry]] = {}


def registry_for(kb: KnowledgeBase) -> Registry:
    """The default registry of a knowledge base, read once per process."""
    hit = _REGISTRIES.get(id(kb))
    if hit is None or hit[0] is not kb:
        hit = _REGISTRIES[id(kb)] = (kb, default_registry(kb.root))
    return hit[1]


def plans_for(kb: KnowledgeBase, registry: Registry) -> Plans:
    """Built once per knowledge base and registry (the entry keeps both alive, so their ids
    stay theirs)."""
    hit = _PLANS.get((id(kb), id(registry)))
    if hit is None or hit[0] is not kb or hit[1] is not registry:
        blocks = criteria_blocks(kb) + [t.eligibility for t in registry.trials]
        index = CriteriaIndex(blocks)
        option_blocks = [b for t in kb.therapies.values()
                         for b in (t.requires, *(r.when for r in t.rules), *(c.when for c in t.cautions))]
        plans = Plans(
            index=index,
            options=[Plan.build(t, kb.evidence_for(t.id), index) for t in kb.therapies.values()],
            prognosis=[(p, index.getter([p.population])) for p in kb.prognosis],
            workup=[(w, index.getter([w.when])) for w in kb.workup],
            trials=[(t, index.getter([t.eligibility])) for t in registry.trials],
            options_read=index.getter(option_blocks, distinct=True),
            prognosis_read=index.getter([p.population for p in kb.prognosis], distinct=True),
            trials_read=index.getter([t.eligibility for t in registry.trials if t.open], distinct=True),
        )
        hit = _PLANS[(id(kb), id(registry))] = (kb, registry, plans)
    return hit[2]


def criteria_blocks(kb: KnowledgeBase) -> list[Criteria]:
    blocks: list[Criteria] = []
    for t in kb.therapies.values():
        blocks += [t.requires, *(r.when for r in t.rules), *(c.when for c in t.cautions)]
    blocks += [p.population for p in kb.prognosis]
    blocks += [w.when for w in kb.workup]
    return blocks
