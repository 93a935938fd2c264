"""A resident's profile: their language and home station, and the cases they reported."""

from __future__ import annotations

from bot.domain.deployment import Deployment, Station
from bot.domain.intake import TextProblem
from bot.domain.models import Case, Resident
from bot.i18n import Catalogs
from bot.services.intake import find_station
from storage.cases import CaseRepository
from storage.residents import ResidentRepository


class Profiles:
    def __init__(
        self,
        deployment: Deployment,
        catalogs: Catalogs,
        residents: ResidentRepository,
        cases: CaseRepository,
    ) -> None:
        self.deployment = deployment
        self.catalogs = catalogs
        self.residents = residents
        self.cases = cases

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

    async def home_station(self, chat_id: int) -> Station | None:
        resident = await self.residents.get_by_chat(chat_id)
        return find_station(self.deployment, resident.home_station) if resident else None

    async def set_home_station(self, chat_id: int, station_id: str) -> Station:
        station = find_station(self.deployment, station_id)
        if station is None:
            raise TextProblem("error.stale")
        resident = await self.residents.touch(chat_id)
        await self.residents.set_home_station(resident.id, station.id)
        return station

    async def cases_of(self, chat_id: int) -> tuple[Resident | None, list[Case]]:
        resident = await self.residents.get_by_chat(chat_id)
        if resident is None:
            return None, []
        return resident, await self.cases.for_resident(resident.id)
