"""Promise commands: digest (queue a station's monthly 'you said, we did')."""

from __future__ import annotations

import re

from bot.cli.context import CliError, Context
from storage import Database


def cmd_digest(ctx: Context) -> int:
    """Queue a station's monthly digest; the running bot's outbox sends it."""
    from bot.services.updates import Updates
    from storage.promises import PromiseRepository
    from storage.residents import ResidentRepository

    args = ctx.args
    deployment = ctx.deployment
    known = sorted(s.id for s in deployment.stations)
    if args.station not in known:
        raise CliError(
            ctx.say("stats.cli.unknown_station", stations=args.station, known=", ".join(known))
        )
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise CliError(ctx.say("cli.bad_month", value=args.month))

    async def queue(db: Database) -> int:
        updates = Updates(deployment, ctx.catalogs, PromiseRepository(db), ResidentRepository(db))
        return await updates.digest(args.station, args.month)

    count = ctx.with_database(queue)
    name = deployment.station(args.station).name
    print(ctx.say("cli.digest_queued", month=args.month, station=name, count=count))
    return 0
