"""Use cases: what the bot can do, composed from storage and the domain.

Handlers call these and render the result; they hold no SQL and no business rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.deployment import Deployment
from bot.i18n import Catalogs
from bot.settings import Settings
from storage import Database
from storage.cases import CaseRepository
from storage.residents import ResidentRepository


@dataclass
class Services:
    """Everything a handler may use, opened in post_init and closed in post_shutdown."""

    settings: Settings
    deployment: Deployment
    catalogs: Catalogs
    db: Database
    residents: ResidentRepository
    cases: CaseRepository

    @classmethod
    async def open(cls, settings: Settings, deployment: Deployment, catalogs: Catalogs) -> Services:
        db = await Database.open(settings.database)
        return cls(
            settings=settings,
            deployment=deployment,
            catalogs=catalogs,
            db=db,
            residents=ResidentRepository(db),
            cases=CaseRepository(db),
        )

    async def close(self) -> None:
        await self.db.close()

    def language_for(self, telegram_language: str | None) -> str:
        """The catalog language for a Telegram language code (Swedish when unsupported)."""
        return self.catalogs.resolve_language(telegram_language)

    def text(self, lang: str, key: str, **params: object) -> str:
        return self.catalogs.text(lang, key, **params)
