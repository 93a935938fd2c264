"""Staff commands: invite (a one-time code, for when no admin is in Telegram yet)."""

from __future__ import annotations

from bot.cli.context import CliError, Context
from bot.cli.stations import station_ids
from bot.domain.access import needs_station
from bot.domain.deployment import Role
from storage import Database


def cmd_invite(ctx: Context) -> int:
    """A one-time staff invite code, for when no admin is in Telegram yet."""
    from storage.staff import StaffRepository

    args = ctx.args
    deployment = ctx.deployment
    known_actors = {a.id for a in deployment.actors}
    known_stations = {s.id for s in deployment.stations}
    if args.actor not in known_actors:
        raise CliError(f"Unknown actor {args.actor!r}; one of: {', '.join(sorted(known_actors))}")
    stations = station_ids(ctx, args.stations)
    # An admin code without stations is for an admin of every station, as in the file.
    if not stations and needs_station(args.role):
        raise CliError(
            f"Unknown or missing station (none); one of: {', '.join(sorted(known_stations))}"
        )
    if args.role not in {r.value for r in Role}:
        raise CliError(f"Unknown role {args.role!r}; one of: kommunpolis, partner, admin")

    async def create(db: Database) -> tuple[str, str]:
        return await StaffRepository(db).create_invite(
            args.role, args.actor, stations, None, deployment.deployment.invite_hours
        )

    code, expires = ctx.with_database(create)
    print(f"Invite code {code} for {args.role} at {args.actor} ({', '.join(stations) or '*'}),")
    print(f"valid until {expires} (UTC). The person sends: /start {code}")
    return 0
