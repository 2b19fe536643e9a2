"""Evaluate a Criteria block against a Profile, requirement by requirement, three-valued."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rrall.rules.criteria import Criteria, Verdict
from rrall.rules.profile import FIELDS, Profile


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: str
    result: Verdict
    detail: str
    field: str | None = None  # the case field that would settle an unknown result


# Each result depends only on the requirement and these profile facts, so results are
# shared between cases: most cases then cost a dictionary lookup per requirement. Equal
# results are one object (interned), so later memos can key on identity (options/memo.py).
_MEMO: dict[tuple[Any, ...], CriterionResult] = {}
_INTERNED: dict[CriterionResult, CriterionResult] = {}
_MEMO_MAX = 300_000


def check(criteria: Criteria, profile: Profile) -> list[CriterionResult]:
    return [check_one(name, value, frozen, profile) for name, value, frozen in criteria.frozen]


def check_one(name: str, value: Any, frozen: Any, profile: Profile) -> CriterionResult:
    key = (name, frozen, *[getattr(profile, d) for d in DEPS[name]])
    hit = _MEMO.get(key)
    if hit is None:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
            _INTERNED.clear()
        made = _CHECKS[name](name, value, profile)
        hit = _MEMO[key] = _INTERNED.setdefault(made, made)
    return hit


def overall(results: Iterable[CriterionResult]) -> Verdict:
    """All met -> met; any not met -> not met; otherwise unknown (Kleene conjunction)."""
    unknown = False
    for r in results:
        if r.result == "not_met":
            return "not_met"
        unknown = unknown or r.result == "unknown"
    return "unknown" if unknown else "met"


def _words(values: Iterable[Any]) -> str:
    return ", ".join(str(v).replace("_", " ") for v in values)


def _result(name: str, ok: bool | None, case: str, needs: str, field: str | None = None) -> CriterionResult:
    verdict: Verdict = "unknown" if ok is None else "met" if ok else "not_met"
    detail = f"{name.replace('_', ' ')}: case {case}; requires {needs}"
    return CriterionResult(criterion=name, result=verdict, detail=detail,
                           field=field if verdict == "unknown" else None)


def _one_of(attr: str, field: str | None = None) -> Callable[[str, Any, Profile], CriterionResult]:
    def run(name: str, allowed: list[str], p: Profile) -> CriterionResult:
        value = getattr(p, attr)
        ok = None if value is None else value in allowed
        return _result(name, ok, "not recorded" if value is None else _words([value]),
                       f"one of {_words(allowed)}", field)
    return run


def _flag(attr: str, field: str | None = None) -> Callable[[str, Any, Profile], CriterionResult]:
    def run(name: str, wanted: bool, p: Profile) -> CriterionResult:
        value = getattr(p, attr)
        ok = None if value is None else value == wanted
        shown = "not recorded" if value is None else "yes" if value else "no"
        return _result(name, ok, shown, "yes" if wanted else "no", field)
    return run


def _relapse_number(name: str, bound: int, p: Profile) -> CriterionResult:
    ok = p.relapse_number >= bound if name.startswith("min") else p.relapse_number <= bound
    return _result(name, ok, str(p.relapse_number), f"{'at least' if name.startswith('min') else 'at most'} "
                   f"{bound}")


def _timing(attr: str) -> Callable[[str, Any, Profile], CriterionResult]:
    def run(name: str, allowed: list[str], p: Profile) -> CriterionResult:
        if p.disease_state != "first_relapse":
            return _result(name, False, p.disease_state.replace("_", " "),
                           f"a first relapse timed {_words(allowed)}")
        return _one_of(attr, FIELDS["timing"])(name, allowed, p)
    return run


# Numeric criteria describe the case by the side of the bound it is on, not its exact value
# (shown in the classification): so a result depends only on which interval the value
# falls in, and results can be shared between cases (see options/memo.py).
def _months(name: str, bound: int, p: Profile) -> CriterionResult:
    value = p.months_from_diagnosis
    low = name.startswith("min")
    ok = False if value is None else (value >= bound if low else value < bound)  # None: no relapse
    side = ">=" if value is not None and value >= bound else "<"
    return _result(name, ok, "no relapse" if value is None else f"{side} {bound} months",
                   f"{'>=' if low else '<'} {bound} months")


# MRD-positive remission as trials use it: MRD at or above 0.01 % (10^-4), the COG
# threshold below which MRD counts as negative [AALL1331-B1].
MRD_POSITIVE = Decimal("0.0001")


def _admitted(name: str, states: list[str], p: Profile) -> CriterionResult:
    """Met when the case is in any of the states a trial admits; unknown only when an MRD
    value would decide it."""
    found: list[str] = []
    undecided = False
    for state in states:
        if state == "mrd_positive":
            if p.mrd_end_of_reinduction is None:
                undecided = True
            elif p.mrd_end_of_reinduction >= MRD_POSITIVE:
                found.append(state)
            continue
        holds = {"first_relapse": p.disease_state == "first_relapse",
                 "second_or_later_relapse": p.relapse_number >= 2,
                 "refractory": p.refractory,
                 "primary_refractory": p.disease_state == "primary_refractory",
                 "post_hsct_relapse": p.post_hsct}[state]
        if holds:
            found.append(state)
    ok = True if found else None if undecided else False
    shown = _words(found) if found else p.disease_state.replace("_", " ") + (
        "" if p.refractory is False else ", refractory")
    return _result(name, ok, shown, f"any of {_words(states)}", FIELDS["mrd"])


def _risk(name: str, groups: Any, p: Profile) -> CriterionResult:
    listed: dict[str, list[str]] = groups.listed()
    seen: list[str] = []
    unknown_fields: list[str] = []
    ok: bool | None = False
    for framework, allowed in listed.items():
        result = p.risk.get(framework)
        if result is None or result.status == "not_applicable":
            seen.append(f"{framework} not applicable")
            continue
        if result.status == "insufficient_data":
            seen.append(f"{framework} undecided")
            unknown_fields.extend(m.field for m in result.missing)
            ok = None if ok is False else ok
            continue
        seen.append(f"{framework} {result.group}")
        if result.group in allowed:
            ok = True
    needs = " or ".join(f"{fw} {'/'.join(g)}" for fw, g in listed.items())
    field = ", ".join(dict.fromkeys(unknown_fields)) or None
    return _result(name, ok, "; ".join(seen), needs, field)


def _hsct(name: str, allowed: list[str], p: Profile) -> CriterionResult:
    possible, shown, field = hsct_consensus(p)
    ok = True if possible <= set(allowed) else False if not possible & set(allowed) else None
    return _result(name, ok, shown, f"one of {_words(allowed)}", field)


def hsct_consensus(p: Profile) -> tuple[set[str], str, str | None]:
    """What the applicable frameworks could say about HSCT in CR2 together (one value when
    every framework has decided), in words, and the field that would settle it."""
    said: list[str] = []
    decided: set[str] = set()
    undecided = 0
    fields: list[str] = []
    for name, r in p.risk.items():
        if r.status == "not_applicable":
            continue
        if r.status == "insufficient_data" or r.hsct_in_cr2 == "depends_on_mrd":
            said.append(f"{name}: {'undecided' if r.status != 'assigned' else 'depends on MRD'}")
            fields.extend(m.field for m in r.missing)
            undecided += 1
            continue
        said.append(f"{name} ({r.group}): {(r.hsct_in_cr2 or '').replace('_', ' ')}")
        if r.hsct_in_cr2 in ("indicated", "not_indicated"):
            decided.add(r.hsct_in_cr2)
    shown = "; ".join(said) or "no first-relapse framework applies"
    # An undecided framework may still say either; when every way it could go gives the
    # same consensus, the consensus is known.
    extra: list[set[str]] = [set()]
    if undecided:
        extra = [{"indicated"}, {"not_indicated"}]
        if undecided > 1:
            extra.append({"indicated", "not_indicated"})
    possible = {_consensus(decided | more) for more in extra}
    field = (", ".join(dict.fromkeys(fields)) or FIELDS["mrd"]) if undecided else None
    return possible, shown, field


def _consensus(verdicts: set[str]) -> str:
    if not verdicts:
        return "not_applicable"
    return next(iter(verdicts)) if len(verdicts) == 1 else "disagree"


def _age(attr: str, at: str) -> Callable[[str, Any, Profile], CriterionResult]:
    def run(name: str, bound: Decimal, p: Profile) -> CriterionResult:
        months = getattr(p, attr)
        if name.startswith("max"):
            # Inclusive as registries write it: "21 Years" admits a child until age 22,
            # "6 Months" (0.5) until 7 months.
            limit = (bound + 1) * 12 if bound == bound.to_integral_value() else bound * 12 + 1
            ok = months < limit
            shown = f"{'within' if ok else 'above'} {bound} years {at}"
            return _result(name, ok, shown, f"<= {bound} years (inclusive)")
        ok = months >= bound * 12
        shown = f"{'>=' if ok else '<'} {bound} years {at}"
        if name.startswith("min"):
            return _result(name, ok, shown, f">= {bound} years")
        return _result(name, not ok, shown, f"< {bound} years")
    return run


def _expression(attr: str) -> Callable[[str, Any, Profile], CriterionResult]:
    def run(name: str, allowed: list[str], p: Profile) -> CriterionResult:
        if p.immunophenotype == "T":
            return _result(name, False, "T-lineage", f"{attr.upper()}-expressing B-lineage disease")
        value = getattr(p, attr)
        ok = None if value is None else value in allowed
        return _result(name, ok, "not recorded" if value is None else value, f"{attr.upper()} "
                       f"{' or '.join(allowed)}", FIELDS[attr])
    return run


def _mutations(name: str, listed: list[str], p: Profile) -> CriterionResult:
    found = p.kinase_mutations
    hit = None if found is None else bool(found & set(listed))
    ok = hit if (hit is None or name.endswith("any")) else not hit
    shown = "not tested" if found is None else _words(sorted(found)) or "none found"
    needs = f"{'any' if name.endswith('any') else 'none'} of {', '.join(listed)}"
    return _result(name, ok, shown, needs, FIELDS["kinase_mutations"])


def _genetics(name: str, listed: list[str], p: Profile) -> CriterionResult:
    present = [g for g in listed if g in p.genetics_present]
    if present:
        ok: bool | None = name.endswith("any")
    elif all(p.lesion_known_absent(g) for g in listed):
        ok = not name.endswith("any")
    else:
        ok = None
    shown = _words(present) if present else _words(sorted(p.genetics_present)) or "none recorded"
    needs = f"{'any' if name.endswith('any') else 'none'} of {', '.join(listed)}"
    return _result(name, ok, shown, needs, FIELDS["genetics"])


def _prior(name: str, agents: list[str], p: Profile) -> CriterionResult:
    received = [a for a in agents if a in p.prior_agents]
    ok = bool(received) if name == "prior_any" else not received
    shown = _words(received) if received else f"none of {_words(agents)} recorded"
    needs = f"{'prior' if name == 'prior_any' else 'no prior'} {' or '.join(agents)}"
    return _result(name, ok, shown, needs)


def _prior_response(name: str, spec: Any, p: Profile) -> CriterionResult:
    responses = p.prior_agents.get(spec.agent)
    needs = f"{spec.agent} with response {' or '.join(spec.responses)}"
    if responses is None:
        return _result(name, False, f"no {spec.agent} recorded", needs)
    if any(r in spec.responses for r in responses):
        return _result(name, True, _words(r for r in responses if r), needs)
    if None in responses:
        return _result(name, None, "response not recorded", needs, FIELDS["prior_response"])
    return _result(name, False, _words(r for r in responses if r), needs)


def _dox(name: str, bound: Decimal, p: Profile) -> CriterionResult:
    dose = p.doxorubicin_equivalent
    if dose is None:
        return _result(name, None, "not recorded", f"{'>=' if name.startswith('min') else '<'} {bound} mg/m²",
                       FIELDS["anthracyclines"])
    low, high = dose
    shown = (">=" if low >= bound else "<" if high < bound else "either side of") + \
        f" {bound} mg/m² doxorubicin-equivalent"
    if name.startswith("min"):
        ok = True if low >= bound else False if high < bound else None
        return _result(name, ok, shown, f">= {bound} mg/m²", "anthracycline conversion factor")
    ok = True if high < bound else False if low >= bound else None
    return _result(name, ok, shown, f"< {bound} mg/m²", "anthracycline conversion factor")


def _mrd(name: str, bound: Decimal, p: Profile) -> CriterionResult:
    value = p.mrd_end_of_reinduction
    below = name.endswith("below")
    ok = None if value is None else (value < bound if below else value >= bound)
    percent = f"{(bound * 100).normalize():f} %"
    shown = "not recorded" if value is None else f"{'<' if value < bound else '>='} {percent}"
    return _result(name, ok, shown, f"{'<' if below else '>='} {percent}", FIELDS["mrd"])


def _performance(name: str, bound: int, p: Profile) -> CriterionResult:
    value = p.performance
    shown = "not recorded" if value is None else f"{'>=' if value >= bound else '<'} {bound}"
    ok = None if value is None else value >= bound
    return _result(name, ok, shown, f">= {bound}", FIELDS["performance"])


_CHECKS: dict[str, Callable[[str, Any, Profile], CriterionResult]] = {
    "sex": lambda n, v, p: _result(n, p.sex == v, p.sex, v),
    "immunophenotype": _one_of("immunophenotype"),
    "disease_states": _one_of("disease_state"),
    "disease_any": _admitted,
    "min_relapse_number": _relapse_number,
    "max_relapse_number": _relapse_number,
    "refractory": _flag("refractory"),
    "post_hsct": _flag("post_hsct"),
    "sites": lambda n, v, p: (_result(n, False, "no relapse", f"one of {_words(v)}") if p.relapse_number == 0
                              else _one_of("site", FIELDS["site"])(n, v, p)),
    "involves_any": lambda n, v, p: _result(
        n, bool(p.involved & set(v)), _words(sorted(p.involved)) or "no relapse site",
        f"any of {_words(v)}"),
    "timing_bfm": _timing("timing_bfm"),
    "timing_cog": _timing("timing_cog"),
    "min_months_from_diagnosis": _months,
    "months_from_diagnosis_below": _months,
    "risk_groups": _risk,
    "hsct_consensus": _hsct,
    "min_age_years": _age("age_months", "at assessment"),
    "max_age_years": _age("age_months", "at assessment"),
    "max_age_months": lambda n, v, p: _result(
        n, p.age_months < v + 1, f"{'within' if p.age_months < v + 1 else 'above'} {v} months at assessment",
        f"<= {v} months (inclusive)"),
    "min_age_at_diagnosis_years": _age("age_at_diagnosis_months", "at diagnosis"),
    "age_at_diagnosis_below_years": _age("age_at_diagnosis_months", "at diagnosis"),
    "cd19_required": lambda n, v, p: _expression("cd19")(n, v, p),
    "cd22_required": lambda n, v, p: _expression("cd22")(n, v, p),
    "bcr_abl1": _flag("bcr_abl1", FIELDS["bcr_abl1"]),
    "kinase_mutations_any": _mutations,
    "kinase_mutations_none": _mutations,
    "genetics_any": _genetics,
    "genetics_none": _genetics,
    "prior_any": _prior,
    "excludes_prior": _prior,
    "prior_response": _prior_response,
    "prior_allogeneic_hsct": _flag("prior_allogeneic_hsct"),
    "prior_cranial_radiation": _flag("prior_cranial_radiation", "prior_therapy.cranial_radiation_gy"),
    "abl1_kinase_mutation_found": lambda n, v, p: _flag("kinase_found", FIELDS["kinase_mutations"])(n, v, p),
    "min_doxorubicin_equivalent_mg_per_m2": _dox,
    "max_doxorubicin_equivalent_mg_per_m2": _dox,
    "mrd_end_of_reinduction_below": _mrd,
    "mrd_end_of_reinduction_at_least": _mrd,
    "active_cns": _flag("active_cns", FIELDS["active_cns"]),
    "min_performance": _performance,
}


# The profile facts each check reads (and so the key of its shared results).
DEPS: dict[str, tuple[str, ...]] = {
    "sex": ("sex",),
    "immunophenotype": ("immunophenotype",),
    "disease_states": ("disease_state",),
    "disease_any": ("disease_state", "relapse_number", "refractory", "post_hsct", "mrd_end_of_reinduction"),
    "min_relapse_number": ("relapse_number",),
    "max_relapse_number": ("relapse_number",),
    "refractory": ("refractory",),
    "post_hsct": ("post_hsct",),
    "sites": ("relapse_number", "site"),
    "involves_any": ("involved",),
    "timing_bfm": ("disease_state", "timing_bfm"),
    "timing_cog": ("disease_state", "timing_cog"),
    "min_months_from_diagnosis": ("months_from_diagnosis",),
    "months_from_diagnosis_below": ("months_from_diagnosis",),
    "risk_groups": ("risk_key",),
    "hsct_consensus": ("risk_key",),
    "min_age_years": ("age_months",),
    "max_age_years": ("age_months",),
    "max_age_months": ("age_months",),
    "min_age_at_diagnosis_years": ("age_at_diagnosis_months",),
    "age_at_diagnosis_below_years": ("age_at_diagnosis_months",),
    "cd19_required": ("immunophenotype", "cd19"),
    "cd22_required": ("immunophenotype", "cd22"),
    "bcr_abl1": ("bcr_abl1",),
    "abl1_kinase_mutation_found": ("kinase_mutations",),
    "kinase_mutations_any": ("kinase_mutations",),
    "kinase_mutations_none": ("kinase_mutations",),
    "genetics_any": ("genetics_present", "genetics_tested_at_relapse", "genetics_tested_at_diagnosis"),
    "genetics_none": ("genetics_present", "genetics_tested_at_relapse", "genetics_tested_at_diagnosis"),
    "prior_any": ("prior_agents_key",),
    "excludes_prior": ("prior_agents_key",),
    "prior_response": ("prior_agents_key",),
    "prior_allogeneic_hsct": ("prior_allogeneic_hsct",),
    "prior_cranial_radiation": ("prior_cranial_radiation",),
    "min_doxorubicin_equivalent_mg_per_m2": ("doxorubicin_equivalent",),
    "max_doxorubicin_equivalent_mg_per_m2": ("doxorubicin_equivalent",),
    "mrd_end_of_reinduction_below": ("mrd_end_of_reinduction",),
    "mrd_end_of_reinduction_at_least": ("mrd_end_of_reinduction",),
    "active_cns": ("active_cns",),
    "min_performance": ("performance",),
}
