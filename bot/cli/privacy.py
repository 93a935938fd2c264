"""Privacy commands: purge (apply the retention rules now) and audit (read the audit log)."""

from __future__ import annotations

import asyncio

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
    """The newest entries of the audit log (exports and staff views), newest first."""
    from storage.audit import AuditRepository

    async def recent(db: Database) -> list[tuple[str, str, str, str]]:
        rows = await AuditRepository(db).recent(ctx.args.limit)
        return [(r["created_at"], r["who"], r["action"], r["details"]) for r in rows]

    for when, who, action, details in ctx.with_database(recent):
        print(f"{when}  {who:<24} {action:<10} {details}")
    return 0
