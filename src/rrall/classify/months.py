"""Calendar-month arithmetic, written once: every clock in rrall counts calendar months.

N whole months have passed from A to B when B is on or after the same day of the month
N months after A, clipped to that month's last day: 2015-01-14 -> 2016-07-14 is 18 months,
-> 2016-07-13 is 17; 2015-01-31 -> 2015-02-28 is 1.
"""

from __future__ import annotations

import calendar
from datetime import date


def add_months(start: date, months: int) -> date:
    """`start` moved by whole months, the day clipped to the target month's length."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))


def months_between(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end` (end on or after start)."""
    if end < start:
        raise ValueError(f"{end} is before {start}")
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end < add_months(start, months):
        months -= 1
    return months


def age_in_years(birth: date, on: date) -> float:
    """Age as years with months (a 6-month-old is 0.5), rounded to two decimals."""
    return years_of_months(months_between(birth, on))


def years_of_months(months: int) -> float:
    """Whole months as years, rounded to two decimals (the form ages are shown in)."""
    return round(months / 12, 2)
