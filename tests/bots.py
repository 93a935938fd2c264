"""The real Application against the emulator, in this event loop and in-process (no
sockets): what most flow tests run. `world.settle` then waits until the bot is done, exactly
(bot.emulator.inprocess). Tests of the network edge (polling, outages, webhooks) use
`bot.app.running` or a subprocess instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from pydantic import SecretStr

from bot.app import ALLOWED_UPDATES, build_application
from bot.context import BotApp
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.emulator.inprocess import EmulatorRequest, InProcessBot
from bot.settings import Settings


def settings_for(emulator: Emulator, folder: Path) -> Settings:
    """The tests' bot settings: this emulator, the database and media in `folder`."""
    return Settings(
        bot_token=SecretStr(emulator.token),
        api_base_url=emulator.base_url,
        api_file_url=emulator.file_url,
        database=folder / "bot.sqlite3",
        media_dir=folder / "media",
        check_staff_chats=False,  # tests that need the start-up check turn it on
        lagesbild_monthly=False,  # and the monthly lägesbild's jobs, those that test them
        # The outbox spaces a chat's messages 1 s apart (Telegram's limit); a card's text,
        # photo and pin would cost a flow 2 s of waiting. Tests of spacing and flood control
        # set their own rate.
        rate_per_chat=1000.0,
    )


def build(emulator: Emulator, settings: Settings, deployment: Deployment) -> BotApp:
    """The Application for these settings, its Bot API calls handed to this emulator."""
    request = EmulatorRequest(emulator.world, emulator.token)
    return build_application(settings, deployment, request=request)


@asynccontextmanager
async def serving(
    app: BotApp, emulator: Emulator, *, wait_outbox: bool = True
) -> AsyncIterator[BotApp]:
    """Start `app` (built with `build`), feed it the world's updates, and stop it after.
    `wait_outbox=False`: settling does not wait for the outbox (to stop mid-delivery)."""
    async with InProcessBot(app, emulator.world, list(ALLOWED_UPDATES), wait_outbox=wait_outbox):
        yield app


def in_process(
    emulator: Emulator, settings: Settings, deployment: Deployment, *, wait_outbox: bool = True
) -> AbstractAsyncContextManager[BotApp]:
    """`build` and `serving` in one: `async with in_process(emulator, settings, dep):`."""
    return serving(build(emulator, settings, deployment), emulator, wait_outbox=wait_outbox)
