"""Calendar-month clocks (DECISIONS.md, Clocks)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rrall.classify.months import add_months, age_in_years, months_between


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2015-01-14", "2016-07-14", 18),  # the DECISIONS.md example
        ("2015-01-14", "2016-07-13", 17),
        ("2015-01-31", "2015-02-28", 1),  # clipped to the month's last day
        ("2015-01-31", "2015-02-27", 0),
        ("2016-02-29", "2017-02-28", 12),  # leap day
        ("2015-03-31", "2015-04-30", 1),
        ("2015-03-31", "2015-04-29", 0),
        ("2020-05-05", "2020-05-05", 0),
        ("2014-12-15", "2017-12-15", 36),
        ("2014-12-15", "2017-12-14", 35),
    ],
)
def test_months_between(start: str, end: str, months: int) -> None:
    assert months_between(date.fromisoformat(start), date.fromisoformat(end)) == months


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError):
        months_between(date(2020, 1, 2), date(2020, 1, 1))


def test_age_has_months() -> None:
    assert age_in_years(date(2020, 1, 1), date(2020, 7, 1)) == 0.5
    assert age_in_years(date(2005, 6, 10), date(2026, 6, 9)) == 20.92


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 1, 1)),
       st.integers(min_value=0, max_value=400))
def test_add_months_is_inverse(start: date, months: int) -> None:
    assert months_between(start, add_months(start, months)) == months
