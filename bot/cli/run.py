"""Commands that serve: run, webhook, start, shell, api and the emulator on its own."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.context import CliError, Context, stop_on_signals
from bot.logs import configure_logging
from storage.backup import DatabaseLock

if TYPE_CHECKING:
    from bot.context import BotApp
    from bot.settings import Settings


async def _reach(app: BotApp, settings: Settings, stop: asyncio.Event) -> bool:
    """Wait until the Bot API answers getMe, an outage logged by `bot.connection`; False if
    stopped first. A rejected token raises TokenRejectedError: one line, without the token."""
    from bot.connection import reach_bot_api

    outage = app.bot_data.outage
    reach = asyncio.ensure_future(reach_bot_api(app.bot, settings.api_base_url, outage))
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait((reach, stopped), return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not reach.done():
        reach.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reach
        await app.bot.shutdown()
        return False
    try:
        reach.result()
    except BaseException:
        await app.bot.shutdown()
        raise
    return True


def _media_writable(ctx: Context) -> None:
    """Stop before serving when residents' photos could not be stored: one line."""
    from bot.media import DanglingLink, check_writable

    path = ctx.settings.media_dir
    try:
        check_writable(path)
    except DanglingLink as exc:
        said = ctx.say("cli.media_dangling", path=path, link=exc.link, target=exc.target)
        raise CliError(said) from None
    except OSError as exc:
        error = exc.strerror or str(exc)
        raise CliError(ctx.say("cli.media_unwritable", path=str(path), error=error)) from None


def cmd_run(ctx: Context) -> int:
    from bot.app import ALLOWED_UPDATES, build_application
    from bot.webserver import WebNotServed

    settings = ctx.settings
    deployment = ctx.prepare()
    app = build_application(settings, deployment)  # fails early without a token
    _media_writable(ctx)
    # Check the database before connecting to Telegram: a bad path is one clear line. The lock
    # comes first: a second bot must not migrate the schema under a running one.
    app.bot_data.lock = DatabaseLock.acquire(settings.database)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(ctx.migrate())

    async def reach() -> bool:
        stop = stop_on_signals()
        try:
            return await _reach(app, settings, stop)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().remove_signal_handler(sig)

    if not loop.run_until_complete(reach()):
        return 0  # stopped while the Bot API could not be reached
    try:
        app.run_polling(
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=-1,  # Telegram unreachable at boot: keep trying
            stop_signals=(signal.SIGINT, signal.SIGTERM),
            close_loop=True,
        )
    except WebNotServed as exc:  # TRYGG_WEB_WITH_BOT and the port is taken: the bot stopped
        raise CliError(str(exc)) from None
    return 0


def cmd_webhook(ctx: Context) -> int:
    from bot.app import build_application
    from bot.webhook import serve_webhook
    from bot.webserver import WebNotServed

    settings = ctx.settings
    deployment = ctx.prepare()
    app = build_application(settings, deployment)
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise CliError(
            "Webhook mode needs TRYGG_WEBHOOK_URL (the public https URL) and "
            "TRYGG_WEBHOOK_SECRET (1-256 characters A-Z, a-z, 0-9, _ and -)"
        )
    _media_writable(ctx)

    app.bot_data.lock = DatabaseLock.acquire(settings.database)

    async def serve() -> None:
        await ctx.migrate()
        stop = stop_on_signals()
        if await _reach(app, settings, stop):
            await serve_webhook(app, settings, stop)

    try:
        asyncio.run(serve())
    except WebNotServed as exc:
        raise CliError(str(exc)) from None
    return 0


def cmd_shell(ctx: Context) -> int:
    from bot.emulator.shell import run_shell

    deployment = ctx.prepare()
    database = Path(ctx.args.database) if ctx.args.database else None
    if database is not None:
        asyncio.run(ctx.migrate(database))  # a bad path fails here, in one line
    asyncio.run(run_shell(ctx.settings, deployment, database=database))
    return 0


def cmd_start(ctx: Context) -> int:
    if ctx.settings.bot_token is not None:
        print("TRYGG_BOT_TOKEN is set: starting the bot against the Bot API.", file=sys.stderr)
        return cmd_run(ctx)
    print("No TRYGG_BOT_TOKEN: starting the local shell (emulator).", file=sys.stderr)
    ctx.args.database = None
    ctx.override(log_level="WARNING")
    return cmd_shell(ctx)


def cmd_api(ctx: Context) -> int:
    """Serve the Open311 read API until SIGINT or SIGTERM."""
    from bot.open311 import serve_open311

    settings = ctx.settings
    ctx.configure_logging(settings.open311_api_key)
    deployment = ctx.deployment

    async def serve() -> None:
        await ctx.migrate()
        stop = stop_on_signals()
        await serve_open311(settings, deployment, stop)

    try:
        asyncio.run(serve())
    except OSError as exc:  # the port is taken, or the address is not ours
        where = f"{settings.open311_listen}:{settings.open311_port}"
        raise CliError(f"Cannot serve the Open311 API on {where}: {exc.strerror or exc}") from None
    return 0


def cmd_emulator(ctx: Context) -> int:
    """The emulator alone: it needs neither settings nor a deployment file."""
    from bot.emulator.server import Emulator

    configure_logging(ctx.args.log_level, [])

    async def serve() -> None:
        stop = stop_on_signals()
        async with Emulator(port=ctx.args.port) as emulator:
            emulator.world.member_updates = True  # my_chat_member on /block and /unblock
            print(f"TRYGG_API_BASE_URL={emulator.base_url}")
            print(f"TRYGG_API_FILE_URL={emulator.file_url}")
            print(f"TRYGG_BOT_TOKEN={emulator.token}")
            print(f"Control API: {emulator.url}/control/", flush=True)
            await stop.wait()

    asyncio.run(serve())
    return 0
