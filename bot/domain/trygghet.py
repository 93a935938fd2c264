"""Honest numbers from the trygghetsmätning: the share of residents who feel safe at a
station in a month, with a 95 % Wilson score interval, hidden below MIN_ANSWERS answers; a
trend over months; and a before/after comparison with Newcombe's interval for the change.

The scale is five steps (bot.domain.pulse.SCALE): 1 mycket otrygg … 5 mycket trygg. "Feeling
safe" is 4 or 5. Months are 'YYYY-MM' strings (the month an answer is about)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Scores that count as feeling safe ("ganska trygg", "mycket trygg").
SAFE_SCORES = frozenset({4, 5})
#: Fewer answers than this are not shown (neither the share nor the count).
MIN_ANSWERS = 5
#: The normal quantile of a two-sided 95 % interval.
Z95 = 1.959963984540054
#: How many months before a promise's start are its "before".
BEFORE_MONTHS = 12


def wilson(safe: int, answers: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion safe/answers (0 ≤ low ≤ high ≤ 1)."""
    if answers <= 0:
        raise ValueError("no answers")
    if not 0 <= safe <= answers:
        raise ValueError(f"{safe} of {answers}")
    p = safe / answers
    z2 = z * z
    denominator = 1 + z2 / answers
    centre = (p + z2 / (2 * answers)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / answers + z2 / (4 * answers * answers))
    # At 0 and at all the limit is exactly 0 or 1; rounding would leave 1e-17 or 0.99999….
    low = 0.0 if safe == 0 else max(0.0, centre - half)
    high = 1.0 if safe == answers else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Share:
    """How many of the answers were 'safe'."""

    safe: int = 0
    answers: int = 0

    @property
    def suppressed(self) -> bool:
        """Too few answers to show anything (the count included)."""
        return self.answers < MIN_ANSWERS

    @property
    def share(self) -> float | None:
        return None if self.suppressed else self.safe / self.answers

    @property
    def interval(self) -> tuple[float, float] | None:
        return None if self.suppressed else wilson(self.safe, self.answers)

    def __add__(self, other: Share) -> Share:
        return Share(self.safe + other.safe, self.answers + other.answers)


def share_of(scores: Mapping[int, int]) -> Share:
    """A Share from answers per score."""
    return Share(
        sum(n for score, n in scores.items() if score in SAFE_SCORES), sum(scores.values())
    )


def pooled(shares: Iterable[Share]) -> Share:
    """Cells pooled: a suppressed cell (one station, one month, fewer than MIN_ANSWERS) is
    left out, so that no hidden cell can be recovered by subtracting shown figures."""
    return sum((s for s in shares if not s.suppressed), Share())


@dataclass(frozen=True)
class Difference:
    """after − before, in shares (−1…1), with Newcombe's hybrid score interval (method 10)."""

    estimate: float
    low: float
    high: float

    @property
    def clear(self) -> bool:
        """The interval does not include 0: a change the answers can show."""
        return self.low > 0 or self.high < 0


def difference(after: Share, before: Share) -> Difference | None:
    """The change from `before` to `after`; None when either side is suppressed."""
    if after.suppressed or before.suppressed:
        return None
    p1, p2 = after.safe / after.answers, before.safe / before.answers
    l1, u1 = wilson(after.safe, after.answers)
    l2, u2 = wilson(before.safe, before.answers)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Difference(d, low, high)


# ---------------------------------------------------------------------- months
def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> dt.date:
    """The first day of a 'YYYY-MM' month."""
    return dt.date.fromisoformat(f"{month}-01")


def add_months(month: str, n: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months(first: str, last: str) -> list[str]:
    """first..last inclusive (empty when last is before first)."""
    out: list[str] = []
    month = first
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


@dataclass(frozen=True)
class BeforeAfter:
    """The months before a promise (up to BEFORE_MONTHS) against its months so far."""

    before_months: tuple[str, ...]
    during_months: tuple[str, ...]
    before: Share
    during: Share

    @property
    def difference(self) -> Difference | None:
        return difference(self.during, self.before)


def before_after(
    monthly: Mapping[str, Share], start: dt.date, end: dt.date, last: str
) -> BeforeAfter:
    """Pool `monthly` into the BEFORE_MONTHS months before the promise's start month and its
    own months from its first whole month to its end month or `last` (the latest month
    counted), whichever comes first. A promise that starts after the 1st: its start month is
    partly before and partly during, so it is in neither."""
    first = month_of(start)
    before = tuple(months(add_months(first, -BEFORE_MONTHS), add_months(first, -1)))
    during = tuple(months(first_during(start), min(month_of(end), last)))
    return BeforeAfter(
        before,
        during,
        pooled(monthly.get(m, Share()) for m in before),
        pooled(monthly.get(m, Share()) for m in during),
    )


def first_during(start: dt.date) -> str:
    """A promise's first month 'during': its start month when it starts on the 1st, else
    the month after."""
    first = month_of(start)
    return first if start.day == 1 else add_months(first, 1)


def trend(monthly: Mapping[str, Share], first: str, last: str) -> list[tuple[str, Share]]:
    """Each month first..last with its share (an empty Share for a month without answers)."""
    return [(m, monthly.get(m, Share())) for m in months(first, last)]
