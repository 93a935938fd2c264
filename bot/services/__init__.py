"""Use cases: what the bot can do, composed from storage and the domain.

Handlers call these and render the result; they hold no SQL and no business rules.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from bot.admin import AdminTools
from bot.domain.deployment import Deployment, Promise, Station
from bot.domain.guards import looks_like_crime_tip
from bot.domain.intake import Draft, TextProblem
from bot.domain.models import Case, NewCase, Resident
from bot.domain.stations import Nearest, match_stations, nearest_station
from bot.i18n import Catalogs
from bot.media import remove_photos, store_photo
from bot.metrics import Metrics
from bot.services.desk import Desk
from bot.services.membership import Membership
from bot.services.updates import Updates
from bot.settings import Settings
from bot.stats import Statistics
from storage import Database
from storage.audit import AuditRepository
from storage.bot_state import BotStateRepository
from storage.cases import CaseRepository, by_draft, insert
from storage.chats import ChatRepository
from storage.outbox import OutboxRepository, enqueue
from storage.privacy import PrivacyRepository
from storage.promises import PromiseRepository
from storage.residents import ResidentRepository
from storage.staff import StaffRepository
from storage.stats import StatsRepository

log = logging.getLogger(__name__)

ME_TOO_DAYS = 30


class LazyDatabase:
    """Opens the database on first use (PTB's persistence needs it before post_init)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db: Database | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Database:
        async with self._lock:
            if self._db is None:
                self._db = await Database.open(self._path)
            return self._db

    async def bot_state(self) -> BotStateRepository:
        return BotStateRepository(await self.get())

    async def close(self) -> None:
        async with self._lock:
            if self._db is not None:
                await self._db.close()
                self._db = None


class CrimeTip(TextProblem):
    """The draft as a whole names a person and an offence: it is never stored."""


@dataclass(frozen=True)
class Submitted:
    """A draft sent: its case, and whether this send wrote it (False: it was sent before)."""

    case: Case
    new: bool


@dataclass
class Services:
    """Everything a handler may use, opened in post_init and closed in post_shutdown."""

    settings: Settings
    deployment: Deployment
    catalogs: Catalogs
    database: LazyDatabase
    db: Database
    residents: ResidentRepository
    cases: CaseRepository
    staff: StaffRepository
    outbox: OutboxRepository
    desk: Desk
    promises: PromiseRepository
    updates: Updates
    privacy: PrivacyRepository
    audit: AuditRepository
    stats: Statistics
    admin: AdminTools
    membership: Membership
    metrics: Metrics | None = None

    @classmethod
    async def open(
        cls,
        settings: Settings,
        deployment: Deployment,
        catalogs: Catalogs,
        database: LazyDatabase | None = None,
        metrics: Metrics | None = None,
        *,
        sync_staff: bool = True,
    ) -> Services:
        """Open the database and the services. `sync_staff`: make this deployment file the
        truth for staff, as the bot does at start; a one-off command (purge) leaves them be."""
        database = database or LazyDatabase(settings.database)
        db = await database.get()
        cases, staff = CaseRepository(db), StaffRepository(db)
        desk = Desk(
            db, deployment, catalogs, cases, staff, email_enabled=settings.smtp_host is not None
        )
        if sync_staff:
            await desk.sync_staff()
        promises, residents = PromiseRepository(db), ResidentRepository(db)
        await promises.seed(deployment)
        audit = AuditRepository(db)
        return cls(
            settings=settings,
            deployment=deployment,
            catalogs=catalogs,
            database=database,
            db=db,
            residents=residents,
            cases=cases,
            staff=staff,
            outbox=OutboxRepository(db),
            desk=desk,
            promises=promises,
            updates=Updates(deployment, catalogs, promises, residents),
            privacy=PrivacyRepository(db),
            audit=audit,
            stats=Statistics(deployment, catalogs, StatsRepository(db)),
            admin=AdminTools(settings, deployment, audit),
            membership=Membership(ChatRepository(db), deployment),
            metrics=metrics,
        )

    async def close(self) -> None:
        await self.database.close()

    # ------------------------------------------------------------------ language
    def text(self, lang: str, key: str, **params: object) -> str:
        return self.catalogs.text(lang, key, **params)

    def language_for(self, telegram_language: str | None) -> str:
        """The catalog language for a Telegram language code (Swedish when unsupported)."""
        return self.catalogs.resolve_language(telegram_language)

    async def language(self, chat_id: int, telegram_language: str | None) -> str:
        """The resident's chosen language, else their Telegram language, else Swedish."""
        resident = await self.residents.get_by_chat(chat_id)
        if resident and resident.language in self.catalogs.languages:
            return resident.language
        return self.language_for(telegram_language)

    async def set_language(self, chat_id: int, lang: str) -> str:
        if lang not in self.catalogs.languages:
            raise TextProblem("error.stale")
        resident = await self.residents.touch(chat_id, lang)
        await self.residents.set_language(resident.id, lang)
        return lang

    # ------------------------------------------------------------------ stations
    def station(self, station_id: str | None) -> Station | None:
        if station_id is None:
            return None
        try:
            return self.deployment.station(station_id)
        except KeyError:
            return None

    def find_stations(self, text: str) -> list[Station]:
        return match_stations(text, self.deployment.stations)

    def nearest(self, lat: float, lon: float) -> Nearest:
        limit = self.deployment.deployment.max_station_distance_km
        return nearest_station(lat, lon, self.deployment.stations, limit)

    async def home_station(self, chat_id: int) -> Station | None:
        resident = await self.residents.get_by_chat(chat_id)
        return self.station(resident.home_station) if resident else None

    async def set_home_station(self, chat_id: int, station_id: str) -> Station:
        station = self.station(station_id)
        if station is None:
            raise TextProblem("error.stale")
        resident = await self.residents.touch(chat_id)
        await self.residents.set_home_station(resident.id, station.id)
        return station

    def category_name(self, category_id: str | None, lang: str) -> str:
        for category in self.deployment.categories:
            if category.id == category_id:
                return category.name.get(lang) or category.name["sv"]
        return category_id or ""

    def recipients(self, station_id: str | None, category_id: str | None) -> list[str]:
        """Names of the partner actors a report at this station and category goes to."""
        names: list[str] = []
        for route in self.deployment.routing:
            station_ok = station_id in route.stations or "*" in route.stations
            category_ok = category_id in route.categories or "*" in route.categories
            if station_ok and category_ok:
                for actor in self.deployment.actors:
                    if actor.id in route.actors and actor.name not in names:
                        names.append(actor.name)
        return names

    def station_parties(self, station_id: str | None) -> list[str]:
        """Actors of the promises at a station (for the privacy notice)."""
        ids: list[str] = []
        for promise in self.promises_at(station_id):
            ids += [a for a in promise.parties if a not in ids]
        return [a.name for a in self.deployment.actors if a.id in ids]

    def promises_at(self, station_id: str | None) -> list[Promise]:
        return [p for p in self.deployment.promises if station_id in p.stations]

    # ------------------------------------------------------------------ consent
    @property
    def notice_version(self) -> str:
        return self.deployment.privacy.notice_version

    async def needs_consent(self, chat_id: int) -> bool:
        resident = await self.residents.get_by_chat(chat_id)
        return resident is None or not await self.residents.has_consent(
            resident.id, self.notice_version
        )

    async def give_consent(self, chat_id: int, lang: str) -> None:
        resident = await self.residents.touch(chat_id, lang)
        if not await self.residents.has_consent(resident.id, self.notice_version):
            await self.residents.add_consent(resident.id, self.notice_version)

    def privacy_notice(self, lang: str) -> str:
        notices = self.deployment.privacy.notice
        return (notices.get(lang) or notices.get("sv") or "").strip()

    # ------------------------------------------------------------------ intake
    async def similar_reports(self, chat_id: int, draft: Draft) -> list[Case]:
        """Open reports of others in the last 30 days at the draft's station and category."""
        if not draft.station or not draft.category:
            return []
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=ME_TOO_DAYS)
        resident = await self.residents.get_by_chat(chat_id)
        return await self.cases.open_similar(
            draft.station,
            draft.category,
            since.isoformat(timespec="seconds"),
            not_of=resident.id if resident else None,
        )

    async def support(self, chat_id: int, draft: Draft, reference: str) -> tuple[bool, Case]:
        """Add the resident's voice to a case offered to this draft: (added now?, the case).

        The button is not trusted: the case must be one the draft's "me too" prompt offered,
        and still an open report at the draft's station and category, not the resident's own.
        Anything else is TextProblem("error.stale").
        """
        if reference not in draft.offered or not draft.station or not draft.category:
            raise TextProblem("error.stale")
        resident = await self.residents.touch(chat_id)
        added = await self.cases.add_supporter(
            reference, resident.id, draft.station, draft.category
        )
        case = await self.cases.get(reference)
        if added is None or case is None:
            raise TextProblem("error.stale")
        return added, case

    async def save_photo(self, content: bytes) -> str:
        """Store a cleaned copy of a resident's photo; returns its file name."""
        return await asyncio.to_thread(store_photo, content, self.settings.media_dir)

    async def discard_draft(self, draft: Draft) -> None:
        """Remove an abandoned draft's photos; a draft that was sent keeps them (its case's)."""
        if await self.submitted(draft) is not None:
            return  # e.g. restored after a crash from before it was sent, then replaced
        await asyncio.to_thread(remove_photos, list(draft.photos), self.settings.media_dir)

    async def submitted(self, draft: Draft) -> Case | None:
        """The case this draft became, if it was sent.

        The case row carrying the draft's id is the mark that the draft is consumed: it is
        written in the same transaction as the case, so there is no moment in which the case
        exists and the draft still looks unsent, whatever the persisted copy of the draft
        (written about once a second) says after a crash.
        """
        return await self.cases.of_draft(draft.id)

    async def submit(self, chat_id: int, draft: Draft, lang: str) -> Case:
        """Store a finished draft as a case (once: see `submit_draft`); returns the case."""
        return (await self.submit_draft(chat_id, draft, lang)).case

    async def submit_draft(self, chat_id: int, draft: Draft, lang: str) -> Submitted:
        """Store a finished draft as a case; the reference exists only once it is written.

        Idempotent: a draft is stored once however often it is sent (a double press, an update
        Telegram delivers again after a crash, a press repeated because the answer to the
        first was refused). Sending it again returns the first case, with no new cards to
        staff and without counting against the hourly limit.
        """
        earlier = await self.submitted(draft)
        if earlier is not None:
            log.info("Case %s: its draft was sent again; nothing new stored", earlier.reference)
            return Submitted(earlier, new=False)
        missing = draft.missing()
        if missing:
            raise TextProblem("summary.missing", fields=",".join(s.name for s in missing))
        # Each text was checked as it came; a name in the place and an offence in the
        # description are a tip only together.
        if looks_like_crime_tip("\n".join(t for t in (draft.place_text, draft.description) if t)):
            raise CrimeTip("guard.tip")
        station = self.station(draft.station)
        assert station is not None  # checked by missing()
        resident = await self.residents.touch(chat_id, lang)
        hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        recent = await self.cases.count_since(resident.id, hour_ago.isoformat(timespec="seconds"))
        if recent >= self.deployment.limits.reports_per_hour:
            raise TextProblem("limits.reports")
        new = NewCase(
            station_id=station.id,
            station_code=station.code,
            kind=draft.case_kind,
            description=draft.description or "",
            resident_id=resident.id,
            category=draft.category,
            place_text=draft.place_text,
            lat=draft.lat,
            lon=draft.lon,
            times=tuple(draft.times),
            language=lang,
            photos=tuple(draft.photos),
            draft_id=draft.id,
        )
        # The case, its routing and every card to staff are one transaction, which also
        # consumes the draft: checked and written under one lock (cases.draft_id is UNIQUE).
        async with self.db.transaction() as conn:
            existing = await by_draft(conn, draft.id)
            reference = existing or await insert(conn, new)
            case = await self.cases.get(reference)
            assert case is not None
            if existing is None:
                await enqueue(conn, await self.desk.route_new_case(conn, case))
        if existing is not None:
            log.info("Case %s: its draft was sent again; nothing new stored", case.reference)
            return Submitted(case, new=False)
        self.desk.on_enqueue()
        log.info("Case %s submitted (%s at %s)", case.reference, case.kind.value, station.id)
        if self.metrics is not None:
            self.metrics.reports.labels(station.id, case.kind.value).inc()
        if resident.home_station is None:
            await self.residents.set_home_station(resident.id, station.id)
        return Submitted(case, new=True)

    async def erase(self, chat_id: int) -> int:
        """Erase a resident's identity and personal data (and their unfinished draft's photos)."""
        data = await self.privacy.export(chat_id)
        draft = (data.get("draft") or {}).get("draft")
        if draft:
            await self.discard_draft(Draft.from_dict(draft))
        keep = self.deployment.retention.keep_case_text_on_erase
        erased = await self.privacy.erase(chat_id, keep_text=keep)
        await asyncio.to_thread(remove_photos, list(erased.photos), self.settings.media_dir)
        await self.checkpoint()
        return erased.cases

    async def checkpoint(self) -> None:
        """Empty the database's WAL, so that erased data leaves the files on disk."""
        await self.db.checkpoint()

    async def purge(self, now: dt.datetime | None = None) -> dict[str, int]:
        """Apply the deployment's retention: identities, photos, case texts, old messages."""
        now = now or dt.datetime.now(dt.UTC)
        retention = self.deployment.retention

        def ago(days: int) -> str:
            return (now - dt.timedelta(days=days)).isoformat(timespec="seconds")

        counts, files = await self.privacy.purge(
            ago(retention.identity_days),
            ago(retention.photo_days),
            ago(retention.case_days),
            ago(min(30, retention.identity_days)),
            retention.keep_case_text_on_erase,
        )
        await asyncio.to_thread(remove_photos, files, self.settings.media_dir)
        await self.checkpoint()
        return counts

    async def cases_of(self, chat_id: int) -> tuple[Resident | None, list[Case]]:
        resident = await self.residents.get_by_chat(chat_id)
        if resident is None:
            return None, []
        return resident, await self.cases.for_resident(resident.id)
