"""The typed callback context: handlers get `context.services` instead of bot_data lookups."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from aiohttp import web
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.connection import Outage
from bot.delivery.outbox import OutboxWorker
from bot.domain.deployment import Deployment
from bot.domain.models import Staff
from bot.i18n import Catalogs
from bot.metrics import Metrics
from bot.services import LazyDatabase, Services
from bot.services.refusals import Refusals
from bot.settings import Settings
from storage.backup import DatabaseLock


class BotData:
    """The Application's bot_data: configuration given at build time, services once opened."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.deployment: Deployment | None = None
        self.catalogs: Catalogs | None = None
        self.database: LazyDatabase | None = None
        self.worker: OutboxWorker | None = None
        self.refusals: Refusals | None = None  # alerts to the ops chat go through it
        self.staff_probe: asyncio.Task[int] | None = None  # getChat of staff, at start
        self.last_ops_alert = -1e9  # monotonic time of the last alert to the ops chat
        self.flood: dict[int, deque[float]] = {}  # recent message times per person
        self.services: Services | None = None
        self.metrics: Metrics | None = None
        self.lock: DatabaseLock | None = None  # held while this bot runs on the database
        self.metrics_runner: web.AppRunner | None = None
        self.metrics_port: int | None = None  # the bound port (tests ask for port 0)
        self.web_runner: web.AppRunner | None = None  # the web pages, with TRYGG_WEB_WITH_BOT
        self.web_port: int | None = None  # their bound port
        self.outage = Outage()  # failed attempts to reach the Bot API, for the log


class AppContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with typed access to the services."""

    #: The staff member behind this update, once read (bot.handlers.access.staff_member): the
    #: Application builds one context per update, so every handler group reuses the row.
    staff_read: tuple[Staff | None] | None = None

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are opened in post_init; the application is not running")
        return services


#: The Application type of this bot, for type hints in handlers and the builder.
BotApp = Application[
    ExtBot[None], AppContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[AppContext]
]
