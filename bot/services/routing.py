"""Routing a new case: the actors it goes to, the cards for their staff, and who really
receives it (what the resident's confirmation names)."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.domain.deployment import Deployment, Role
from bot.domain.lifecycle import Status
from bot.domain.models import Case, CaseKind
from bot.domain.routing import group_chat, pick_staff, route
from bot.services.cards import Cards
from storage.cases import add_actors, add_event
from storage.outbox import OutboxItem, enqueue
from storage.submit import staff_at


@dataclass(frozen=True)
class Routed:
    """A new case routed: how many outbox rows it queued, and the names of the partner
    actors it really reaches (for the resident's confirmation of a report): those with staff
    at its station whom the bot can reach on Telegram (no refusal known) or by e-mail. The
    routing alone also names actors with nobody there."""

    queued: int
    receiving: tuple[str, ...]


class Routing:
    def __init__(self, deployment: Deployment, cards: Cards) -> None:
        self.deployment = deployment
        self.cards = cards

    async def route_new_case(self, conn: aiosqlite.Connection, case: Case) -> Routed:
        """Inside the submit transaction: record the routed actors and the event, and queue
        the cards (three statements, reading only the station's staff)."""
        actors = route(self.deployment, case.station_id, case.kind, case.category)
        await add_actors(conn, case.id, actors)
        await add_event(conn, case.id, "created", to_status=Status.NEW.value)
        at_station = await staff_at(conn, case.station_id)
        refused = {member.id for member, no in at_station if no}
        picked = pick_staff([member for member, _ in at_station], case.station_id, actors)
        items: list[OutboxItem] = []
        for member in picked:
            items += self.cards.items(case, member)
        chat = group_chat(self.deployment, case.station_id, case.kind)
        if chat is not None:
            items.append(self.cards.group_card(chat, case))
        await enqueue(conn, items)
        # Who really receives it, from the same staff rows the cards went to.
        reached = {
            member.actor_id
            for member in picked
            if member.role == Role.PARTNER.value
            and (
                (member.telegram_id is not None and member.id not in refused)
                or (member.email is not None and self.cards.email_enabled)
            )
        }
        receiving = [self.cards.actor_name(a) for a in actors if a in reached]
        return Routed(len(items), tuple(receiving) if case.kind is CaseKind.REPORT else ())
