"""`diff_releases`: what changed, grouped by file and id, in words, with the CHANGELOG entry."""

from __future__ import annotations

from pathlib import Path

from rrall.knowledge.load import KnowledgeBase, default_knowledge_dir
from rrall.release.diff import diff_releases, diff_text


def test_diff_lists_the_three_changes_by_file_and_id(
    kb: KnowledgeBase, new_kb: KnowledgeBase, new_release: Path
) -> None:
    found = diff_releases(default_knowledge_dir(), new_release, kb.version, new_kb.version, kb.glossary)
    by_file = {f.file: {i.id: i for i in f.items} for f in found.files}
    assert set(by_file) == {"frameworks/bfm.yaml", "therapies.yaml", "prognosis.yaml", "manifest.yaml"}
    high = by_file["frameworks/bfm.yaml"]["bfm.hsct.s2_marrow_mrd_high"]
    assert high.kinds == ["threshold"]
    assert [(c.what, c.before, c.after) for c in high.fields] == [
        ("when, MRD at the end of reinduction, at least", "0.1 %", "0.01 %")
    ]
    status = by_file["therapies.yaml"]["blinatumomab.ph-positive"]
    assert status.kinds == ["status"] and status.fields[0].after == "standard"
    figure = by_file["prognosis.yaml"]["kato2012-second-hsct-os"]
    assert figure.kinds == ["prognosis figure"] and (figure.fields[0].before, figure.fields[0].after) == (
        "29.4",
        "31.0",
    )
    assert found.changelog.startswith("## 2027.1.0") and "Unreleased" not in found.changelog


def test_diff_text_is_in_words(kb: KnowledgeBase, new_kb: KnowledgeBase, new_release: Path) -> None:
    text = diff_text(
        diff_releases(default_knowledge_dir(), new_release, kb.version, new_kb.version, kb.glossary)
    )
    assert f"Knowledge {kb.version} -> 2027.1.0" in text
    assert "MRD at the end of reinduction" in text and "mrd_end_of_reinduction" not in text
    assert "What the CHANGELOG says:" in text


def test_no_change_says_so(kb: KnowledgeBase) -> None:
    found = diff_releases(
        default_knowledge_dir(), default_knowledge_dir(), kb.version, kb.version, kb.glossary
    )
    assert found.empty and "No data changed." in diff_text(found)
