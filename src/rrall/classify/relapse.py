"""Derive the facts of the assessed relapse: state, site, clocks, markers, prior therapy.

Known facts become values; a fact the case leaves open becomes `Open` with the question
that would settle it (classify/questions.py), so that decisions can be taken over every
value it could take. The clocks count calendar months (classify/months.py), once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Literal

from rrall.case.model import Case, MrdMeasurement, Relapse
from rrall.classify.markers import bcr_abl1_lost, bcr_abl1_of, markers
from rrall.classify.months import age_in_years, months_between
from rrall.classify.mrd import mrd_at, mrd_method, mrd_shown
from rrall.classify.questions import Questions
from rrall.classify.site import LATEST, confirmation, site_of
from rrall.classify.timing import timing_facts, timing_rule
from rrall.classify.trialfacts import trial_facts
from rrall.knowledge.load import KnowledgeBase
from rrall.logic.resolve import resolve
from rrall.logic.values import NA, Members, Open, Question, Value
from rrall.logic.world import Derive, World
from rrall.results import Classification, CumulativeAnthracycline, Timing, Warning
from rrall.vocabulary import DiseaseState


@dataclass(frozen=True)
class Classified:
    classification: Classification
    facts: dict[str, Value]  # never changed after classify() returns
    warnings: tuple[Warning, ...]
    assumed: tuple[str, ...] = ()  # facts read as their assumed value (knowledge/facts.yaml)


class Classifier:
    """Classifies cases for one knowledge base; holds only immutable, shared parts."""

    def __init__(self, kb: KnowledgeBase, questions: Questions) -> None:
        self.kb = kb
        self.questions = questions
        self.timing: dict[str, Derive] = timing_facts(kb.classification.timing_schemes)
        self._acquired = frozenset(kb.facts.acquired_at_relapse.lesions)

    def bounds(self) -> dict[str, tuple[Decimal, ...]]:
        """The bounds classification itself compares raw case numbers with (the site's
        threshold, and the consensus bands its warnings name)."""
        site = self.kb.classification.site
        bands = {b for band in site.marrow_confirmation.bands
                 for b in (band.at_least, band.below) if b is not None}
        return {"marrow_blasts_percent": tuple(sorted({site.combined_marrow_blasts_percent, *bands}))}

    def classify(
        self,
        case: Case,
        doses: CumulativeAnthracycline,
        timing: Callable[[dict[str, Value]], Timing] | None = None,
    ) -> Classified:
        """The case's facts and classification; `timing` may give a shared result for the
        timing (the engine's memo) instead of working it out."""
        found = self._classify(case, doses, timing)
        assert isinstance(found, Classified)
        return found

    def facts(self, case: Case, doses: CumulativeAnthracycline) -> dict[str, Value]:
        """The case's facts alone, without the classification shown to people (a what-if
        whose decisions are compared)."""
        found = self._classify(case, doses, None, facts_only=True)
        assert isinstance(found, dict)
        return found

    def _classify(
        self,
        case: Case,
        doses: CumulativeAnthracycline,
        timing: Callable[[dict[str, Value]], Timing] | None,
        facts_only: bool = False,
    ) -> Classified | dict[str, Value]:
        q = self.questions
        warnings: list[Warning] = []
        relapse = case.relapses[-1] if case.relapses else None
        number = len(case.relapses)
        lineage = (relapse.immunophenotype if relapse else None) or case.diagnosis.immunophenotype
        if lineage != case.diagnosis.immunophenotype:
            warnings.append(
                Warning(
                    code="lineage_switch",
                    path=f"{LATEST}.immunophenotype",
                    message=f"Lineage at relapse ({lineage}) differs from diagnosis "
                    f"({case.diagnosis.immunophenotype}); the relapse lineage is used.",
                )
            )
        if relapse and case.diagnosis.induction_outcome == "induction_failure":
            warnings.append(
                Warning(
                    code="prior_induction_failure",
                    path="diagnosis.induction_outcome",
                    message="Primary induction failure before the first relapse.",
                )
            )
        cns = self.kb.classification.site.cns
        if relapse and relapse.cns_status in cns.not_established:
            listed = "cns" in relapse.sites
            warnings.append(
                Warning(
                    code="cns_listed_not_established" if listed else "cns_status_not_established",
                    path=f"{LATEST}.cns_status",
                    message=(cns.listed_warning if listed else cns.not_established_warning).strip().format(
                        status=relapse.cns_status),
                    citations=tuple(cns.citations),
                )
            )
        after_induction = case.diagnosis.refractory_disease
        threshold = self.kb.classification.site.combined_marrow_blasts_percent
        if relapse is None and after_induction and after_induction.marrow_blasts_percent is not None \
                and after_induction.marrow_blasts_percent < threshold:
            warnings.append(
                Warning(
                    code="refractory_marrow_below_threshold",
                    path="diagnosis.refractory_disease.marrow_blasts_percent",
                    message=f"Marrow blasts after induction below {threshold:f} % though induction failed: "
                    "check that the failure is recorded rightly (leukemia persisting in the blood or "
                    "another site, or by MRD).",
                    citations=("Schrappe2012",),
                )
            )
        end, end_source = frontline_end(case)
        months_dx = months_between(case.diagnosis.date, relapse.date) if relapse else None
        months_end = months_between(end, relapse.date) if relapse and isinstance(end, date) else None
        bcr_abl1 = bcr_abl1_of(case, relapse)
        asked = q.at_relapse if relapse else q.after_induction
        refractory = relapse is None or relapse.reinduction_outcome == "treatment_failure"
        post_hsct = relapse is not None and any(
            h.type == "allogeneic" and h.date < relapse.date for h in case.prior_therapy.hsct
        )
        if bcr_abl1_lost(case, relapse, bcr_abl1):
            lost = self.kb.classification.bcr_abl1_not_at_relapse
            warnings.append(Warning(code="bcr_abl1_not_at_relapse", path=f"{LATEST}.genetics",
                                    message=lost.warning.strip(), citations=tuple(lost.citations)))
        if post_hsct:
            after = self.kb.classification.after_hsct
            warnings.append(Warning(code="relapse_after_hsct", path="prior_therapy.hsct",
                                    message=after.warning.strip(), citations=tuple(after.citations)))
        site = site_of(relapse, self.kb, warnings) if relapse else None
        if relapse and site in ("isolated_marrow", "combined"):
            warnings += confirmation(case, relapse, self.kb)
        alert = self.kb.classification.site.iem_marrow_mrd
        at_relapse = mrd_at(case, "at_relapse")
        if site == "isolated_extramedullary" and any(m.fraction >= alert.at_least for m in at_relapse):
            warnings.append(Warning(code="iem_marrow_mrd", path="mrd", message=alert.warning.strip(),
                                    citations=tuple(alert.citations)))
        facts: dict[str, Value] = {
            "disease_state": _state(number),
            "relapse_number": number,
            "refractory": refractory,
            "post_hsct": post_hsct,
            "immunophenotype": lineage,
            "sex": case.sex,
            "age": months_between(case.date_of_birth, case.as_of),
            "age_at_diagnosis": months_between(case.date_of_birth, case.diagnosis.date),
            "wbc_at_diagnosis": _count(case.diagnosis.wbc_per_uL, q.wbc_at_diagnosis),
            "bcr_abl1": Open(asked.bcr_abl1) if bcr_abl1 is None else bcr_abl1,
            "prior_allogeneic_hsct": any(h.type == "allogeneic" for h in case.prior_therapy.hsct),
            "prior_cranial_radiation": _gy(
                case.prior_therapy.cranial_radiation_gy, q.yes_no("prior_cranial_radiation")
            ),
            **trial_facts(case, relapse, q),
            "doxorubicin_equivalent": self._doses(doses),
            **self._prior(case),
            **self._constitutional(case),
            **self._relapse(case, relapse, site, months_dx, end, months_end, warnings),
            **markers(case, relapse, bcr_abl1, asked, self._acquired, self._members),
        }
        if facts_only:
            return facts
        said = (timing or self.timing_of)(facts) if number == 1 else None
        classification = Classification(
            disease_state=_state(number),
            relapse_number=number,
            refractory=refractory,
            reinduction_outcome=relapse.reinduction_outcome if relapse else None,
            post_hsct=post_hsct,
            immunophenotype=lineage,
            site=site if site != "open" else None,
            extramedullary_sites=tuple(s for s in relapse.sites if s != "bone_marrow") if relapse else (),
            marrow_blasts_percent=relapse.marrow_blasts_percent if relapse else None,
            relapse_date=relapse.date if relapse else None,
            months_from_diagnosis=months_dx,
            frontline_end=end,
            frontline_end_source=end_source,
            months_from_frontline_end=months_end,
            timing=said,
            bcr_abl1=bcr_abl1,
            abl1_kinase_mutations=tuple(relapse.abl1_kinase_mutations)
            if relapse and relapse.abl1_kinase_mutations is not None
            else None,
            cd19=relapse.cd19 if relapse else None,
            cd22=relapse.cd22 if relapse else None,
            mrd=tuple(mrd_shown(m) for m in case.mrd),
            age_at_diagnosis_years=age_in_years(case.date_of_birth, case.diagnosis.date),
            age_at_assessment_years=age_in_years(case.date_of_birth, case.as_of),
        )
        # A relapse whose reinduction outcome is not recorded is read as not (yet) refractory.
        assumed: tuple[str, ...] = ("refractory",) if relapse and relapse.reinduction_outcome is None else ()
        if case.constitutional is None or case.constitutional.down_syndrome is None:
            assumed += ("down_syndrome",)
        return Classified(
            classification,
            facts,
            tuple(warnings),
            tuple(f for f in assumed if self.kb.facts.facts[f].assumed is not None),
        )

    def _relapse(
        self,
        case: Case,
        relapse: Relapse | None,
        site: str | None,
        months_dx: int | None,
        end: date | str | None,
        months_end: int | None,
        warnings: list[Warning],
    ) -> dict[str, Value]:
        q = self.questions
        if relapse is None:
            status = case.diagnosis.cns_status
            return {
                "site": NA,
                "marrow_involved": NA,
                "relapse_sites": NA,
                "months_from_diagnosis": NA,
                "frontline_completed": NA,
                "months_from_frontline_end": NA,
                "active_cns": Open(q.cns_at_diagnosis) if status is None else status != "CNS1",
                "mrd_end_of_reinduction": NA,
                "mrd_end_of_reinduction_method": NA,
            }
        reinduction = mrd_at(case, "end_of_reinduction")  # what the MRD rules read, and its method
        facts: dict[str, Value] = {
            "relapse_sites": self._members("relapse_sites", frozenset(relapse.sites), frozenset()),
            "months_from_diagnosis": months_dx if months_dx is not None else NA,
            # The listed sites are what was found; CNS2 at relapse also counts as CNS disease.
            "active_cns": "cns" in relapse.sites or relapse.cns_status in ("CNS2", "CNS3"),
            "mrd_end_of_reinduction": self._mrd(reinduction, warnings),
            "mrd_end_of_reinduction_method": mrd_method(reinduction),
        }
        if site == "open":
            facts["site"] = facts["marrow_involved"] = Open(q.site)
        else:
            facts["site"] = site or NA
            facts["marrow_involved"] = site != "isolated_extramedullary"
        if end is None:
            facts["frontline_completed"] = facts["months_from_frontline_end"] = Open(q.frontline)
        else:
            facts["frontline_completed"] = end != "not_completed"
            facts["months_from_frontline_end"] = months_end if months_end is not None else NA
        return facts

    def _prior(self, case: Case) -> dict[str, Value]:
        agents = case.prior_therapy.agents
        responses = {f"{a.agent}:{a.response}" for a in agents if a.response}
        open_responses = {
            f"{a.agent}:{r}"
            for a in agents
            if a.response is None
            for r in ("mrd_negative_remission", "complete_remission", "no_response", "not_evaluable")
        }
        return {
            "prior_agents": self._members("prior_agents", frozenset(a.agent for a in agents), frozenset()),
            "prior_responses": self._members(
                "prior_responses", frozenset(responses), frozenset(open_responses - responses)
            ),
        }

    def _constitutional(self, case: Case) -> dict[str, Value]:
        """Down syndrome not recorded is read as absent (said in the assessment, facts.yaml
        `assumed`); a predisposition list not recorded means none known."""
        born = case.constitutional
        found = frozenset(born.germline_predisposition or []) if born else frozenset()
        return {
            "down_syndrome": bool(born and born.down_syndrome),
            "germline_predisposition": self._members("germline_predisposition", found, frozenset()),
        }

    def _members(self, fact: str, present: frozenset[str], maybe: frozenset[str] | None,
                 field: str | None = None) -> Members:
        """`field`: the case field its open values are asked in, where not the fact's own."""
        return Members(present, maybe, partial(self.questions.member, fact, field=field), field or "")

    def _doses(self, doses: CumulativeAnthracycline) -> Value:
        if doses.doxorubicin_equivalent_mg_per_m2 is not None:
            return doses.doxorubicin_equivalent_mg_per_m2
        if doses.range_mg_per_m2 is not None:
            low, high = doses.range_mg_per_m2
            return Open(self.questions.conversion, low, high)
        return Open(self.questions.doxorubicin)

    def _mrd(self, measured: list[MrdMeasurement], warnings: list[Warning]) -> Value:
        found = sorted({m.fraction for m in measured})
        if len(found) == 1:
            return found[0]
        if not found:
            return Open(self.questions.mrd)
        warnings.append(
            Warning(
                code="conflicting_mrd",
                path="mrd",
                message="Several end-of-reinduction MRD values are given for this relapse ("
                + ", ".join(self.questions.words.number("mrd_end_of_reinduction", v) for v in found)
                + "); decisions that depend on which one applies are left open.",
            )
        )
        return Open(
            self.questions.values("mrd_end_of_reinduction", "mrd[timepoint=end_of_reinduction]", found)
        )

    def timing_of(self, facts: dict[str, Value]) -> Timing:
        """Each timing scheme's category over every world the open facts allow."""
        world = World(facts, self.timing)
        said: dict[str, str | None] = {}
        rules: set[str] = set()
        for scheme in self.kb.classification.timing_schemes:

            def decide(w: World, scheme=scheme) -> str | Question:  # type: ignore[no-untyped-def]
                row = timing_rule(scheme, w)
                return row if isinstance(row, Question) else (row.id if row else "")

            resolution = resolve(world, decide)
            ids = resolution.outcomes()
            rules.update(i for i in ids if i)
            categories = {r.id: r.category for r in scheme.rules}
            seen = {categories.get(i) for i in ids}
            said[scheme.fact] = seen.pop() if len(seen) == 1 else "unknown"
        return Timing(bfm=said.get("timing_bfm"), cog=said.get("timing_cog"), rules=tuple(sorted(rules)))


def _count(value: float | None, question: Question) -> Value:
    return Open(question) if value is None else Decimal(str(value))


def _gy(value: float | None, question: Question) -> Value:
    return Open(question) if value is None else value > 0


def _state(number: int) -> DiseaseState:
    if number == 0:
        return "primary_refractory"
    return ("first_relapse", "second_relapse")[number - 1] if number <= 2 else "third_or_later_relapse"


def frontline_end(case: Case) -> tuple[date | Literal["not_completed"] | None, str | None]:
    """The end of front-line therapy; an HSCT in first remission ends it on its date."""
    first = case.relapses[0].date if case.relapses else None
    return effective_frontline_end(
        case.diagnosis.frontline_end_date, [h.date for h in case.prior_therapy.hsct], first
    )


Given = date | Literal["not_completed"] | None


def effective_frontline_end(
    given: Given, hsct_dates: list[date], first_relapse: date | None
) -> tuple[Given, str | None]:
    """The end of front-line therapy as given, unless an HSCT in first remission (before the
    first relapse) came first: it ends front-line therapy on its date. The source says which."""
    for i, when in enumerate(hsct_dates):
        in_cr1 = first_relapse is None or when < first_relapse
        if in_cr1 and (not isinstance(given, date) or when < given):
            return when, (
                f"prior_therapy.hsct[{i}].date (an HSCT in first remission ends front-line therapy)"
            )
    return given, "diagnosis.frontline_end_date" if given is not None else None

