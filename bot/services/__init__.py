"""Use cases: what the bot can do, composed from storage and the domain.

Handlers call these and render the result; they hold no SQL and no business rules. Each use
case is its own module (intake, profiles, privacy, desk with its cards, routing and
escalation, updates, membership, staff access, stats, admin); `Services` opens the database
and wires them.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bot.domain.deployment import Deployment, Station
from bot.domain.intake import Draft
from bot.domain.models import Case, Resident, Staff
from bot.domain.stations import Nearest, StationIndex
from bot.i18n import Catalogs
from bot.metrics import Metrics
from bot.services.admin import AdminTools
from bot.services.cards import Cards
from bot.services.desk import Desk
from bot.services.escalation import Escalation
from bot.services.intake import CrimeTip, Intake, ReportLimit, Submitted
from bot.services.lagesbild import Lagesbilder
from bot.services.membership import Membership
from bot.services.privacy import Privacy
from bot.services.profiles import Profiles
from bot.services.pulse import Pulse
from bot.services.pulse_optin import PulseOptIn
from bot.services.routing import Routing
from bot.services.staff import StaffAccess
from bot.services.stats import Statistics
from bot.services.trygghet import Trygghet
from bot.services.updates import Updates
from bot.services.wake import Wake
from bot.settings import Settings
from storage import Database
from storage.audit import AuditRepository
from storage.bot_state import BotStateRepository
from storage.cases import CaseRepository
from storage.chats import ChatRepository
from storage.outbox import OutboxRepository
from storage.privacy import PrivacyRepository
from storage.promises import PromiseRepository
from storage.pulse import PulseRepository
from storage.residents import ResidentRepository
from storage.staff import StaffRepository
from storage.stats import StatsRepository

__all__ = ["CrimeTip", "LazyDatabase", "ReportLimit", "Services", "Submitted"]


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
    promises: PromiseRepository
    audit: AuditRepository
    #: The outbox worker's wake-up, shared by every service that queues messages.
    wake: Wake
    cards: Cards
    intake: Intake
    profiles: Profiles
    privacy: Privacy
    desk: Desk
    escalation: Escalation
    updates: Updates
    stats: Statistics
    trygghet: Trygghet
    pulse: Pulse
    lagesbild: Lagesbilder
    admin: AdminTools
    membership: Membership
    staff_access: StaffAccess
    pulse_optin: PulseOptIn
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
        cases, staff, residents = CaseRepository(db), StaffRepository(db), ResidentRepository(db)
        wake = Wake()
        cards = Cards(deployment, catalogs, email_enabled=settings.smtp_host is not None)
        routing = Routing(deployment, cards)
        audit = AuditRepository(db)
        desk = Desk(db, deployment, catalogs, cases, staff, residents, cards, routing, wake, audit)
        if sync_staff:
            await desk.sync_staff()
        promises = PromiseRepository(db)
        await promises.seed(deployment)
        updates = Updates(deployment, catalogs, promises, residents, wake)
        intake = Intake(settings, deployment, db, residents, cases, routing, updates, wake, metrics)
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
            promises=promises,
            audit=audit,
            wake=wake,
            cards=cards,
            intake=intake,
            profiles=Profiles(deployment, catalogs, residents, cases),
            privacy=Privacy(settings, deployment, db, residents, PrivacyRepository(db), intake),
            desk=desk,
            escalation=Escalation(db, deployment, cases, staff, cards, wake),
            updates=updates,
            staff_access=StaffAccess(deployment, staff),
            stats=Statistics(deployment, catalogs, StatsRepository(db)),
            trygghet=Trygghet(deployment, PulseRepository(db)),
            pulse=Pulse(deployment, catalogs, PulseRepository(db), residents, wake),
            lagesbild=Lagesbilder(deployment, catalogs, db),
            admin=AdminTools(settings, deployment, audit, catalogs),
            membership=Membership(ChatRepository(db), deployment),
            pulse_optin=PulseOptIn(deployment, residents, promises, PulseRepository(db)),
            metrics=metrics,
        )

    async def close(self) -> None:
        await self.database.close()

    def text(self, lang: str, key: str, **params: object) -> str:
        return self.catalogs.text(lang, key, **params)

    # The names handlers and tests call; each use case lives in its own module.
    # ------------------------------------------------------------------ profiles
    def language_for(self, telegram_language: str | None) -> str:
        return self.profiles.language_for(telegram_language)

    async def language(self, chat_id: int, telegram_language: str | None) -> str:
        return await self.profiles.language(chat_id, telegram_language)

    async def set_language(self, chat_id: int, lang: str) -> str:
        return await self.profiles.set_language(chat_id, lang)

    async def home_station(self, chat_id: int) -> Station | None:
        return await self.profiles.home_station(chat_id)

    async def set_home_station(self, chat_id: int, station_id: str) -> Station:
        return await self.profiles.set_home_station(chat_id, station_id)

    async def cases_of(self, chat_id: int) -> tuple[Resident | None, list[Case]]:
        return await self.profiles.cases_of(chat_id)

    # ------------------------------------------------------------------ staff
    async def desk_for(self, member: Staff, telegram_language: str | None) -> Desk:
        """The desk as `member` reads it in their own chat (bot.domain.staff_language): its
        replies and cards in their language. The language Telegram reports for them is
        remembered, for the cards and alerts pushed to them later."""
        if telegram_language and telegram_language != member.telegram_language:
            await self.desk.staff.note_telegram_language(member.id, telegram_language)
        desk = copy.copy(self.desk)
        desk.cards = self.desk.cards.reader(member, telegram_language)
        return desk

    # ------------------------------------------------------------------ intake
    @property
    def station_index(self) -> StationIndex:
        """The deployment's stations by id, name, kommun and letter (built at start)."""
        return self.intake.index

    def station(self, station_id: str | None) -> Station | None:
        return self.intake.station(station_id)

    def find_stations(self, text: str) -> list[Station]:
        return self.intake.find_stations(text)

    def stations_named_in(self, text: str) -> list[Station]:
        return self.intake.stations_named_in(text)

    def nearest(self, lat: float, lon: float) -> Nearest:
        return self.intake.nearest(lat, lon)

    def category_name(self, category_id: str | None, lang: str) -> str:
        return self.intake.category_name(category_id, lang)

    def station_parties(self, station_id: str | None) -> list[str]:
        return self.intake.station_parties(station_id)

    async def similar_reports(self, chat_id: int, draft: Draft) -> list[Case]:
        return await self.intake.similar_reports(chat_id, draft)

    async def support(self, chat_id: int, draft: Draft, reference: str) -> tuple[bool, Case]:
        return await self.intake.support(chat_id, draft, reference)

    async def save_photo(self, content: bytes) -> str:
        return await self.intake.save_photo(content)

    async def discard_draft(self, draft: Draft) -> Case | None:
        return await self.intake.discard_draft(draft)

    async def submitted(self, draft: Draft) -> Case | None:
        return await self.intake.submitted(draft)

    async def submit(self, chat_id: int, draft: Draft, lang: str) -> Case:
        """Store a finished draft as a case (once: see `Intake.submit_draft`); the case."""
        return (await self.intake.submit_draft(chat_id, draft, lang)).case

    async def submit_draft(self, chat_id: int, draft: Draft, lang: str) -> Submitted:
        return await self.intake.submit_draft(chat_id, draft, lang)

    # ------------------------------------------------------------------ privacy
    @property
    def notice_version(self) -> str:
        return self.privacy.notice_version

    async def needs_consent(self, chat_id: int) -> bool:
        return await self.privacy.needs_consent(chat_id)

    async def give_consent(self, chat_id: int, lang: str) -> None:
        await self.privacy.give_consent(chat_id, lang)

    def privacy_notice(self, lang: str) -> str:
        return self.privacy.notice(lang)

    async def erase(self, chat_id: int) -> int:
        return await self.privacy.erase(chat_id)

    async def checkpoint(self) -> None:
        await self.privacy.checkpoint()

    async def purge(self, now: dt.datetime | None = None) -> dict[str, int]:
        return await self.privacy.purge(now)
