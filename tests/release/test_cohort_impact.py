"""Impact on a cohort table through the cohort's classes of rows equals the comparison of
every row one by one (a SYNTHETIC cohort with MRD, genetics and prior HSCT set around the
changed bounds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rrall.knowledge.load import KnowledgeBase

pl = pytest.importorskip("polars")


def _cohort(tmp_path: Path) -> Path:
    from rrall.cohort.synth import write_cohort

    plain = tmp_path / "plain.csv"
    write_cohort(plain, 600, 3, {})
    frame = pl.read_csv(plain, infer_schema_length=0)
    mrd = ["0.005", "0.03", "0.2", ""]
    genetics = ["", "none", "hypodiploid"]
    frame = frame.with_columns(
        pl.Series("mrd_end_of_reinduction_percent", [mrd[i % 4] for i in range(frame.height)]),
        pl.Series("diagnosis_genetics", [genetics[i % 3] for i in range(frame.height)]),
        # Every fifth child relapsed after an allogeneic HSCT (on the day of diagnosis, which
        # the case format allows): the fixture's changed figure is a post-HSCT one.
        pl.when(pl.int_range(pl.len()) % 5 == 0).then(pl.col("diagnosis_date"))
        .otherwise(pl.col("prior_allogeneic_hsct_date")).alias("prior_allogeneic_hsct_date"),
    )
    out = tmp_path / "cohort.csv"
    frame.write_csv(out)
    return out


def test_classes_give_the_same_changes_as_every_row(
    tmp_path: Path, kb: KnowledgeBase, new_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rrall.cohort import impact as cohort_impact
    from rrall.release.impact import Impact

    path = _cohort(tmp_path)
    by_class = Impact(kb, new_kb)
    classes = cohort_impact.impact_table(by_class, path)
    monkeypatch.setattr(cohort_impact, "both_limits", lambda _impact: None)
    one_by_one = Impact(kb, new_kb)
    assert cohort_impact.impact_table(one_by_one, path) == 0
    seen = [{c.case_id: c.changes for c in run.report.changed} for run in (by_class, one_by_one)]
    assert seen[0] == seen[1]
    assert by_class.report.cases == one_by_one.report.cases == 600
    assert 0 < classes < 600
    assert by_class.report.by_kind["hsct_rule"] > 0 and by_class.report.by_kind["prognosis_figure"] > 0
