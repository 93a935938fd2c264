"""Privacy commands: purge (apply the retention rules now) and audit (read the audit log)."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from bot.cli.context import Context
from storage import Database


def cmd_purge(ctx: Context) -> int:
    """Apply the retention rules now (the running bot also does it daily)."""
    from bot.services import Services

    deployment = ctx.prepare()

    async def purge() -> dict[str, int]:
        # Only the running bot applies the file's staff: this process may name another file.
        services = await Services.open(ctx.settings, deployment, ctx.catalogs, sync_staff=False)
        try:
            return await services.purge()
        finally:
            await services.close()

    counts = asyncio.run(purge())
    print("Purged: " + ", ".join(f"{count} {what}" for what, count in counts.items()))
    return 0


def cmd_audit(ctx: Context) -> int:
    """The newest entries of the audit log (exports and staff views), newest first: the time
    in the deployment's zone and language (with the zone's abbreviation when the clock shows
    that hour twice, as at the end of summer time), staff by name and number, marked when
    revoked or gone from the file (a resident is never named)."""
    from storage.audit import AuditRepository
    from storage.staff import StaffRepository

    settings = ctx.deployment.deployment
    zone, lang = ZoneInfo(settings.timezone), settings.default_language

    async def recent(db: Database) -> list[tuple[str, str, str, str]]:
        rows = await AuditRepository(db).recent(ctx.args.limit)
        staff = StaffRepository(db)
        names: dict[str, str] = {}
        for who in {r["who"] for r in rows}:
            kind, _, number = who.partition(":")
            member = await staff.get(int(number)) if kind == "staff" and number.isdigit() else None
            names[who] = who
            if member is not None:
                key = "cli.audit_staff" if member.active else "cli.audit_staff_revoked"
                names[who] = ctx.say(key, name=member.name, id=member.id)
        return [(r["created_at"], names[r["who"]], r["action"], r["details"]) for r in rows]

    for when, who, action, details in ctx.with_database(recent):
        local = local_time(dt.datetime.fromisoformat(when).astimezone(zone), lang)
        print(f"{local:<18}  {who:<24} {action:<10} {details}")
    return 0


def local_time(moment: dt.datetime, lang: str) -> str:
    """`moment` as the audit log writes it (bot.services.auditlog.local_time)."""
    from bot.services.auditlog import local_time as written

    return written(moment, lang)
