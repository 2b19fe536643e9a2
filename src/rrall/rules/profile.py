"""The facts eligibility criteria read, taken once from a case and its assessment so far.

A value of None means the case does not say; `FIELDS` names the case field that would
settle each fact, so an unknown criterion can say what to record.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from rrall.case.model import Case
from rrall.classify.months import months_between
from rrall.classify.relapse import Classified
from rrall.risk.model import FrameworkResult

LATEST = "relapses[-1]"
# Lesions that are often acquired at relapse: a negative test at diagnosis does not rule
# them out at relapse (about 70 % of TP53 alterations were acquired [Yu2019-TP53]).
ACQUIRED_AT_RELAPSE = frozenset({"TP53", "NT5C2"})

FIELDS = {
    "site": f"{LATEST}.marrow_blasts_percent",
    "timing": "diagnosis.frontline_end_date",
    "cd19": f"{LATEST}.cd19",
    "cd22": f"{LATEST}.cd22",
    "bcr_abl1": f"{LATEST}.bcr_abl1",
    "kinase_mutations": f"{LATEST}.abl1_kinase_mutations",
    "genetics": f"{LATEST}.genetics",
    "anthracyclines": "prior_therapy.anthracyclines",
    "mrd": "mrd[timepoint=end_of_reinduction]",
    "active_cns": f"{LATEST}.cns_status",
    "performance": "performance",
    "prior_response": "prior_therapy.agents[].response",
}


@dataclass(frozen=True)
class Profile:
    sex: str
    immunophenotype: str
    disease_state: str
    relapse_number: int
    refractory: bool
    post_hsct: bool
    site: str | None
    involved: frozenset[str]
    timing_bfm: str | None
    timing_cog: str | None
    months_from_diagnosis: int | None
    risk: dict[str, FrameworkResult]
    age_months: int
    age_at_diagnosis_months: int
    cd19: str | None
    cd22: str | None
    bcr_abl1: bool | None
    kinase_mutations: frozenset[str] | None
    genetics_present: frozenset[str]
    genetics_tested_at_relapse: bool
    genetics_tested_at_diagnosis: bool
    prior_agents: dict[str, tuple[str | None, ...]]
    prior_allogeneic_hsct: bool
    doxorubicin_equivalent: tuple[Decimal, Decimal] | None  # low, high (a range when factors are)
    mrd_end_of_reinduction: Decimal | None
    active_cns: bool | None
    performance: int | None
    prior_cranial_radiation_gy: float | None

    @cached_property
    def risk_key(self) -> tuple[object, ...]:
        """Everything the risk-based criteria read from the frameworks' results."""
        return tuple((name, r.status, r.group, r.hsct_in_cr2, tuple(m.field for m in r.missing))
                     for name, r in self.risk.items())

    @cached_property
    def prior_agents_key(self) -> tuple[tuple[str, tuple[str | None, ...]], ...]:
        return tuple(sorted(self.prior_agents.items()))

    @property
    def kinase_found(self) -> bool | None:
        return None if self.kinase_mutations is None else bool(self.kinase_mutations)

    @property
    def prior_cranial_radiation(self) -> bool | None:
        gy = self.prior_cranial_radiation_gy
        return None if gy is None else gy > 0

    def lesion_known_absent(self, lesion: str) -> bool:
        if lesion in self.genetics_present:
            return False
        if self.genetics_tested_at_relapse:
            return True
        return self.genetics_tested_at_diagnosis and lesion not in ACQUIRED_AT_RELAPSE


def build_profile(case: Case, classified: Classified, risk: dict[str, FrameworkResult],
                  doxorubicin_equivalent: tuple[Decimal, Decimal] | None) -> Profile:
    c = classified.classification
    relapse = case.relapses[-1] if case.relapses else None
    timing = c.timing
    genetics = set(case.diagnosis.genetics or []) | set((relapse.genetics if relapse else None) or [])
    if c.bcr_abl1:
        genetics.add("BCR::ABL1")
    agents: dict[str, list[str | None]] = {}
    for exposure in case.prior_therapy.agents:
        agents.setdefault(exposure.agent, []).append(exposure.response)
    return Profile(
        sex=case.sex,
        immunophenotype=c.immunophenotype,
        disease_state=c.disease_state,
        relapse_number=c.relapse_number,
        refractory=c.refractory,
        post_hsct=c.post_hsct,
        site=c.site,
        involved=frozenset(relapse.sites) if relapse else frozenset(),
        timing_bfm=None if timing is None or timing.bfm == "unknown" else timing.bfm,
        timing_cog=None if timing is None or timing.cog == "unknown" else timing.cog,
        months_from_diagnosis=c.months_from_diagnosis,
        risk=risk,
        age_months=months_between(case.date_of_birth, case.as_of),
        age_at_diagnosis_months=months_between(case.date_of_birth, case.diagnosis.date),
        cd19=_expression(relapse.cd19 if relapse else None),
        cd22=_expression(relapse.cd22 if relapse else None),
        bcr_abl1=c.bcr_abl1,
        kinase_mutations=_kinase(c.bcr_abl1, c.abl1_kinase_mutations),
        genetics_present=frozenset(genetics),
        genetics_tested_at_relapse=relapse is not None and relapse.genetics is not None,
        genetics_tested_at_diagnosis=case.diagnosis.genetics is not None,
        prior_agents={agent: tuple(r) for agent, r in agents.items()},
        prior_allogeneic_hsct=any(h.type == "allogeneic" for h in case.prior_therapy.hsct),
        doxorubicin_equivalent=doxorubicin_equivalent,
        mrd_end_of_reinduction=classified.known.get("mrd_end_of_reinduction"),  # type: ignore[arg-type]
        active_cns=_active_cns(case),
        performance=case.performance.score if case.performance else None,
        prior_cranial_radiation_gy=case.prior_therapy.cranial_radiation_gy,
    )


def _expression(value: str | None) -> str | None:
    return None if value in (None, "unknown") else value


def _kinase(bcr_abl1: bool | None, mutations: list[str] | None) -> frozenset[str] | None:
    if bcr_abl1 is False:
        return frozenset()
    if bcr_abl1 is None or mutations is None:
        return None
    return frozenset(mutations)


def _active_cns(case: Case) -> bool | None:
    """CNS disease at the assessed relapse (a CNS site, or CNS2/CNS3); at diagnosis when
    there is no relapse (primary refractory disease), unknown if not recorded there."""
    if not case.relapses:
        status = case.diagnosis.cns_status
        return None if status is None else status != "CNS1"
    relapse = case.relapses[-1]
    # The listed sites are what was found; CNS2 at relapse also counts as CNS disease.
    return "cns" in relapse.sites or relapse.cns_status in ("CNS2", "CNS3")
