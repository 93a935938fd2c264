"""Reading the audit log as `trygghetsbot audit` shows it: newest first, the time in the
deployment's zone, staff by name and number (marked when revoked or gone from the file; a
resident is never named)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment
from bot.i18n import Catalogs, Safe
from storage.audit import AuditRepository
from storage.staff import StaffRepository


@dataclass(frozen=True)
class AuditEntry:
    when: str
    who: str
    action: str
    details: str


class AuditLog:
    def __init__(
        self,
        deployment: Deployment,
        catalogs: Catalogs,
        audit: AuditRepository,
        staff: StaffRepository,
    ) -> None:
        self.deployment = deployment
        self.catalogs = catalogs
        self.audit = audit
        self.staff = staff

    async def page(self, lang: str, number: int, size: int) -> tuple[list[AuditEntry], bool]:
        """Page `number` (from 1) of `size` entries in `lang`, and whether older ones follow."""
        rows = await self.audit.page((number - 1) * size, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        names = {who: await self.name(who, lang) for who in {r["who"] for r in rows}}
        zone = ZoneInfo(self.deployment.deployment.timezone)
        return [
            AuditEntry(
                when=local_time(dt.datetime.fromisoformat(r["created_at"]).astimezone(zone), lang),
                who=names[r["who"]],
                action=r["action"],
                details=r["details"],
            )
            for r in rows
        ], more

    async def name(self, who: str, lang: str) -> str:
        """'Name (nr 3)' for a staff member (plain text), else `who` as logged."""
        kind, _, number = who.partition(":")
        member = await self.staff.get(int(number)) if kind == "staff" and number.isdigit() else None
        if member is None:
            return who
        key = "cli.audit_staff" if member.active else "cli.audit_staff_revoked"
        return self.catalogs.text(lang, key, name=Safe(member.name), id=member.id)


def local_time(moment: dt.datetime, lang: str) -> str:
    """`moment` as written in `lang`, with its zone's abbreviation ('25 okt. 2026 02:30 CEST')
    when the same wall-clock time comes twice (the hour after summer time ends)."""
    from bot.i18n import date_time

    written = date_time(moment, lang)
    if moment.replace(fold=1 - moment.fold).utcoffset() != moment.utcoffset():
        written += f" {moment.tzname()}"
    return written
