"""Promise commands: digest (queue a station's monthly 'you said, we did')."""

from __future__ import annotations

import re

from bot.cli.context import CliError, Context
from bot.cli.stations import station_id
from storage import Database

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def cmd_digest(ctx: Context) -> int:
    """Queue a station's monthly digest; the running bot's outbox sends it."""
    from bot.services.updates import Updates
    from storage.promises import PromiseRepository
    from storage.residents import ResidentRepository

    args = ctx.args
    deployment = ctx.deployment
    station = station_id(ctx, args.station)
    if not MONTH.fullmatch(args.month):
        raise CliError(ctx.say("cli.bad_month", value=args.month))

    async def queue(db: Database) -> int:
        updates = Updates(deployment, ctx.catalogs, PromiseRepository(db), ResidentRepository(db))
        return await updates.digest(station, args.month)

    count = ctx.with_database(queue)
    name = deployment.station(station).name
    print(ctx.say("cli.digest_queued", month=args.month, station=name, count=count))
    return 0
