"""Escalation: cases nobody acknowledged in time go to their staff again, and to the admins."""

from __future__ import annotations

import datetime as dt
import logging

from bot.domain.access import hears_escalation
from bot.domain.deployment import Deployment
from bot.domain.routing import pick_staff
from bot.services.cards import Cards
from bot.services.wake import Wake
from storage.cases import CaseRepository, add_event, mark_escalated
from storage.database import Database
from storage.outbox import OutboxItem, enqueue
from storage.staff import StaffRepository

log = logging.getLogger(__name__)


class Escalation:
    def __init__(
        self,
        db: Database,
        deployment: Deployment,
        cases: CaseRepository,
        staff: StaffRepository,
        cards: Cards,
        wake: Wake,
    ) -> None:
        self._db = db
        self.deployment = deployment
        self.cases = cases
        self.staff = staff
        self.cards = cards
        self.on_enqueue = wake

    async def run(self, now: dt.datetime | None = None) -> int:
        """Re-send cases nobody acknowledged in time, and tell the admins. Returns a count.

        Admins get the card only for cases they may open. A case at a station the deployment
        file no longer has is left for `trygghetsbot doctor` to name; the others go on.
        """
        hours = self.deployment.deployment.ack_hours
        now = now or dt.datetime.now(dt.UTC)
        before = (now - dt.timedelta(hours=hours)).isoformat(timespec="seconds")
        known = {s.id for s in self.deployment.stations}
        stale = []
        for case in await self.cases.unacknowledged(before):
            if case.station_id in known:
                stale.append(case)
            else:
                log.warning(
                    "Case %s is at station %r, which the deployment file no longer has:"
                    " not escalated",
                    case.reference,
                    case.station_id,
                )
        staff = await self.staff.active()
        for case in stale:
            actors = await self.cases.actors(case.id)
            items: list[OutboxItem] = []
            for member in pick_staff(staff, case.station_id, actors):
                items += self.cards.reminder_items(case, member, hours)
            for admin in staff:
                if admin.telegram_id and hears_escalation(admin, case.station_id, actors):
                    items.append(self.cards.escalation(admin, case, hours))
            async with self._db.transaction() as conn:
                await mark_escalated(conn, case.id, now.isoformat(timespec="seconds"))
                await add_event(
                    conn, case.id, "escalated", from_status=case.status, to_status=case.status
                )
                await enqueue(conn, items)
        if stale:
            self.on_enqueue()
        return len(stale)
