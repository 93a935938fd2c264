"""Privacy: consent to the notice, a resident's data (/mina_data), erasure, and retention."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.domain.models import Case
from bot.media import remove_photos
from bot.services.intake import Intake
from bot.services.lagesbild_send import forget_files
from bot.services.pulse_optin import oldest_kept_month, pseudonyms, pseudonyms_under, pulse_data
from bot.settings import Settings
from storage.bot_state import BotStateRepository
from storage.database import Database
from storage.lagesbild_sent import LagesbildSentRepository
from storage.privacy import PrivacyRepository
from storage.pulse import PulseRepository
from storage.residents import ResidentRepository

log = logging.getLogger(__name__)


class Privacy:
    def __init__(
        self,
        settings: Settings,
        deployment: Deployment,
        db: Database,
        residents: ResidentRepository,
        privacy: PrivacyRepository,
        intake: Intake,
    ) -> None:
        self.settings = settings
        self.deployment = deployment
        self._db = db
        self.residents = residents
        self.repository = privacy
        self.intake = intake
        self.zone = ZoneInfo(deployment.deployment.timezone)
        self.bot_state = BotStateRepository(db)
        self.pulse = PulseRepository(db)

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

    def notice(self, lang: str) -> str:
        notices = self.deployment.privacy.notice
        return (notices.get(lang) or notices.get("sv") or "").strip()

    # ------------------------------------------------------------------ data
    async def export(self, chat_id: int) -> dict[str, Any]:
        """Everything stored about this chat's resident, as /mina_data shows it."""
        data = await self.repository.export(chat_id)
        resident_id = (data.get("profile") or {}).get("id")
        lang = (data.get("profile") or {}).get("language")
        survey = await pulse_data(self.pulse, self.deployment, chat_id, resident_id, lang)
        return data | {"safety_survey": survey}

    async def erase(self, chat_id: int) -> int:
        """Erase a resident's identity and personal data (and their unfinished draft's photos)."""
        data = await self.repository.export(chat_id)
        draft = (data.get("draft") or {}).get("draft")
        if draft:
            await self.intake.discard_draft(Draft.from_dict(draft))
        keep = self.deployment.retention.keep_case_text_on_erase
        mine = await pseudonyms(self.pulse, chat_id)
        erased = await self.repository.erase(chat_id, keep_text=keep, pulse=mine)
        await asyncio.to_thread(remove_photos, list(erased.photos), self.settings.media_dir)
        await self.checkpoint()
        return erased.cases

    async def checkpoint(self) -> None:
        """Empty the database's WAL, so that erased data leaves the files on disk."""
        await self._db.checkpoint()

    async def purge(self, now: dt.datetime | None = None) -> dict[str, int]:
        """Apply the deployment's retention: identities, photos, case texts, old messages."""
        now = now or dt.datetime.now(dt.UTC)
        retention = self.deployment.retention

        def ago(days: int) -> str:
            return (now - dt.timedelta(days=days)).isoformat(timespec="seconds")

        counts, files = await self.repository.purge(
            ago(retention.identity_days),
            ago(retention.photo_days),
            ago(retention.case_days),
            ago(min(30, retention.identity_days)),
            retention.keep_case_text_on_erase,
            partial(pseudonyms_under, await self.pulse.keys()),
        )
        # A month's pulse key goes at the end of the following month: its answers stay as
        # counts that nobody can tie to anyone. Logged, not counted: the counts' keys are
        # what `trygghetsbot purge` prints.
        keys, asked = await self.pulse.forget_before(oldest_kept_month(now, self.zone))
        if keys or asked:
            log.info("Purged the pulse keys of %s months and %s asked rows", keys, asked)
        await asyncio.to_thread(remove_photos, files, self.settings.media_dir)
        # The lägesbild PDFs a failed send left (bot.services.lagesbild_send): files only.
        pdfs = await forget_files(LagesbildSentRepository(self._db), self.settings.media_dir, now)
        if pdfs:
            log.info("Purged %s lägesbild files", pdfs)
        await self.checkpoint()
        return counts

    # ------------------------------------------------------------------ drafts
    async def stale_drafts(self, now: dt.datetime) -> list[tuple[int, dict[str, Any]]]:
        """(user id, draft) of drafts unchanged for longer than retention.draft_days."""
        before = now - dt.timedelta(days=self.deployment.retention.draft_days)
        return await self.bot_state.stale_drafts(before.isoformat(timespec="seconds"))

    async def expire_draft(self, draft: Draft) -> Case | None:
        """Delete an expired draft's photo files, except any a case holds. A draft that was
        sent keeps them all, and the case it became is returned (None: it was not sent)."""
        case = await self.intake.submitted(draft)
        if case is not None:
            return case
        photos = list(draft.photos)
        held = await self.repository.case_photos_among(photos)
        gone = [p for p in photos if p not in held]
        await asyncio.to_thread(remove_photos, gone, self.settings.media_dir)
        return None
