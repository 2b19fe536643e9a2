"""Every example case against its reviewed golden output (tests/golden/).

Rewrite with `pytest tests/test_golden.py --update-golden` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rrall import assess
from rrall.case.load import load_case
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import ROOT, TODAY

EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_matches_golden(kb: KnowledgeBase, path: Path, update_golden: bool) -> None:
    result = json.loads(assess(load_case(path, kb, TODAY), kb).model_dump_json())
    golden = GOLDEN / f"{path.stem}.json"
    if update_golden:
        golden.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    assert golden.exists(), f"no golden output for {path.name}: run with --update-golden and review"
    assert result == json.loads(golden.read_text())


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_trial_matching_matches_golden(kb: KnowledgeBase, path: Path, update_golden: bool) -> None:
    """Every trial of the curated registry, open or closed, criterion by criterion."""
    from rrall.assessment import match_trials_for

    matches = match_trials_for(load_case(path, kb, TODAY), kb, include_closed=True)
    result = [json.loads(m.model_dump_json()) for m in matches]
    golden = GOLDEN / "trials" / f"{path.stem}.json"
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    assert golden.exists(), f"no golden trial matches for {path.name}: run with --update-golden and review"
    assert result == json.loads(golden.read_text())


def test_every_golden_has_an_example() -> None:
    assert {p.stem for p in GOLDEN.glob("*.json")} == {p.stem for p in EXAMPLES}
    assert {p.stem for p in (GOLDEN / "trials").glob("*.json")} == {p.stem for p in EXAMPLES}


def test_examples_cover_every_framework_cell() -> None:
    """18 cells of the framework table (docs/decisions.md) plus the five special cases the issue names."""
    names = {p.stem for p in EXAMPLES}
    cells = {f"{lin}-{site}-{timing}" for lin in "bt" for site in ("iem", "combined", "marrow")
             for timing in ("very-early", "early", "late")}
    assert cells <= names
    assert {"t-marrow-unknown-frontline-end", "second-relapse", "post-allo-hsct-relapse",
            "ph-positive-t315i", "primary-refractory"} <= names
