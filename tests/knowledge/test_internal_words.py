"""No knowledge file and no source file a surface reads names an internal document: rrall's
users cannot open "the brief" or DECISIONS.md. Encoding choices are cited as rrall's
Encoding decisions, a page published with rrall (docs/decisions.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INTERNAL = re.compile(
    r"\bthe brief\b|\bbrief(?:'s)? section|\bclinical brief|(?-i:DECISIONS\.md)|brief §", re.IGNORECASE
)
FILES = sorted(
    [
        *(ROOT / "knowledge").rglob("*.yaml"),
        *(ROOT / "src").rglob("*.py"),
        *(ROOT / "src").rglob("*.yaml"),
        *(ROOT / "src").rglob("*.j2"),
    ]
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_internal_document_is_named(path: Path) -> None:
    found = [
        f"{n}: {line.strip()[:90]}"
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if INTERNAL.search(line)
    ]
    assert not found, found


def test_the_decisions_knowledge_files_cite_are_published() -> None:
    """Knowledge files cite encoding choices by the published page's title, "Encoding
    decisions" (docs/decisions.md), never by a file name a reader could take for an
    internal document."""
    page = ROOT / "docs" / "decisions.md"
    assert page.is_file() and page.read_text("utf-8").startswith("# Encoding decisions\n")
    texts = [p.read_text("utf-8") for p in (ROOT / "knowledge").rglob("*.yaml")]
    assert any("rrall's Encoding decisions" in t for t in texts), "knowledge files cite the page"
    assert not any("decisions.md" in t for t in texts)


def test_the_pattern_finds_each_kind() -> None:
    for text in (
        "as the brief says",
        "see DECISIONS.md",
        "brief section 4.2",
        "Clinical brief",
        "brief §5.1",
    ):
        assert INTERNAL.search(text), text
