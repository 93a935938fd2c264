"""Swedish working days: weekdays that are not public holidays (helgdagar, Lag 1989:253), and
the first of them in a month. Pure: no storage, no text."""

from __future__ import annotations

import datetime as dt
from functools import cache


def easter(year: int) -> dt.date:
    """Easter Sunday of `year` in the Gregorian calendar (the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (2 * e + 2 * i - h - k + 32) % 7
    m = (a + 11 * h + 19 * ell) // 433
    month = (h + ell - 7 * m + 90) // 25
    return dt.date(year, month, (h + ell - 7 * m + 33 * month + 19) % 32)


@cache
def holidays(year: int) -> frozenset[dt.date]:
    """The year's Swedish public holidays that can fall on a weekday, with midsommarafton,
    julafton and nyårsafton (days off in practice)."""
    sunday = easter(year)
    midsummer_eve = next(
        dt.date(year, 6, d) for d in range(19, 26) if dt.date(year, 6, d).weekday() == 4
    )
    return frozenset(
        {
            dt.date(year, 1, 1),  # nyårsdagen
            dt.date(year, 1, 6),  # trettondedag jul
            sunday - dt.timedelta(days=2),  # långfredagen
            sunday + dt.timedelta(days=1),  # annandag påsk
            dt.date(year, 5, 1),  # första maj
            sunday + dt.timedelta(days=39),  # Kristi himmelsfärdsdag
            dt.date(year, 6, 6),  # nationaldagen
            midsummer_eve,
            dt.date(year, 12, 24),
            dt.date(year, 12, 25),
            dt.date(year, 12, 26),
            dt.date(year, 12, 31),
        }
    )


def is_workday(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def first_workday(year: int, month: int) -> dt.date:
    """The month's first working day (2 January when the 1st is a Monday, say)."""
    day = dt.date(year, month, 1)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def is_first_workday(day: dt.date) -> bool:
    """Whether `day` is its month's first working day."""
    return day == first_workday(day.year, day.month)
