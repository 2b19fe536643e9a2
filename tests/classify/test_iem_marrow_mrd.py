"""Marrow MRD at an apparently isolated extramedullary relapse: the alert and the work-up
item, on the rows of iem_marrow_mrd.yaml (written from Hagedorn 2007 before running rrall)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from rrall import assess
from rrall.case.load import parse_case
from rrall.knowledge.load import KnowledgeBase
from tests.conftest import TODAY, make_case

TABLE = yaml.safe_load((Path(__file__).parent / "iem_marrow_mrd.yaml").read_text())
FIELD = "mrd[timepoint=at_relapse]"


@pytest.mark.parametrize("row", TABLE["rows"], ids=lambda r: r["proves"][:40])
def test_row(row: dict[str, Any], kb: KnowledgeBase) -> None:
    case = make_case(**{**TABLE["base"], **row["case"]})
    plain = make_case(**{k: v for k, v in {**TABLE["base"], **row["case"]}.items() if k != "mrd"})
    result = assess(parse_case(case, kb, TODAY), kb)
    alerts = [w for w in result.warnings if w.code == "iem_marrow_mrd"]
    assert bool(alerts) == row["alert"], row["proves"]
    if alerts:
        assert "Hagedorn2007" in alerts[0].citations and "0.30" in alerts[0].message
    assert (FIELD in [m.field for m in result.missing_data]) == row["workup"], row["proves"]
    # The marrow MRD at relapse changes no group or HSCT rule (they read the MRD after reinduction).
    without = assess(parse_case(plain, kb, TODAY), kb)
    if not any(m.get("timepoint") == "end_of_reinduction" for m in case.get("mrd", [])):
        assert {f: (r.group, r.hsct_in_cr2) for f, r in result.risk.items()} == \
            {f: (r.group, r.hsct_in_cr2) for f, r in without.risk.items()}
        assert result.classification.site == without.classification.site


def test_the_marrow_mrd_at_relapse_is_not_an_mrd_after_it(kb: KnowledgeBase) -> None:
    """Trial criteria read the latest MRD after the assessed relapse: a sample taken at the
    relapse itself is not one (it would read a diagnostic value as a response)."""
    from rrall.engine import engine_for
    from rrall.logic.values import Open

    engine = engine_for(kb)
    at_relapse = {"timepoint": "at_relapse", "value": 0.5, "unit": "percent"}
    after = {"timepoint": "end_of_reinduction", "value": 0.02, "unit": "percent"}
    only = parse_case(make_case(**{**TABLE["base"], "mrd": [at_relapse]}), kb, TODAY)
    both = parse_case(make_case(**{**TABLE["base"], "mrd": [after, at_relapse]}), kb, TODAY)
    assert isinstance(engine.ev.classify(only)[0].facts["mrd_latest"], Open)
    assert engine.ev.classify(both)[0].facts["mrd_latest"] == Decimal("0.0002")
