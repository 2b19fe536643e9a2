"""Open questions in a reader's words: whether a list holds anything is "one or more found" /
"none found"; values of one list asked one by one join into "any of ... found"."""

from __future__ import annotations

from rrall.engine import engine_for
from rrall.knowledge.load import KnowledgeBase


def test_a_list_asked_as_a_whole(kb: KnowledgeBase) -> None:
    questions = engine_for(kb).ev.questions
    asked = questions.member("kinase_mutations", "*")
    assert [a.label for a in asked.alternatives] == [
        "ABL1 kinase-domain mutations: one or more found", "ABL1 kinase-domain mutations: none found"]


def test_values_of_one_list_join_and_others_do_not(kb: KnowledgeBase) -> None:
    questions = engine_for(kb).ev.questions
    t315i = questions.member("kinase_mutations", "T315I")
    v299l = questions.member("kinase_mutations", "V299L")
    joined = questions.join(t315i, v299l)
    assert joined is not None
    assert [a.label for a in joined.alternatives] == [
        "ABL1 kinase-domain mutations: any of T315I or V299L found",
        "ABL1 kinase-domain mutations: none of T315I or V299L found"]
    assert questions.join(joined, questions.member("kinase_mutations", "F317L")) is not None
    assert questions.join(t315i, questions.member("kinase_mutations", "*")) is None  # not a value
    assert questions.join(t315i, questions.member("genetics", "BCR::ABL1")) is None  # another list
    assert questions.join(t315i, questions.at_relapse.bcr_abl1) is None
