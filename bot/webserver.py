"""Serving the staff web pages (bot.web) on TRYGG_WEB_LISTEN:TRYGG_WEB_PORT: on their own
(`trygghetsbot web`) or inside the bot's process (TRYGG_WEB_WITH_BOT, bot.app's post_init)."""

from __future__ import annotations

import logging
import os

from aiohttp import web

from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)


class WebNotServed(Exception):
    """The web pages could not listen (the port is taken, or the address is not ours); the
    message is the one line to show."""


async def serve_web(services: Services, settings: Settings) -> tuple[web.AppRunner, int]:
    """Serve the web pages over `services`; the runner (to clean up) and the bound port."""
    from bot.web import create_web_app

    runner = web.AppRunner(create_web_app(services, settings))
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.web_listen, settings.web_port)
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        where = f"{settings.web_listen}:{settings.web_port}"
        error = os.strerror(exc.errno) if exc.errno else str(exc)  # aiohttp's is long
        raise WebNotServed(f"Cannot serve the web pages on {where}: {error}") from None
    port = int(runner.addresses[0][1])
    log.info("Web pages on http://%s:%d", settings.web_listen, port)
    if settings.web_url is None:
        log.warning("TRYGG_WEB_URL is not set: /webb hands out no sign-in links")
    return runner, port
