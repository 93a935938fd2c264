"""`trygghetsbot web`: the staff web pages on their own, against the bot's database.

Run it next to the bot (`run` or `webhook`), which keeps the staff table in step with the
deployment file; or let the bot serve the pages itself with TRYGG_WEB_WITH_BOT=true.
"""

from __future__ import annotations

import asyncio

from bot.cli.context import CliError, Context, stop_on_signals


def cmd_web(ctx: Context) -> int:
    """Serve the web pages until SIGINT or SIGTERM."""
    from bot.services import Services
    from bot.webserver import WebNotServed, serve_web

    settings = ctx.settings
    ctx.configure_logging()
    deployment = ctx.deployment

    async def serve() -> None:
        await ctx.migrate()
        stop = stop_on_signals()
        services = await Services.open(settings, deployment, ctx.catalogs, sync_staff=False)
        try:
            runner, _ = await serve_web(services, settings)
            try:
                await stop.wait()
            finally:
                await runner.cleanup()
        finally:
            await services.close()

    try:
        asyncio.run(serve())
    except WebNotServed as exc:  # the port is taken, or the address is not ours
        raise CliError(str(exc)) from None
    return 0
