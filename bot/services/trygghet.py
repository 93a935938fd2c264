"""The trygghetsmätning's results for staff and the public: per month and station (or
several stations pooled, such as a kommun's), a promise's trend and before/after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment, Promise
from bot.domain.promises import has_ended, has_started, today_in
from bot.domain.trygghet import (
    BEFORE_MONTHS,
    BeforeAfter,
    Share,
    add_months,
    before_after,
    first_during,
    month_of,
    months,
    pooled,
    share_of,
    trend,
)
from storage.pulse import PulseRepository


@dataclass(frozen=True)
class PromiseResult:
    """A promise's answers at some of its stations: each month from BEFORE_MONTHS before its
    start to its end (or `last`), and before against during."""

    promise: Promise
    stations: tuple[str, ...]
    trend: list[tuple[str, Share]]
    comparison: BeforeAfter

    @property
    def during(self) -> list[tuple[str, Share]]:
        """The trend over the promise's own months so far."""
        return [(m, s) for m, s in self.trend if m in self.comparison.during_months]


#: How many complete months (the last complete one the last) the staff overview shows per
#: station when no period is asked for.
OVERVIEW_MONTHS = 3


@dataclass(frozen=True)
class Overview:
    """For staff: each station's recent months, and each running promise at these stations
    (its trend and before/after over the stations of it that are among them)."""

    months: tuple[str, ...]
    stations: list[tuple[str, list[tuple[str, Share]]]]
    promises: list[PromiseResult]

    @property
    def answered(self) -> bool:
        """Whether anyone answered in these months or in a shown promise's months."""
        shares = [s for _, months in self.stations for _, s in months]
        shares += [s for result in self.promises for _, s in result.trend]
        return any(s.answers for s in shares)


@dataclass(frozen=True)
class PublicTrygghet:
    """One month's share at a promise's stations pooled, and the year before the promise
    (None when the month is not one of the promise's months: `start` says when it began)."""

    month: str
    share: Share
    before: Share | None
    stations: tuple[str, ...] = ()
    start: dt.date | None = None


def by_month(
    cells: Mapping[tuple[str, str], Share], stations: Sequence[str], first: str, last: str
) -> dict[str, Share]:
    """Each month first..last of `cells` at `stations`, the cells pooled: a cell with fewer
    than MIN_ANSWERS answers is left out (trygghet.pooled)."""
    per_month: dict[str, list[Share]] = {}
    for (station, month), share in cells.items():
        if station in stations and first <= month <= last:
            per_month.setdefault(month, []).append(share)
    return {month: pooled(shares) for month, shares in per_month.items()}


def result_of(
    promise: Promise,
    stations: tuple[str, ...],
    first: str,
    last: str,
    monthly: Mapping[str, Share],
) -> PromiseResult:
    """The promise's trend first..last and before/after from its pooled `monthly` shares."""
    return PromiseResult(
        promise,
        stations,
        trend(monthly, first, last),
        before_after(monthly, promise.start, promise.end, last),
    )


class Trygghet:
    def __init__(self, deployment: Deployment, repo: PulseRepository) -> None:
        self.deployment = deployment
        self.repo = repo
        self.zone = ZoneInfo(deployment.deployment.timezone)

    def this_month(self) -> str:
        return month_of(today_in(self.zone))

    def last_complete(self) -> str:
        """The last month that has ended (the one before this month)."""
        return add_months(self.this_month(), -1)

    async def cells(
        self, stations: Sequence[str], first: str, last: str
    ) -> dict[tuple[str, str], Share]:
        """Each (station, month) cell's Share first..last; only complete months (the running
        month's answers would give away each new answer), so never past last_complete()."""
        last = min(last, self.last_complete())
        if not stations or last < first:
            return {}
        counts = await self.repo.counts(list(stations), first, last)
        return {cell: share_of(scores) for cell, scores in counts.items()}

    async def monthly(self, stations: Sequence[str], first: str, last: str) -> dict[str, Share]:
        """Each complete month's Share first..last, the stations' cells pooled: a cell with
        fewer than MIN_ANSWERS answers is left out (trygghet.pooled)."""
        return by_month(await self.cells(stations, first, last), stations, first, last)

    async def month(self, stations: Sequence[str], month: str) -> Share:
        return (await self.monthly(stations, month, month)).get(month, Share())

    async def by_station(self, stations: Sequence[str], month: str) -> dict[str, Share]:
        """The month's Share at each station (a station without answers is left out; nothing
        for a month that has not ended)."""
        cells = await self.cells(stations, month, month)
        return {station: share for (station, _), share in cells.items()}

    async def promise_result(
        self,
        promise: Promise,
        stations: Sequence[str] | None = None,
        last: str | None = None,
    ) -> PromiseResult:
        """The promise's trend and before/after at `stations` (default: all of its own), up to
        `last` (default and at most: the last complete month; never past the promise's end).
        Each month pools only the cells with at least MIN_ANSWERS answers."""
        chosen = tuple(stations) if stations is not None else tuple(promise.stations)
        first, last = self._span(promise, last)
        return result_of(promise, chosen, first, last, await self.monthly(chosen, first, last))

    def _span(self, promise: Promise, last: str | None) -> tuple[str, str]:
        """The first and last month of promise_result's trend (see there)."""
        last = min(last or self.last_complete(), self.last_complete(), month_of(promise.end))
        return add_months(month_of(promise.start), -BEFORE_MONTHS), last

    def complete_months(self, since: dt.date | None, until: dt.date | None) -> tuple[str, str]:
        """The first and last complete month within the days since..until (`until`
        exclusive, as bot.domain.stats.Period; None: open). Without bounds: the last
        OVERVIEW_MONTHS complete months. The first may come after the last (no such month)."""
        last = self.last_complete()
        if until is not None:
            last = min(last, add_months(month_of(until), -1))
        if since is None:
            return add_months(last, 1 - OVERVIEW_MONTHS), last
        return first_during(since), last

    async def overview(
        self,
        stations: Sequence[str] | None,
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> Overview:
        """What `stations` (None: all) show in the complete months of since..until (default:
        the last OVERVIEW_MONTHS complete months), each station's month a cell."""
        chosen = [s.id for s in self.deployment.stations] if stations is None else list(stations)
        first, last = self.complete_months(since, until)
        shown = tuple(months(first, last))
        today = today_in(self.zone)
        running = [
            (p, tuple(s for s in p.stations if s in chosen), *self._span(p, last))
            for p in self.deployment.promises
            if shown
            if has_started(p, today) and not has_ended(p, today) and set(p.stations) & set(chosen)
        ]
        # One read of the cells for the stations and every month shown or in a promise's trend.
        cells = await self.cells(chosen, min([first, *(r[2] for r in running)]), last)
        rows = [
            (station, [(m, cells.get((station, m), Share())) for m in shown]) for station in chosen
        ]
        results = [
            result_of(p, at, since_p, last_p, by_month(cells, at, since_p, last_p))
            for p, at, since_p, last_p in running
        ]
        return Overview(shown, rows, results)

    async def public(self, promise: Promise, before: dt.date) -> PublicTrygghet:
        """For the public promise page: the last month that ended before the day `before`
        (never past the promise's end), its stations pooled, and the year before the promise
        when that month is one of the promise's."""
        month = min(add_months(month_of(before), -1), month_of(promise.end), self.last_complete())
        n = tuple(promise.stations)
        if month < first_during(promise.start):
            share = await self.month(promise.stations, month)
            return PublicTrygghet(month, share, None, n, promise.start)
        # The trend ends at `month`, over the same stations: its last entry is the month's share.
        result = await self.promise_result(promise, last=month)
        share = result.trend[-1][1]
        return PublicTrygghet(month, share, result.comparison.before, n, promise.start)
