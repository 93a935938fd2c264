"""Reading the audit log as `trygghetsbot audit` shows it: newest first, the time in the
deployment's zone, staff by name (their staff number apart, marked when revoked; a resident is
never named). On the web each action and detail is written out in the reader's language: the
action's label (web.audit.action.<code>, else the code as logged) and one line per detail, a
known field labelled (web.audit.field.<name>), a case linked to its page, any other as
'key: value'."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment
from bot.domain.lifecycle import Status
from bot.i18n import Catalogs, Safe
from storage.audit import AuditRepository
from storage.staff import StaffRepository

# Every action the code logs (bot.services.web, desk, admin; bot.cli.reports): each has a
# label web.audit.action.<code> in the catalogs (tests/test_web_downloads.py checks).
ACTIONS = ("view", "export", "web_sign_in", "web_sign_out")
# Detail fields with a label web.audit.field.<name>, in the order they are shown.
FIELDS = (
    "case",
    "station",
    "kind",
    "status",
    "since",
    "until",
    "format",
    "dialect",
    "rows",
    "via",
    "out",
)
VIAS = ("web", "telegram")
STATUSES = frozenset(s.value for s in Status)


@dataclass(frozen=True)
class Detail:
    label: str  # plain text; empty for a detail that is not a 'key: value' pair
    value: str
    link: str | None = None  # a page the value opens (a case's)


@dataclass(frozen=True)
class AuditEntry:
    when: str
    who: str
    staff_id: int | None  # the staff number when `who` is a staff member
    action: str
    details: tuple[Detail, ...]


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
                who=names[r["who"]][0],
                staff_id=names[r["who"]][1],
                action=self.action(r["action"], lang),
                details=self.details(r["details"], lang),
            )
            for r in rows
        ], more

    async def name(self, who: str, lang: str) -> tuple[str, int | None]:
        """A staff member's name, marked when revoked (plain text), and staff number; a
        command-line user as such; anything else as logged."""
        kind, _, rest = who.partition(":")
        if kind == "cli" and rest:
            return self.catalogs.text(lang, "web.audit.cli_user", user=Safe(rest)), None
        member = await self.staff.get(int(rest)) if kind == "staff" and rest.isdigit() else None
        if member is None:
            return who, None
        if member.active:
            return member.name, member.id
        return self.catalogs.text(lang, "web.audit.revoked", name=Safe(member.name)), member.id

    def action(self, code: str, lang: str) -> str:
        key = f"web.audit.action.{code}"
        return self.catalogs.text(lang, key) if key in self.catalogs.keys(lang) else code

    def details(self, logged: str, lang: str) -> tuple[Detail, ...]:
        try:
            fields = json.loads(logged)
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            return (Detail("", logged),) if logged.strip() else ()
        known = [f for f in FIELDS if f in fields]
        others = [f for f in fields if f not in FIELDS]
        return tuple(
            [self._known(f, fields[f], lang) for f in known]
            + [Detail(str(f), _plain(fields[f])) for f in others]
        )

    def _known(self, name: str, value: object, lang: str) -> Detail:
        label = self.catalogs.text(lang, f"web.audit.field.{name}")
        text = _plain(value)
        if name == "case" and isinstance(value, str) and value:
            return Detail(label, text, f"/arende/{quote(value, safe='')}")
        if name == "station" and isinstance(value, str):
            text = self.deployment.station_name(value)
        elif name == "kind" and value in ("report", "idea"):
            text = self.catalogs.text(lang, f"export.kind_{value}")
        elif name == "status" and value in STATUSES:
            text = self.catalogs.text(lang, f"status.{value}")  # as on the case card
        elif name == "via" and value in VIAS:
            text = self.catalogs.text(lang, f"web.audit.via.{value}")
        elif name in ("since", "until") and isinstance(value, str):
            text = self._moment(value, lang)
        return Detail(label, text)

    def _moment(self, value: str, lang: str) -> str:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return local_time(moment.astimezone(ZoneInfo(self.deployment.deployment.timezone)), lang)


def _plain(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def local_time(moment: dt.datetime, lang: str) -> str:
    """`moment` as written in `lang`, with its zone's abbreviation ('25 okt. 2026 02:30 CEST')
    when the same wall-clock time comes twice (the hour after summer time ends)."""
    from bot.i18n import date_time

    written = date_time(moment, lang)
    if moment.replace(fold=1 - moment.fold).utcoffset() != moment.utcoffset():
        written += f" {moment.tzname()}"
    return written
