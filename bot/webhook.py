"""Webhook mode: an aiohttp server that takes Telegram's POSTs, plus a health endpoint.

Every POST must carry Telegram's `X-Telegram-Bot-Api-Secret-Token` header with our secret;
anything else is refused with 403 and never reaches the bot.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot.app import ALLOWED_UPDATES
from bot.context import BotApp
from bot.settings import Settings
from storage.migrations import LATEST_VERSION

log = logging.getLogger(__name__)

PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def make_web_app(app: BotApp, secret: str) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("Webhook request without the right secret token refused")
            return web.Response(status=403, text="Forbidden")
        try:
            data = await request.json()
            update = Update.de_json(data, app.bot)
        except (json.JSONDecodeError, ValueError, TypeError, KeyError):
            return web.Response(status=400, text="Bad Request")
        await app.update_queue.put(update)
        return web.Response(text="OK")

    async def health(request: web.Request) -> web.Response:
        services = app.bot_data.services
        if services is None or not app.running:
            return web.json_response({"ok": False}, status=503)
        try:
            version = await services.db.user_version()
            counts = await services.outbox.counts()
        except Exception:
            log.exception("Health check failed")
            return web.json_response({"ok": False}, status=503)
        return web.json_response(
            {
                "ok": version == LATEST_VERSION,
                "schema": version,
                "outbox_pending": counts.get("pending", 0),
                "outbox_failed": counts.get("failed", 0),
            }
        )

    web_app = web.Application()
    web_app.router.add_post(PATH, receive)
    web_app.router.add_get("/health", health)
    return web_app


async def serve_webhook(
    app: BotApp, settings: Settings, stop: asyncio.Event, bound: asyncio.Future[int] | None = None
) -> None:
    """Run the bot behind the webhook server until `stop` is set."""
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    runner = web.AppRunner(make_web_app(app, secret), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_listen, settings.webhook_port)
    await site.start()
    port = int(runner.addresses[0][1])
    if bound is not None:
        bound.set_result(port)
    url = settings.webhook_url or f"http://{settings.webhook_listen}:{port}{PATH}"
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        await app.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
        log.info("Webhook mode: listening on %s:%d", settings.webhook_listen, port)
        await stop.wait()
    finally:
        await runner.cleanup()
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
