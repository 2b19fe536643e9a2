"""The markers of the disease assessed: antigens, lesions and ABL1 kinase mutations.

They are the latest relapse's, or for primary refractory disease those recorded after
induction (with the lesions found at diagnosis: there is no relapse to acquire more).
Each open value is asked in the record that would hold it (classify/questions.py, Record).
"""

from __future__ import annotations

from collections.abc import Callable

from rrall.case.model import Case, Relapse
from rrall.classify.questions import Record
from rrall.logic.values import Members, Open, Value

# A specific lesion and the broader one it is a case of: the broader one is then present,
# and the specific one open while only the broader one is recorded.
SUBTYPES = {"KMT2A::AFF1": "KMT2A", "low_hypodiploid": "hypodiploid"}
MakeMembers = Callable[[str, frozenset[str], "frozenset[str] | None", "str | None"], Members]


def bcr_abl1_of(case: Case, relapse: Relapse | None) -> bool | None:
    """BCR::ABL1 of the disease assessed: as tested at relapse, else as at diagnosis; kinase
    mutations (at relapse, or after a failed induction) mean BCR::ABL1; a genetics list at
    relapse without it is negative."""
    at_diagnosis = None if case.diagnosis.genetics is None else "BCR::ABL1" in case.diagnosis.genetics
    if relapse is None:
        refractory = case.diagnosis.refractory_disease
        return True if refractory and refractory.abl1_kinase_mutations else at_diagnosis
    if relapse.bcr_abl1 is not None:
        return relapse.bcr_abl1
    if "BCR::ABL1" in (relapse.genetics or []) or relapse.abl1_kinase_mutations:
        return True
    # A genetics list at relapse without BCR::ABL1 counts as negative: the relapse as tested
    # (where diagnosis found it, the classification says so: lost_at_relapse).
    if relapse.genetics is not None:
        return False
    return at_diagnosis


def bcr_abl1_lost(case: Case, relapse: Relapse | None, bcr_abl1: bool | None) -> bool:
    """BCR::ABL1 found at diagnosis but read as negative at the relapse assessed from its
    genetics list (not from a BCR::ABL1 result recorded as negative)."""
    return (relapse is not None and relapse.bcr_abl1 is None and bcr_abl1 is False
            and "BCR::ABL1" in (case.diagnosis.genetics or []))


def markers(case: Case, relapse: Relapse | None, bcr_abl1: bool | None, asked: Record,
            acquired: frozenset[str], members: MakeMembers) -> dict[str, Value]:
    """CD19, CD22, genetics and kinase mutations; `acquired`: lesions often acquired at
    relapse (a negative test at diagnosis leaves them open at a relapse)."""
    facts: dict[str, Value] = {}
    disease = relapse or case.diagnosis.refractory_disease
    for fact in ("cd19", "cd22"):
        value = getattr(disease, fact) if disease else None
        facts[fact] = Open(asked.antigen[fact]) if value in (None, "unknown") else value
    at_diagnosis = case.diagnosis.genetics
    at_relapse = relapse.genetics if relapse else None
    present: set[str] = set(at_diagnosis or []) | set(at_relapse or [])
    if bcr_abl1:
        present.add("BCR::ABL1")
    elif bcr_abl1 is False:
        present.discard("BCR::ABL1")  # one answer: the genetics read agree with BCR::ABL1
    for specific, general in SUBTYPES.items():  # KMT2A::AFF1 is a KMT2A rearrangement
        if specific in present:
            present.add(general)
    if at_relapse is not None or (relapse is None and at_diagnosis is not None):
        maybe: frozenset[str] | None = frozenset()
    elif at_diagnosis is not None:
        # A negative test at diagnosis does not rule out a lesion often acquired at relapse.
        maybe = acquired - present
    else:
        maybe = None
    if maybe is not None:  # a KMT2A rearrangement of unstated partner may be KMT2A::AFF1
        maybe |= {s for s, g in SUBTYPES.items() if g in present and s not in present}
    facts["genetics"] = members("genetics", frozenset(present), maybe, asked.genetics_field)
    mutations = disease.abl1_kinase_mutations if disease else None
    where = asked.kinase_field
    if bcr_abl1 is False:
        facts["kinase_mutations"] = members("kinase_mutations", frozenset(), frozenset(), where)
    elif bcr_abl1 is None or mutations is None:
        facts["kinase_mutations"] = members("kinase_mutations", frozenset(), None, where)
    else:
        facts["kinase_mutations"] = members("kinase_mutations", frozenset(mutations), frozenset(), where)
    return facts
