"""The monthly lägesbild of a station or a kommun (Lag 2023:196 § 4): a kartläggning (cases
per category and week, where, times of day, response times per actor, the promise's
commitments and progress, the trygghet trend, "ni sa, vi gjorde") and an analys section,
as a PDF (`trygghetsbot lagesbild`, the monthly mail to admins) and as a web page.

`Lagesbilder.build` gathers the month's numbers into a `Lagesbild` (its parts are in
bot.domain.lagesbild); `LagesbildText` words them and bot.lagesbild_pdf lays out the PDF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment, Promise
from bot.domain.lagesbild import (
    NO_TIMES,
    NO_TRYGGHET,
    ActorTimes,
    CommitmentRow,
    MapCell,
    MapStation,
    PromiseRow,
    PromiseTrygghet,
    TrygghetPart,
    UpdateRow,
    hour_blocks,
    map_cells,
    month_weeks,
    states_as_of,
)
from bot.domain.lifecycle import Action
from bot.domain.promises import month_bounds, promise_progress, running_during, today_in
from bot.domain.stats import Durations, Period, summarise, weekly
from bot.domain.trygghet import Share, add_months, month_of
from bot.i18n import Catalogs
from bot.services.trygghet import Trygghet
from storage.database import Database
from storage.lagesbild import LagesbildRepository
from storage.promises import PromiseRepository
from storage.pulse import PulseRepository
from storage.stats import StatsRepository

RESOLVE_ACTIONS = (Action.RESOLVE, Action.REJECT)
#: A staff action that takes a case out of "new" (as cases.acknowledged_at) / closes it
#: (as cases.resolved_at): an actor's own first such event times its acknowledgement /
#: resolution.
ACKNOWLEDGING = tuple(a.value for a in (Action.ACKNOWLEDGE, Action.START, *RESOLVE_ACTIONS))
RESOLVING = tuple(a.value for a in RESOLVE_ACTIONS)


@dataclass(frozen=True)
class Scope:
    """What a lägesbild covers: one station, or the stations of a kommun (or those of them
    that an admin works at)."""

    kind: str  # "station" or "kommun"
    name: str  # the station's or the kommun's name, as shown
    stations: tuple[str, ...]


def station_scope(deployment: Deployment, station_id: str) -> Scope | None:
    station = deployment.directory.stations.get(station_id)
    return None if station is None else Scope("station", station.name, (station.id,))


def kommun_scope(deployment: Deployment, name: str) -> Scope | None:
    """The kommun's stations (its name in any case); None: no station is in such a kommun."""
    found = [s for s in deployment.stations if s.kommun.casefold() == name.strip().casefold()]
    return Scope("kommun", found[0].kommun, tuple(s.id for s in found)) if found else None


@dataclass(frozen=True)
class Lagesbild:
    """One month's lägesbild of a scope: every number the PDF and the web page show. Counts
    are of cases (reports and ideas) created in the month (local time) at the scope's
    stations; category keys are category ids, ideas under "idea" (bot.domain.stats.IDEA)."""

    scope: Scope
    """The station or kommun covered."""
    month: str
    """'YYYY-MM'."""
    start: dt.date
    """The month's first day."""
    end: dt.date
    """The next month's first day (exclusive)."""
    total: int = 0
    """Cases in the month."""
    categories: dict[str, int] = field(default_factory=dict)
    """Cases per category in the month, the most first; also "ni sa", exact (an internal
    document)."""
    previous: dict[str, int] = field(default_factory=dict)
    """Cases per category in the month before."""
    weeks: tuple[str, ...] = ()
    """The ISO weeks ('2026-v44') with a day in the month."""
    per_week: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Category -> cases per week of `weeks` (by the local day the case came in)."""
    stations: tuple[MapStation, ...] = ()
    """The scope's stations, drawn on the map."""
    cells: tuple[MapCell, ...] = ()
    """The month's cases with a place, counted in grid cells (under 3: "färre än 3")."""
    unplaced: int = 0
    """Cases without a place on the map."""
    times: dict[str, int] = field(default_factory=dict)
    """When it happens, as reporters said (the case's `times`: morning, day, evening, night,
    weekday, weekend) -> reports naming it."""
    hours: tuple[int, ...] = (0,) * 24
    """Cases per local hour they came in (24 counts)."""
    response: tuple[ActorTimes, ...] = ()
    """Per actor the month's cases were routed to: time to acknowledge and to resolve."""
    response_all: ActorTimes = NO_TIMES
    """All the month's cases together."""
    response_previous: ActorTimes = NO_TIMES
    """All cases of the month before together."""
    unacknowledged: int = 0
    """The month's cases not yet acknowledged when the lägesbild was made."""
    unresolved: int = 0
    """The month's cases not yet resolved when the lägesbild was made."""
    as_of: dt.date | None = None
    """The local day the response times and open counts are from."""
    promises: tuple[PromiseRow, ...] = ()
    """The promises running at the scope's stations during the month, with progress."""
    commitments: tuple[CommitmentRow, ...] = ()
    """Their commitments (at the scope's stations) with status and progress as of the month's
    last day (the updates published until then; before any: the deployment file's status)."""
    trygghet: TrygghetPart = NO_TRYGGHET
    """The trygghetsmätning: the month, the month before, per running promise its trend and
    before/after at the scope's stations that belong to it."""
    updates: tuple[UpdateRow, ...] = ()
    """"Vi gjorde": the commitment updates published during the month."""

    @property
    def blocks(self) -> tuple[tuple[int, int, int], ...]:
        """(first hour, end hour, cases) per block of the day."""
        return hour_blocks(self.hours)


def _by_category(counts: Sequence[tuple[str, str, str, int]]) -> dict[str, int]:
    """Cases per category from StatsRepository.counts' rows, the most first."""
    out: dict[str, int] = {}
    for _, category, _, n in counts:
        out[category] = out.get(category, 0) + n
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


class Lagesbilder:
    def __init__(self, deployment: Deployment, catalogs: Catalogs, db: Database) -> None:
        self.deployment = deployment
        self.catalogs = catalogs
        self.db = db
        self.zone = ZoneInfo(deployment.deployment.timezone)
        self.stats = StatsRepository(db)
        self.repo = LagesbildRepository(db)
        self.promise_repo = PromiseRepository(db)
        self.trygghet = Trygghet(deployment, PulseRepository(db))

    async def build(self, scope: Scope, month: str) -> Lagesbild:
        """The month's lägesbild of `scope` (month: 'YYYY-MM')."""
        start, end = month_bounds(month)
        since, until = (
            str(b) for b in Period(start, end).utc_bounds(self.deployment.deployment.timezone)
        )
        today = today_in(self.zone)
        categories, to_acknowledge, to_resolve = await self._cases(Period(start, end), scope)
        previous, acknowledged_before, resolved_before = await self._cases(
            Period(*month_bounds(add_months(month, -1))), scope
        )
        hours = [0] * 24
        days: list[tuple[dt.date, str, int]] = []
        for hour, category, n in await self.stats.per_hour(since, until, scope.stations):
            moment = dt.datetime.fromisoformat(hour + ":00:00+00:00").astimezone(self.zone)
            hours[moment.hour] += n
            days.append((moment.date(), category, n))
        # Weeks after today's have no series (as /statistik's chart); the month's weeks stay.
        shown, series = weekly(days, start, min(end - dt.timedelta(days=1), today))
        weeks = month_weeks(start, end)
        per_week = {
            c: tuple(series[c][shown.index(w)] if w in shown else 0 for w in weeks) for c in series
        }
        places = await self.repo.places(since, until, scope.stations)
        unacknowledged, unresolved = await self.repo.still_open(since, until, scope.stations)
        return Lagesbild(
            scope,
            month,
            start,
            end,
            total=sum(categories.values()),
            categories=categories,
            previous=previous,
            weeks=weeks,
            per_week=per_week,
            stations=tuple(
                MapStation(s.id, s.name, s.lat, s.lon)
                for s in self.deployment.stations
                if s.id in scope.stations
            ),
            cells=map_cells(p for p in places if p is not None),
            unplaced=sum(1 for p in places if p is None),
            times=await self.repo.times(since, until, scope.stations),
            hours=tuple(hours),
            response=await self._per_actor(since, until, scope.stations),
            response_all=ActorTimes("", "", to_acknowledge, to_resolve),
            response_previous=ActorTimes("", "", acknowledged_before, resolved_before),
            unacknowledged=unacknowledged,
            unresolved=unresolved,
            as_of=today,
            **await self._promises(scope, month, start, end, since, until),
        )

    async def _cases(
        self, period: Period, scope: Scope
    ) -> tuple[dict[str, int], Durations, Durations]:
        """The period's cases per category, and their times to acknowledge and to resolve."""
        since, until = period.utc_bounds(self.deployment.deployment.timezone)
        counts = await self.stats.counts(since, until, scope.stations)
        acknowledged = await self.stats.waits("acknowledged_at", since, until, scope.stations)
        resolved = await self.stats.waits("resolved_at", since, until, scope.stations)
        return _by_category(counts), summarise(acknowledged), summarise(resolved)

    async def _per_actor(
        self, since: str, until: str, stations: Sequence[str]
    ) -> tuple[ActorTimes, ...]:
        repo = self.repo
        acked = await repo.actor_waits(ACKNOWLEDGING, since, until, stations)
        resolved = await repo.actor_waits(RESOLVING, since, until, stations)
        actors = self.deployment.directory.in_file_order(await repo.actors(since, until, stations))
        return tuple(
            ActorTimes(
                a.id,
                a.name,
                summarise(w for who, w in acked if who == a.id),
                summarise(w for who, w in resolved if who == a.id),
            )
            for a in actors
        )

    async def _promises(
        self, scope: Scope, month: str, start: dt.date, end: dt.date, since: str, until: str
    ) -> dict[str, Any]:
        """promises, commitments, trygghet and updates: the promise part of the lägesbild."""
        running: dict[str, Promise] = {}
        for station in scope.stations:
            for p in running_during(self.deployment.directory.promises_at(station), start, end):
                running.setdefault(p.id, p)
        states = states_as_of(
            {c.id: c.status for p in running.values() for c in p.commitments},
            await self.repo.updates_until(until),
        )
        here = [
            (p, c)
            for p in running.values()
            for c in p.commitments
            if not c.stations or set(c.stations) & set(scope.stations)
        ]
        commitments = tuple(
            CommitmentRow(
                p.id,
                c.id,
                c.text,
                ", ".join(a.name for a in self.deployment.directory.in_file_order(c.owners)),
                states[c.id].status.value,
                states[c.id].progress,
            )
            for p, c in here
        )
        titles = {c.id: c.text for _, c in here}
        updates = tuple(
            UpdateRow(
                titles[u.commitment_id],
                u.status,
                u.progress,
                u.text,
                dt.datetime.fromisoformat(u.created_at).astimezone(self.zone).date(),
            )
            for u in await self.promise_repo.updates_between(since, until)
            if u.commitment_id in titles
        )
        trygghet = self.trygghet
        ended = month < trygghet.this_month()
        per_promise = []
        for p in running.values():
            own = [s for s in scope.stations if s in p.stations]
            last = month if ended else add_months(month, -1)  # complete months only
            result = await trygghet.promise_result(p, own, last)
            trend = tuple((m, sh) for m, sh in result.trend if m >= month_of(p.start))
            per_promise.append(PromiseTrygghet(p.id, p.title, trend, result.comparison))
        return {
            "promises": tuple(
                PromiseRow(p.id, p.title, p.start, p.end, promise_progress(p, states))
                for p in running.values()
            ),
            "commitments": commitments,
            "updates": updates,
            "trygghet": TrygghetPart(
                await trygghet.month(scope.stations, month) if ended else Share(),
                await trygghet.month(scope.stations, add_months(month, -1)),
                tuple(per_promise),
                ended,
            ),
        }

    def pdf(self, report: Lagesbild, lang: str = "sv") -> bytes:
        """The lägesbild as a PDF document."""
        from bot.lagesbild_pdf import render
        from bot.services.lagesbild_text import LagesbildText

        labels = {c: self.deployment.category_label(c, lang) or c for c in report.categories}
        return render(report, LagesbildText(self.catalogs, lang, labels))
