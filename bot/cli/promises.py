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
    if args.station not in {s.id for s in deployment.stations}:
        raise CliError(f"Unknown station {args.station!r}")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise CliError(f"Month must look like 2026-10, not {args.month!r}")

    async def queue(db: Database) -> int:
        updates = Updates(deployment, ctx.catalogs, PromiseRepository(db), ResidentRepository(db))
        return await updates.digest(args.station, args.month)

    count = ctx.with_database(queue)
    print(f"Digest {args.month} for {args.station} queued to {count} followers.")
    return 0
