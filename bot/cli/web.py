"""`trygghetsbot web`: the staff web pages on their own, against the bot's database.

Run it next to the bot (`run` or `webhook`), which keeps the staff table in step with the
deployment file; running both in one process may come later.
"""

from __future__ import annotations

import asyncio
import logging

from bot.cli.context import CliError, Context, stop_on_signals

log = logging.getLogger(__name__)


def cmd_web(ctx: Context) -> int:
    """Serve the web pages until SIGINT or SIGTERM."""
    from aiohttp import web

    from bot.services import Services
    from bot.web import create_web_app

    settings = ctx.settings
    ctx.configure_logging()
    deployment = ctx.deployment

    async def serve() -> None:
        await ctx.migrate()
        stop = stop_on_signals()
        services = await Services.open(settings, deployment, ctx.catalogs, sync_staff=False)
        runner = web.AppRunner(create_web_app(services, settings))
        await runner.setup()
        try:
            site = web.TCPSite(runner, settings.web_listen, settings.web_port)
            await site.start()
            log.info("Web pages on http://%s:%s", settings.web_listen, settings.web_port)
            if settings.web_url is None:
                log.warning("TRYGG_WEB_URL is not set: /webb hands out no sign-in links")
            await stop.wait()
        finally:
            await runner.cleanup()
            await services.close()

    try:
        asyncio.run(serve())
    except OSError as exc:  # the port is taken, or the address is not ours
        where = f"{settings.web_listen}:{settings.web_port}"
        raise CliError(f"Cannot serve the web pages on {where}: {exc.strerror or exc}") from None
    return 0
