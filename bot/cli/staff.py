"""Staff commands: invite (a one-time code, for when no admin is in Telegram yet)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.cli.context import CliError, Context
from bot.cli.privacy import local_time
from bot.cli.stations import station_ids
from bot.domain.access import needs_station
from bot.domain.deployment import Role
from storage import Database


def cmd_invite(ctx: Context) -> int:
    """A one-time staff invite code, for when no admin is in Telegram yet; all it says is in
    the deployment's language, the expiry in its local time."""
    from storage.staff import StaffRepository

    args = ctx.args
    deployment = ctx.deployment
    known_actors = sorted(a.id for a in deployment.actors)
    if args.actor not in known_actors:
        known = ", ".join(known_actors)
        raise CliError(ctx.say("cli.invite_unknown_actor", value=repr(args.actor), known=known))
    if args.role not in {r.value for r in Role}:
        raise CliError(ctx.say("cli.invite_unknown_role", value=repr(args.role)))
    stations = station_ids(ctx, args.stations)
    # An admin code without stations is for an admin of every station, as in the file.
    if not stations and needs_station(args.role):
        example = ",".join(s.id for s in deployment.stations[:2])
        raise CliError(ctx.say("cli.invite_needs_station", example=example))

    async def create(db: Database) -> tuple[str, str]:
        return await StaffRepository(db).create_invite(
            args.role, args.actor, stations, None, deployment.deployment.invite_hours
        )

    code, expires = ctx.with_database(create)
    settings = deployment.deployment
    until = dt.datetime.fromisoformat(expires).astimezone(ZoneInfo(settings.timezone))
    where = ", ".join(stations) or ctx.say("cli.invite_every_station")
    print(
        ctx.say("cli.invite_created", code=code, role=args.role, actor=args.actor, stations=where)
    )
    print(
        ctx.say("cli.invite_valid", until=local_time(until, settings.default_language), code=code)
    )
    return 0
