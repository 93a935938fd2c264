"""The public promise page's content: a promise as anyone may see it, without signing in.

Only what the deployment publishes (titles, summaries, periods, parties, commitments, the
updates staff published to followers) and aggregated counts of reports: counts under three
are not shown exactly (bot.domain.promises.small_count, as in the monthly digest), and places
only as grid cells of at least three reports (bot.domain.public_map). Never who reported,
what they wrote, or where exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

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
from bot.services.updates import Updates
from storage.database import Database
from storage.public import PublicRepository

#: How many of the latest updates the page shows.
LATEST_UPDATES = 5


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


class PublicPromises:
    """The deployment's promises for the public page, read through `Updates` and a read-only
    repository of aggregated counts."""

    def __init__(self, deployment: Deployment, updates: Updates, repository: PublicRepository):
        self.deployment = deployment
        self.updates = updates
        self.repository = repository
        self.zone = ZoneInfo(deployment.deployment.timezone)

    @classmethod
    def of(cls, deployment: Deployment, updates: Updates, db: Database) -> PublicPromises:
        return cls(deployment, updates, PublicRepository(db))

    def promises(self) -> list[Promise]:
        return list(self.deployment.promises)

    def promise(self, promise_id: str) -> Promise | None:
        return next((p for p in self.deployment.promises if p.id == promise_id), None)

    def _period(self, promise: Promise) -> tuple[str, str]:
        """The promise's period so far as stored times: local midnights in UTC, ISO."""
        tomorrow = self.updates.today() + dt.timedelta(days=1)
        end = min(promise.end + dt.timedelta(days=1), tomorrow)
        return self._utc(promise.start), self._utc(end)

    def _utc(self, day: dt.date) -> str:
        local = dt.datetime.combine(day, dt.time(), self.zone)
        return local.astimezone(dt.UTC).isoformat(timespec="seconds")

    async def cells(self, promise: Promise) -> list[Cell]:
        """The map's cells: reports at the promise's stations during it, at least three a
        cell."""
        start, end = self._period(promise)
        return aggregate(await self.repository.report_places(promise.stations, start, end))

    async def page(self, promise: Promise, lang: str) -> PromisePage:
        today = self.updates.today()
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
        start, end = self._period(promise)
        counts = await self.repository.reports_by_category(promise.stations, start, end)
        said = [
            CategoryCount(
                None if category == "idea" else self._category(category, lang),
                small_count(count),
            )
            for category, count in sorted(counts.items())
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
            cells=await self.cells(promise),
        )

    def _category(self, category_id: str, lang: str) -> str:
        return self.deployment.category_label(category_id, lang) or category_id
