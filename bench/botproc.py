"""A bot in a process of its own for the intake benchmark: `python -m bench.botproc MODE`.

MODE is `bot` (Trygghetsboten as `trygghetsbot run` builds it), `sequential` (the same, with
python-telegram-bot's default of one update at a time instead of the per-chat processor) or
`echo` (python-telegram-bot's echo example). Settings come from TRYGG_ variables. Prints
`ready` once polling, and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from unittest import mock

from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    SimpleUpdateProcessor,
    filters,
)

from bot.app import build_application, running
from bot.config import load_deployment
from bot.logs import configure_logging
from bot.settings import Settings, load_settings

MODES = ("bot", "sequential", "echo")


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


@asynccontextmanager
async def echo_bot(settings: Settings) -> AsyncIterator[None]:
    """The floor: python-telegram-bot's echo example, its defaults and all."""
    assert settings.bot_token is not None
    app = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.api_base_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await app.start()
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


def _bot(mode: str, settings: Settings) -> AbstractAsyncContextManager[Any]:
    deployment = load_deployment(settings.deployment)
    if mode == "sequential":
        # The same build, with PTB's default processor in place of the per-chat one.
        one_at_a_time = SimpleUpdateProcessor(1)
        with mock.patch("bot.app.PerChatUpdateProcessor", return_value=one_at_a_time):
            app = build_application(settings, deployment)
    else:
        app = build_application(settings, deployment)
    return running(app, poll_timeout=1)


async def serve(mode: str) -> None:
    settings = load_settings()
    configure_logging(settings.log_level, [])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with echo_bot(settings) if mode == "echo" else _bot(mode, settings):
        print("ready", flush=True)  # noqa: T201 - the parent waits for this line
        await stop.wait()


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        sys.stderr.write(f"usage: python -m bench.botproc {{{','.join(MODES)}}}\n")
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(sys.argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
