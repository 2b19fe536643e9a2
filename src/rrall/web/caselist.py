"""The case list a board works from: each case's age, lineage, relapse, site, timing, the
four frameworks' groups and whether the board has decided, searchable and sortable by
any of them. Rows come from each case's latest stored assessment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rrall.knowledge.glossary import Glossary
from rrall.knowledge.load import KnowledgeBase
from rrall.report.words import age_words
from rrall.store.repository import Repository
from rrall.web.workbench import result_of

LIMIT = 1000  # cases read for one list; search narrows it
COLUMNS = ("case", "age", "lineage", "relapse", "site", "timing", "decision", "updated")


@dataclass(frozen=True)
class CaseRow:
    pk: int
    case_id: str
    age: str
    age_months: int | None
    lineage: str
    relapse: str
    relapse_number: int
    site: str
    timing: str
    groups: dict[str, str]
    decision: str  # the latest decision's date, or ""
    updated: str

    def text(self) -> str:
        return " ".join([self.case_id, self.age, f"{self.lineage}-lineage", f"relapse {self.relapse}",
                         self.site, self.timing,
                         *self.groups.values(), self.decision or "undecided"]).lower()

    def key(self, column: str) -> Any:
        if column == "age":
            return self.age_months if self.age_months is not None else -1
        if column == "relapse":
            return self.relapse_number
        if column in ("case", "lineage", "site", "timing", "decision", "updated"):
            return {"case": self.case_id.lower()}.get(column, str(getattr(self, column)))
        return self.groups.get(column, "")


def case_rows(repo: Repository, kb: KnowledgeBase, words: Glossary) -> list[CaseRow]:
    _total, records = repo.cases("", LIMIT, 0)
    latest = repo.latest_assessments([r.id for r in records])
    decided: dict[int, date] = {}
    for d in repo.decisions():
        decided[d.case_pk] = max(decided.get(d.case_pk, d.decision_date), d.decision_date)
    rows = []
    for record in records:
        found = latest.get(record.id)
        result = result_of(found) if found else None
        rows.append(_row(record, result, kb, words, decided.get(record.id)))
    return rows


def _row(record: Any, result: dict[str, Any] | None, kb: KnowledgeBase, words: Glossary,
         decided: date | None) -> CaseRow:
    updated = record.updated_at.strftime("%Y-%m-%d %H:%M")
    if result is None:
        return CaseRow(record.id, record.case_id, "–", None, "–", "–", 0, "–", "–", {}, "", updated)
    c = result["classification"]
    years = c.get("age_at_assessment_years")
    refractory = c["disease_state"] == "primary_refractory"
    timing = (c.get("timing") or {}).get("bfm")
    groups = {}
    for fid in kb.frameworks:
        x = result["risk"].get(fid)
        groups[fid] = "–" if x is None else x.get("group") or words.value("framework_status", x["status"])
    return CaseRow(
        pk=record.id, case_id=record.case_id, age=age_words(years),
        age_months=round(years * 12) if years is not None else None,
        lineage=c["immunophenotype"],
        relapse="refractory" if refractory else str(c["relapse_number"]),
        relapse_number=0 if refractory else c["relapse_number"],
        site=words.value("site_category", c["site"]) if c.get("site") else "–",
        timing=words.value("timing", timing) if timing else "–",
        groups=groups, decision=decided.isoformat() if decided else "", updated=updated)


def select_rows(rows: list[CaseRow], query: str, sort: str, descending: bool) -> list[CaseRow]:
    words = query.lower().split()
    found = [r for r in rows if all(w in r.text() for w in words)]
    return sorted(found, key=lambda r: r.key(sort), reverse=descending)
