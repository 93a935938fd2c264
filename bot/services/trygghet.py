"""The trygghetsmätning's results for staff and the public: per month and station (or
several stations pooled, such as a kommun's), a promise's trend and before/after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment, Promise
from bot.domain.promises import today_in
from bot.domain.trygghet import (
    BEFORE_MONTHS,
    BeforeAfter,
    Share,
    add_months,
    before_after,
    month_of,
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


class Trygghet:
    def __init__(self, deployment: Deployment, repo: PulseRepository) -> None:
        self.deployment = deployment
        self.repo = repo
        self.zone = ZoneInfo(deployment.deployment.timezone)

    def this_month(self) -> str:
        return month_of(today_in(self.zone))

    async def monthly(self, stations: Sequence[str], first: str, last: str) -> dict[str, Share]:
        """Each month's Share first..last, the stations' answers pooled."""
        counts = await self.repo.counts(list(stations), first, last)
        out: dict[str, Share] = {}
        for (_, month), scores in counts.items():
            out[month] = out.get(month, Share()) + share_of(scores)
        return out

    async def month(self, stations: Sequence[str], month: str) -> Share:
        return (await self.monthly(stations, month, month)).get(month, Share())

    async def by_station(self, stations: Sequence[str], month: str) -> dict[str, Share]:
        """The month's Share at each station (a station without answers is left out)."""
        counts = await self.repo.counts(list(stations), month, month)
        return {station: share_of(scores) for (station, _), scores in counts.items()}

    async def promise_result(
        self,
        promise: Promise,
        stations: Sequence[str] | None = None,
        last: str | None = None,
    ) -> PromiseResult:
        """The promise's trend and before/after at `stations` (default: all of its own), up to
        `last` (default: this month; never past the promise's end)."""
        chosen = tuple(stations) if stations is not None else tuple(promise.stations)
        last = min(last or self.this_month(), month_of(promise.end))
        first = add_months(month_of(promise.start), -BEFORE_MONTHS)
        monthly = await self.monthly(chosen, first, last)
        return PromiseResult(
            promise,
            chosen,
            trend(monthly, first, last),
            before_after(monthly, promise.start, promise.end, last),
        )

    @staticmethod
    def day(month: str) -> dt.date:
        """The first day of a 'YYYY-MM' month."""
        return dt.date.fromisoformat(f"{month}-01")
