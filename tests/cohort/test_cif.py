"""The cumulative incidence's band (cohort/cif.py) is lifelines' own: the same fit with
lifelines' row-by-row variance and with the cumulative sums gives the same variance and
band (to 1e-12: products replace lifelines' `pow`, so the last bits may differ), on
competing-risk data with ties, whole and fractional weights, no event of interest, everyone
failing, random small tables, and the 200-child example cohort's second relapses."""

from __future__ import annotations

import random
import tempfile
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import AalenJohansenFitter
from typer.testing import CliRunner

from rrall.cli import app
from rrall.cohort.cif import CumulativeIncidence
from rrall.cohort.survival import follow_up


def _fits(durations: list[float], events: list[int], weights: list[float] | None = None) -> tuple:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = AalenJohansenFitter(calculate_variance=True, jitter_level=1e-6, seed=0).fit(
            durations, events, event_of_interest=1, weights=weights)
        ours = CumulativeIncidence(calculate_variance=True, jitter_level=1e-6, seed=0).fit(
            durations, events, event_of_interest=1, weights=weights)
    return theirs, ours


def _same(theirs: AalenJohansenFitter, ours: CumulativeIncidence) -> None:
    assert list(ours.confidence_interval_.columns) == list(theirs.confidence_interval_.columns)
    assert ours.confidence_interval_.index.equals(theirs.confidence_interval_.index)
    np.testing.assert_allclose(ours.variance_.to_numpy(), theirs.variance_.to_numpy(), rtol=1e-12, atol=0,
                               equal_nan=True)
    np.testing.assert_allclose(ours.confidence_interval_.to_numpy(), theirs.confidence_interval_.to_numpy(),
                               rtol=1e-12, atol=0, equal_nan=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_competing_risks_with_ties_and_weights(seed: int) -> None:
    rng = random.Random(seed)
    n = 400
    durations = [round(rng.uniform(0, 60), 1) for _ in range(n)]  # one decimal: many ties
    events = [rng.choice([0, 0, 1, 2]) for _ in range(n)]
    weights = [rng.randint(1, 5) for _ in range(n)]
    _same(*_fits(durations, events))
    _same(*_fits(durations, events, weights))
    _same(*_fits(durations, events, [w / 3 for w in weights]))  # fractional weights


def test_the_example_cohort() -> None:
    """The 200-child example's second relapses as `rrall cohort` fits them (cohort/survival.py:
    one weighted row per time and outcome)."""
    root = Path(__file__).resolve().parents[2] / "examples" / "cohort"
    with tempfile.TemporaryDirectory() as out:
        done = CliRunner().invoke(app, ["cohort", str(root / "synthetic-200.csv"),
                                        "--long", str(root / "long.csv"), "--out", out])
        assert done.exit_code == 0, done.output
        data, _ = follow_up(pl.read_parquet(Path(out) / "results.parquet"))
    known = data.filter(pl.col("code").is_not_null())
    rows = known.group_by("efs_months", "code").len().sort("efs_months", "code")
    assert rows.height > 20
    _same(*_fits(rows["efs_months"].to_list(), rows["code"].to_list(), rows["len"].to_list()))


def test_no_event_of_interest_and_everyone_failing() -> None:
    _same(*_fits([1.0, 2.0, 3.0, 4.0], [0, 2, 0, 2]))  # the incidence stays 0: log(-log 0)
    _same(*_fits([1.0, 2.0, 3.0, 4.0], [1, 1, 2, 1]))  # the last at risk fail: n - d = 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 120), st.sampled_from([0, 1, 2]), st.integers(1, 9)),
                min_size=2, max_size=60))
def test_any_small_table(rows: list[tuple[int, int, int]]) -> None:
    durations = [float(t) for t, _, _ in rows]
    events = [e for _, e, _ in rows]
    weights = [w for _, _, w in rows]
    _same(*_fits(durations, events, weights))
