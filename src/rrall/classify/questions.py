"""The open questions a case can leave: each input rrall may not know, the case field that
would settle it, and every value it could take, in words.

Numbers need one value per interval between the bounds the criteria compare them with
(each criterion is `at_least`, `below` or `at_most`, so every value in an interval
behaves like the interval's lower end).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rrall.knowledge.load import KnowledgeBase
from rrall.knowledge.words import Words
from rrall.logic.values import NA, Alternative, Question, member_fact


@dataclass(frozen=True)
class Record:
    """The questions on a disease's markers, asked in the fields of one case record."""

    antigen: dict[str, Question]  # cd19, cd22, cd7
    cd7_negative_blasts: Question
    marrow_blasts: Question
    bcr_abl1: Question
    genetics_field: str | None  # where list facts are asked (None: the fact's own field)
    kinase_field: str | None


class Questions:
    """The questions of one knowledge base (and trial registry), made once and shared."""

    def __init__(self, kb: KnowledgeBase, bounds: Mapping[str, Sequence[Decimal]], words: Words) -> None:
        self.words = words
        self.bounds = bounds
        self._fields = {name: f.field for name, f in kb.facts.facts.items()}
        self._members: dict[tuple[str, str, str | None], Question] = {}
        self._member_of: dict[str, tuple[str, tuple[str, ...]]] = {}  # question id -> list fact, values
        self._joined: dict[tuple[str, tuple[str, ...], str], Question] = {}
        threshold = kb.classification.site.combined_marrow_blasts_percent
        self.site = Question(
            "site",
            self._fields["site"],
            (
                Alternative(
                    "isolated_extramedullary",
                    f"marrow blasts below {threshold:f} % ({words.plain('site', 'isolated_extramedullary')})",
                    (("site", "isolated_extramedullary"), ("marrow_involved", False)),
                ),
                Alternative(
                    "combined",
                    f"marrow blasts {threshold:f} % or more ({words.plain('site', 'combined')})",
                    (("site", "combined"), ("marrow_involved", True)),
                ),
            ),
        )
        self.frontline = self._frontline()
        self.cns_at_diagnosis = Question(
            "active_cns",
            "diagnosis.cns_status",
            (
                Alternative("true", words.value("active_cns", True), (("active_cns", True),)),
                Alternative("false", words.value("active_cns", False), (("active_cns", False),)),
            ),
        )
        # The disease's markers, asked in the record that holds them: the latest relapse, or
        # for primary refractory disease the diagnosis's record of the disease after induction.
        self.at_relapse = self._record(None, None)
        self.after_induction = self._record("diagnosis.refractory_disease", "diagnosis.genetics")
        # (With no relapse, BCR::ABL1 and the other lesions are those found at diagnosis.)
        self.cns_status = self.one_of("cns_status", ("CNS1", "CNS2", "CNS3"))
        self.mrd_latest = self.bands("mrd_latest")
        self.mrd_at_relapse = self.bands("mrd_at_relapse")
        self.days_from_hsct = self.bands("days_from_hsct")
        self.hsct_eligible = self.yes_no("hsct_eligible")
        self.relapse_after_car_t = self.yes_no("relapse_after_car_t")
        self.reinduction_failed = self.yes_no("reinduction_failed")
        self.mrd = self.bands("mrd_end_of_reinduction")
        self.performance = self.bands("performance")
        self.wbc_at_diagnosis = self.bands("wbc_at_diagnosis")
        self.doxorubicin = self.bands("doxorubicin_equivalent")
        self.conversion = self.bands(
            "doxorubicin_equivalent",
            field="anthracycline conversion factor",
            name="doxorubicin_equivalent:factor",
        )

    def _record(self, record: str | None, genetics_field: str | None) -> Record:
        """The marker questions of one record (None: the facts' own fields)."""
        def at(name: str) -> str | None:
            return f"{record}.{name}" if record else None

        levels = ("positive", "dim", "negative")
        antigen = {f: self.one_of(f, levels, field=at(f)) for f in ("cd19", "cd22", "cd7")}
        return Record(antigen, self.bands("cd7_negative_blasts", field=at("cd7_blasts_percent")),
                      self.bands("marrow_blasts", field=at("marrow_blasts_percent")),
                      self.yes_no("bcr_abl1", field=genetics_field), genetics_field,
                      at("abl1_kinase_mutations"))

    def yes_no(self, fact: str, field: str | None = None) -> Question:
        return Question(
            fact,
            field or self._fields[fact],
            (
                Alternative("true", self.words.value(fact, True), ((fact, True),)),
                Alternative("false", self.words.value(fact, False), ((fact, False),)),
            ),
        )

    def one_of(self, fact: str, values: Sequence[str], field: str | None = None) -> Question:
        return Question(
            fact,
            field or self._fields[fact],
            tuple(Alternative(v, self.words.value(fact, v), ((fact, v),)) for v in values),
        )

    def bands(self, fact: str, field: str | None = None, name: str | None = None) -> Question:
        """One alternative per interval between the fact's bounds (its lower end stands for it)."""
        ends = sorted({Decimal(0), *self.bounds.get(fact, ())})
        alternatives = []
        for i, low in enumerate(ends):
            high = ends[i + 1] if i + 1 < len(ends) else None
            alternatives.append(
                Alternative(
                    f"{low:f}" if high is None else f"{low:f}..{high:f}",
                    self.band_label(fact, low, high),
                    ((fact, low),),
                    low=low,
                    high=high,
                )
            )
        return Question(name or fact, field or self._fields[fact], tuple(alternatives), numeric=True)

    def band_label(self, fact: str, low: Decimal | None, high: Decimal | None) -> str:
        number = self.words.number
        if high is None:
            said = f"{number(fact, low or 0)} or more"
        elif not low:
            said = f"less than {number(fact, high)}"
        else:
            said = f"{number(fact, low)} to less than {number(fact, high)}"
        return self.words.quote(fact, said)

    def values(self, fact: str, field: str, found: Sequence[Decimal]) -> Question:
        """The values several records give for one fact (conflicting MRD results)."""
        return Question(
            fact,
            field,
            tuple(
                Alternative(f"{v:f}", self.words.value(fact, self.words.number(fact, v)), ((fact, v),))
                for v in found
            ),
        )

    def member(self, fact: str, value: str, field: str | None = None) -> Question:
        """Whether one value is in a list fact (a lesion, a mutation, a prior response);
        `field`: the case field that would tell, where not the fact's own."""
        key = (fact, value, field)
        found = self._members.get(key)
        if found is None:
            label = self.words.label(fact)
            if value == "*":  # whether the list holds anything at all
                yes, no = f"{label}: one or more found", f"{label}: none found"
            else:
                said = self.words.plain(fact, value)
                yes, no = f"{label}: {said} found", f"{label}: {said} not found"
            found = self._members[key] = Question(
                f"{fact}:{value}",
                field or self._fields[fact],
                (
                    Alternative("present", yes, ((member_fact(fact, value), True),)),
                    Alternative("absent", no, ((member_fact(fact, value), False),)),
                ),
            )
            if value != "*":
                self._member_of[found.id] = (fact, (value,))
        return found

    def join(self, first: Question, second: Question) -> Question | None:
        """Two questions on values of the same list fact, said as one for a reader ("any of
        T315I or V299L found" / "none of T315I or V299L found"); None for any other pair.
        Made for words only: its first answer is a choice among worlds, not one world."""
        one, other = self._member_of.get(first.id), self._member_of.get(second.id)
        if one is None or other is None or one[0] != other[0]:
            return None
        if first.field != second.field:
            return None
        fact, values = one[0], tuple(dict.fromkeys((*one[1], *other[1])))
        key = (fact, values, first.field)
        found = self._joined.get(key)
        if found is None:
            label = self.words.label(fact)
            said = [self.words.plain(fact, v) for v in values]
            listed = ", ".join(said[:-1]) + f" or {said[-1]}"
            found = self._joined[key] = Question(
                f"{fact}:{'|'.join(values)}",
                first.field,
                (
                    Alternative(f"any_of:{','.join(values)}", f"{label}: any of {listed} found", ()),
                    Alternative(
                        f"none_of:{','.join(values)}",
                        f"{label}: none of {listed} found",
                        tuple((member_fact(fact, v), False) for v in values),
                    ),
                ),
            )
            self._member_of[found.id] = (fact, values)
        return found

    def _frontline(self) -> Question:
        """During front-line therapy, or each interval of months after its end."""
        during = self.words.value("frontline_completed", False)
        alternatives = [
            Alternative("during", during, (("frontline_completed", False), ("months_from_frontline_end", NA)))
        ]
        ends = sorted({Decimal(0), *self.bounds.get("months_from_frontline_end", ())})
        for i, low in enumerate(ends):
            high = ends[i + 1] if i + 1 < len(ends) else None
            alternatives.append(
                Alternative(
                    f"{low:f}" if high is None else f"{low:f}..{high:f}",
                    self.band_label("months_from_frontline_end", low, high),
                    (("frontline_completed", True), ("months_from_frontline_end", int(low))),
                    low=low,
                    high=high,
                )
            )
        return Question("frontline_end", self._fields["frontline_completed"], tuple(alternatives))
