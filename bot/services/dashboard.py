"""The dashboard's map and list: the cases a signed-in member may open, filtered.

The web handler hands the GET form here and renders what comes back; which cases, which
filter values are allowed and how a case is shown are decided here and in
bot.domain.dashboard, with the same access policy as the bot (bot.domain.access).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain import dashboard as rules
from bot.domain.access import StaffLike
from bot.domain.deployment import Deployment
from bot.domain.lifecycle import Status
from bot.i18n import Catalogs, date_time
from storage.dashboard import CaseQuery, DashboardRepository, ListedCase
from storage.database import Database

BadFilter = rules.BadFilter
Filters = rules.Filters


@dataclass(frozen=True)
class Choices:
    """The form's options: (value, label) of the stations the member may see, the
    categories, the statuses and the kinds (reports, ideas)."""

    stations: list[tuple[str, str]]
    categories: list[tuple[str, str]]
    statuses: list[tuple[str, str]]
    kinds: list[tuple[str, str]]


@dataclass(frozen=True)
class Shown:
    """A case as the list and the map show it. `approximate`: it has no location of its
    own, so it stands at its station."""

    reference: str
    station: str
    category: str
    status: str
    when: str
    text: str
    lat: float | None
    lon: float | None
    approximate: bool


@dataclass(frozen=True)
class Listing:
    """One page of cases. `anything`: the member's scope has a case at all, in any period
    and with any filter (False: none yet, so the page says so instead of "none match")."""

    cases: list[Shown]
    total: int
    page: int
    pages: int
    anything: bool = True


class Dashboard:
    def __init__(self, deployment: Deployment, catalogs: Catalogs, repo: DashboardRepository):
        self.deployment = deployment
        self.catalogs = catalogs
        self.repo = repo
        self.zone = ZoneInfo(deployment.deployment.timezone)

    @classmethod
    def of(cls, deployment: Deployment, catalogs: Catalogs, db: Database) -> Dashboard:
        return cls(deployment, catalogs, DashboardRepository(db))

    def today(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.zone).date()

    def _stations(self, member: StaffLike) -> list[tuple[str, str]]:
        scope = rules.case_scope(member).stations
        return [(s.id, s.name) for s in self.deployment.stations if scope is None or s.id in scope]

    def choices(self, member: StaffLike, lang: str) -> Choices:
        categories = [(c.id, c.label(lang)) for c in self.deployment.categories]
        statuses = [(s.value, self.catalogs.text(lang, f"status.{s.value}")) for s in Status]
        # The export page's words for the kinds (Rapporter, Idéer).
        kinds = [(kind, self.catalogs.text(lang, f"export.kind_{kind}")) for kind in rules.KINDS]
        return Choices(self._stations(member), categories, statuses, kinds)

    def filters(self, member: StaffLike, form: Mapping[str, str], now: dt.datetime) -> Filters:
        """The member's filters from the form (BadFilter: a value they could not choose)."""
        return rules.parse_filters(
            form,
            today=self.today(now),
            stations={station_id for station_id, _ in self._stations(member)},
            categories={c.id for c in self.deployment.categories},
        )

    def default_filters(self, now: dt.datetime) -> Filters:
        since, until = rules.default_period(self.today(now))
        return Filters(None, None, None, since, until)

    def _query(self, member: StaffLike, filters: Filters) -> CaseQuery:
        scope = rules.case_scope(member)
        stations = scope.stations
        if filters.station is not None:  # one of the member's (checked in `filters`)
            stations = frozenset({filters.station})
        return CaseQuery(
            stations,
            scope.actor,
            filters.category,
            filters.status,
            self._utc(filters.since),
            self._utc(filters.until + dt.timedelta(days=1)),
            filters.kind,
        )

    def _utc(self, day: dt.date) -> str:
        start = dt.datetime.combine(day, dt.time(), self.zone)
        return start.astimezone(dt.UTC).isoformat(timespec="seconds")

    async def listing(self, member: StaffLike, filters: Filters, lang: str) -> Listing:
        """One page of the member's cases, newest first, and how many there are."""
        query = self._query(member, filters)
        total = await self.repo.count(query)
        pages = rules.pages(total)
        page = min(filters.page, pages)
        found = await self.repo.cases(query, rules.PAGE_SIZE, (page - 1) * rules.PAGE_SIZE)
        anything = total > 0 or await self._anything(member)
        return Listing([self._shown(c, lang) for c in found], total, page, pages, anything)

    async def _anything(self, member: StaffLike) -> bool:
        """Whether the member may open any case at all (no filter, no period)."""
        scope = rules.case_scope(member)
        query = CaseQuery(scope.stations, scope.actor, None, None, None, None)
        return await self.repo.count(query) > 0

    async def points(
        self, member: StaffLike, filters: Filters, lang: str
    ) -> tuple[list[Shown], int]:
        """The newest cases for the map (at most MAP_LIMIT) and how many there are."""
        query = self._query(member, filters)
        found = await self.repo.cases(query, rules.MAP_LIMIT)
        total = len(found) if len(found) < rules.MAP_LIMIT else await self.repo.count(query)
        return [self._shown(c, lang) for c in found], total

    def _shown(self, case: ListedCase, lang: str) -> Shown:
        try:
            station = self.deployment.station(case.station_id)
        except KeyError:  # no longer in the deployment file: readable, not on the map
            station = None
        if case.kind == "idea":  # the bot's word on its cards' idea field: "Idé"
            category = self.catalogs.text(lang, "field.idea")
        else:
            category = self.deployment.category_label(case.category, lang) or case.category or ""
        lat, lon, approximate = case.lat, case.lon, False
        if lat is None or lon is None:
            lat, lon = (station.lat, station.lon) if station else (None, None)
            approximate = True
        moment = dt.datetime.fromisoformat(case.created_at).astimezone(self.zone)
        return Shown(
            case.reference,
            station.name if station else case.station_id,
            category,
            self.catalogs.text(lang, f"status.{case.status}"),
            date_time(moment, lang),
            rules.clip(case.description),
            lat,
            lon,
            approximate,
        )
