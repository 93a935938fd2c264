"""The one context every `trygghetsbot` command gets: its arguments and, loaded on first use,
the settings, the deployment file, the catalogs and the database."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.config import load_deployment
from bot.logs import configure_logging
from bot.settings import Settings, load_settings
from storage import Database

if TYPE_CHECKING:
    from pydantic import SecretStr

    from bot.domain.deployment import Deployment
    from bot.i18n import Catalogs

T = TypeVar("T")

EXIT_USAGE = 2


class CliError(Exception):
    """A problem to report as one line (or a few) without a traceback."""


def say(catalogs: Catalogs, lang: str, key: str, **params: object) -> str:
    """A catalog message for the terminal (`cli.*`): plain text, so text parameters go in as
    they are (not HTML-escaped); numbers and dates are written by Babel, the plural form
    chosen by the count."""
    from bot.i18n import Safe

    values = {k: Safe(v) if isinstance(v, str) else v for k, v in params.items()}
    return catalogs.text(lang, key, **values)


async def migrate_database(path: Path) -> tuple[int, list[int]]:
    """Create or upgrade the schema of the database at `path`: (version, applied)."""
    db = await Database.open(path, migrate=False)
    try:
        applied = await db.migrate()
        return await db.user_version(), applied
    finally:
        await db.close()


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (call inside the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


class Context:
    """Created once by `main` and handed to the command. Nothing is read before a command asks
    for it: `check-config FILE` needs no settings, `emulator` neither settings nor a file."""

    def __init__(
        self, args: argparse.Namespace, overrides: Mapping[str, object] | None = None
    ) -> None:
        self.args = args
        self._overrides = dict(overrides or {})
        self._settings: Settings | None = None
        self._deployment: Deployment | None = None
        self._catalogs: Catalogs | None = None

    @property
    def settings(self) -> Settings:
        """The process settings (environment and .env), with the command's overrides."""
        if self._settings is None:
            self._settings = load_settings(**self._overrides)
        return self._settings

    def override(self, **overrides: object) -> None:
        """Read the settings again with these values (`start` handing over to `shell`)."""
        self._overrides.update(overrides)
        self._settings = self._deployment = self._catalogs = None

    @property
    def deployment(self) -> Deployment:
        """The deployment file the settings name (TRYGG_DEPLOYMENT)."""
        if self._deployment is None:
            self._deployment = load_deployment(self.settings.deployment)
        return self._deployment

    @property
    def catalogs(self) -> Catalogs:
        """The message catalogs of the deployment's languages."""
        from bot.i18n import Catalogs

        if self._catalogs is None:
            self._catalogs = Catalogs.load(self.deployment.deployment.languages)
        return self._catalogs

    def say(self, key: str, **params: object) -> str:
        """A catalog message for the terminal in the deployment's language (`say`)."""
        return say(self.catalogs, self.deployment.deployment.default_language, key, **params)

    def secrets(self, *extra: SecretStr | None) -> list[str]:
        """The token and any `extra` secrets, for the log filter that hides them."""
        token = self.settings.bot_token
        values = [token, *extra]
        return [value.get_secret_value() for value in values if value]

    def configure_logging(self, *extra: SecretStr | None, fmt: str | None = None) -> None:
        """Log at the settings' level and format (or `fmt`), hiding the token and `extra`."""
        settings = self.settings
        configure_logging(settings.log_level, self.secrets(*extra), fmt or settings.log_format)

    def prepare(self) -> Deployment:
        """Logging configured, then the deployment file: what a serving command needs first."""
        self.configure_logging()
        return self.deployment

    async def migrate(self, path: Path | None = None) -> tuple[int, list[int]]:
        """Bring the schema of the database (default TRYGG_DATABASE) up to date."""
        return await migrate_database(self.settings.database if path is None else path)

    def with_database(self, work: Callable[[Database], Awaitable[T]]) -> T:
        """Run `work` on the opened (and migrated) database in a fresh event loop."""

        async def run() -> T:
            async with await Database.open(self.settings.database) as db:
                return await work(db)

        return asyncio.run(run())
