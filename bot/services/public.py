"""The public promise page's content: a promise as anyone may see it, without signing in.

Only what the deployment publishes (titles, summaries, periods, parties, commitments, the
updates staff published to followers) and aggregated counts of reports: counts under three
are not shown exactly (bot.domain.promises.small_count, as in the monthly digest), and places
only as grid cells of at least three reports (bot.domain.public_map). Never who reported,
what they wrote, or where exactly.

The counts and cells are a weekly snapshot, not live: they take only reports received before
this week began (Monday 00:00 in the deployment's time zone), so loading the page before and
after someone reports shows nothing of their report. A snapshot is computed once a week per
promise (kept in memory, one per promise) and its aggregation runs off the event loop. The
commitments' status and the published updates stay live (staff publish them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.deeplinks import station_payload
from bot.domain.deployment import CommitmentStatus, Deployment, Promise
from bot.domain.promises import (
    DEFAULT_PROGRESS,
    Localized,
    commitment_in,
    has_ended,
    has_started,
    outcome,
    promise_progress,
    small_count,
    summary_in,
    title_in,
)
from bot.domain.public_map import Cell, aggregate
from bot.services.trygghet import PublicTrygghet, Trygghet
from bot.services.updates import Updates
from bot.services.web import Clock, system_clock
from storage.database import Database
from storage.public import PublicRepository

#: How many of the latest updates the page shows.
LATEST_UPDATES = 5


def week_start(day: dt.date) -> dt.date:
    """The Monday of `day`'s week: the snapshot counts reports received before it."""
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class BotLink:
    """A link into the bot: `station` names the station whose report it starts (None: the
    plain address)."""

    url: str
    station: str | None = None


def bot_links(deployment: Deployment, username: str, promise: Promise | None) -> list[BotLink]:
    """The links into the bot for a public page (`username` with or without '@'; none when
    empty): a deep link that starts a report at each of the promise's stations (payload
    s_<station id>, as on the posters), so a resident skips choosing the station; without a
    promise, or when it names no station, the plain address."""
    from telegram.helpers import create_deep_linked_url

    name = username.removeprefix("@")
    if not name:
        return []
    stations = [deployment.station(s) for s in promise.stations] if promise else []
    if not stations:
        return [BotLink(f"https://t.me/{name}")]
    return [BotLink(create_deep_linked_url(name, station_payload(s.id)), s.name) for s in stations]


@dataclass(frozen=True)
class CommitmentView:
    text: Localized
    status: CommitmentStatus
    progress: int
    due: dt.date | None


@dataclass(frozen=True)
class UpdateView:
    date: dt.date
    commitment: Localized
    text: str


@dataclass(frozen=True)
class CategoryCount:
    """Reports in one category: `label` None for ideas; `count` None for fewer than three."""

    label: str | None
    count: int | None


@dataclass(frozen=True)
class Snapshot:
    """A promise's reports up to and including `through` (None: its period had not begun):
    counts by category ('idea' for ideas) and the map's cells; and the trygghetsmätning's
    last month that ended before the snapshot's week (None: not begun, or not asked for)."""

    through: dt.date | None
    counts: dict[str, int]
    cells: list[Cell]
    trygghet: PublicTrygghet | None = None


@dataclass(frozen=True)
class PromisePage:
    promise: Promise
    title: Localized
    summary: Localized
    parties: list[str]
    stations: list[str]
    started: bool
    ended: bool
    progress: int
    done: int
    total: int
    commitments: list[CommitmentView]
    updates: list[UpdateView]
    said: list[CategoryCount]
    published: int
    cells: list[Cell]
    through: dt.date | None
    trygghet: PublicTrygghet | None = None


class PublicPromises:
    """The deployment's promises for the public page, read through `Updates` and a read-only
    repository of aggregated counts; `clock` gives the time (tests pass their own)."""

    def __init__(
        self,
        deployment: Deployment,
        updates: Updates,
        repository: PublicRepository,
        clock: Clock = system_clock,
        trygghet: Trygghet | None = None,
    ):
        self.deployment = deployment
        self.updates = updates
        self.repository = repository
        self.trygghet = trygghet
        self.zone = ZoneInfo(deployment.deployment.timezone)
        self._clock = clock
        #: {promise id: (the week's Monday, its snapshot)}: one entry per promise.
        self._snapshots: dict[str, tuple[dt.date, Snapshot]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @classmethod
    def of(
        cls,
        deployment: Deployment,
        updates: Updates,
        db: Database,
        clock: Clock = system_clock,
        trygghet: Trygghet | None = None,
    ) -> PublicPromises:
        return cls(deployment, updates, PublicRepository(db), clock, trygghet)

    def today(self) -> dt.date:
        """Today in the deployment's time zone, by the clock."""
        return self._clock().astimezone(self.zone).date()

    def promises(self) -> list[Promise]:
        return list(self.deployment.promises)

    def promise(self, promise_id: str) -> Promise | None:
        return next((p for p in self.deployment.promises if p.id == promise_id), None)

    def _period(self, promise: Promise, monday: dt.date) -> tuple[dt.date, dt.date]:
        """The snapshot's days [start, end): the promise's period up to `monday`."""
        return promise.start, min(promise.end + dt.timedelta(days=1), monday)

    def _utc(self, day: dt.date) -> str:
        local = dt.datetime.combine(day, dt.time(), self.zone)
        return local.astimezone(dt.UTC).isoformat(timespec="seconds")

    async def snapshot(self, promise: Promise) -> Snapshot:
        """This week's snapshot of the promise's reports: computed on the first request of
        the week, then kept (one per promise)."""
        monday = week_start(self.today())
        lock = self._locks.setdefault(promise.id, asyncio.Lock())
        async with lock:
            kept = self._snapshots.get(promise.id)
            if kept is None or kept[0] != monday:
                kept = (monday, await self._compute(promise, monday))
                self._snapshots[promise.id] = kept
            return kept[1]

    async def _compute(self, promise: Promise, monday: dt.date) -> Snapshot:
        first, end = self._period(promise, monday)
        if end <= first:
            return Snapshot(None, {}, [])
        start, stop = self._utc(first), self._utc(end)
        counts = await self.repository.reports_by_category(promise.stations, start, stop)
        places = await self.repository.report_places(promise.stations, start, stop)
        # Many thousands of places: grouped in a worker thread, not on the event loop.
        cells = await asyncio.to_thread(aggregate, places)
        # The last month that ended before this week: never the month still running.
        trygghet = await self.trygghet.public(promise, monday) if self.trygghet else None
        return Snapshot(end - dt.timedelta(days=1), counts, cells, trygghet)

    async def cells(self, promise: Promise) -> list[Cell]:
        """The map's cells: reports at the promise's stations during it up to this week, at
        least three a cell."""
        return (await self.snapshot(promise)).cells

    async def page(self, promise: Promise, lang: str) -> PromisePage:
        today = self.today()
        states, _ = await self.updates.progress()
        commitments = [
            CommitmentView(
                commitment_in(c, lang),
                states[c.id].status if c.id in states else c.status,
                states[c.id].progress if c.id in states else DEFAULT_PROGRESS[c.status],
                c.due,
            )
            for c in promise.commitments
        ]
        by_id = {c.id: c for c in promise.commitments}
        updates = [
            UpdateView(
                self.updates.local_date(u.created_at),
                commitment_in(by_id[u.commitment_id], lang),
                u.text,
            )
            for u in await self.repository.updates(list(by_id), LATEST_UPDATES)
        ]
        snapshot = await self.snapshot(promise)
        said = [
            CategoryCount(
                None if category == "idea" else self._category(category, lang),
                small_count(count),
            )
            for category, count in sorted(snapshot.counts.items())
        ]
        actors = {a.id: a.name for a in self.deployment.actors}
        done, total = outcome(promise, states)
        return PromisePage(
            promise=promise,
            title=title_in(promise, lang),
            summary=summary_in(promise, lang),
            parties=[actors.get(a, a) for a in promise.parties],
            stations=[self.deployment.station(s).name for s in promise.stations],
            started=has_started(promise, today),
            ended=has_ended(promise, today),
            progress=promise_progress(promise, states),
            done=done,
            total=total,
            commitments=commitments,
            updates=updates,
            said=said,
            published=await self.repository.update_count(list(by_id)),
            cells=snapshot.cells,
            through=snapshot.through,
            trygghet=snapshot.trygghet,
        )

    def _category(self, category_id: str, lang: str) -> str:
        return self.deployment.category_label(category_id, lang) or category_id
