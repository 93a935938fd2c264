"""Routing a new case: the actors it goes to, the cards for their staff, and who really
receives it (what the resident's confirmation names)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.deployment import Deployment, Role
from bot.domain.models import Case, CaseKind
from bot.domain.routing import group_chat, pick_staff, route
from bot.services.cards import Cards
from storage.outbox import OutboxItem
from storage.submit import AtStation


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

    def actors(self, station_id: str, kind: CaseKind, category: str | None) -> list[str]:
        """The actors a new case goes to (bot.domain.routing.route)."""
        return route(self.deployment, station_id, kind, category)

    def new_case(
        self, case: Case, actors: list[str], at_station: AtStation
    ) -> tuple[list[OutboxItem], Routed]:
        """The outbox rows of a new case routed to `actors` (`actors()`), for the station's
        staff as storage.submit reads them inside the submit transaction (this runs there, on
        SQLite's thread, so it only computes), and what the routing did."""
        refused = {member.id for member, no in at_station if no}
        picked = pick_staff([member for member, _ in at_station], case.station_id, actors)
        texts: dict[str, str] = {}  # the card rendered once per language its readers read
        items: list[OutboxItem] = []
        for member in picked:
            reader = self.cards.reader(member)
            text = texts.get(reader.lang) or texts.setdefault(reader.lang, reader.text(case))
            items += reader.items(case, member, text)
        chat = group_chat(self.deployment, case.station_id, case.kind)
        if chat is not None:  # many read a group: the deployment's default language
            items.append(self.cards.group_card(chat, case, texts.get(self.cards.lang)))
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
        return items, Routed(len(items), tuple(receiving) if case.kind is CaseKind.REPORT else ())
