"""The officer desk: acting on cases, and telling the resident.

Cards are rendered in bot.services.cards, new cases routed in bot.services.routing, late ones
escalated in bot.services.escalation. Every change is one transaction: the case row, its
event, and the outbox rows for everyone who must hear about it. The outbox worker sends them
afterwards.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import aiosqlite

from bot.domain import callbacks
from bot.domain.access import case_list_scope, is_kommunpolis_at, may_learn_absent, may_open
from bot.domain.deployment import Actor, Commitment, Deployment
from bot.domain.forwarding import forward_targets
from bot.domain.lifecycle import NOTIFY_RESIDENT, Action, Status, apply
from bot.domain.models import REFERENCE, Case, NotFound
from bot.domain.routing import pick_staff
from bot.domain.staff_language import resident_language
from bot.domain.text import TooLong, check_fits
from bot.i18n import Catalogs
from bot.services.cards import CASE_SCOPE, Cards
from bot.services.routing import Routing
from bot.services.wake import Wake
from storage.audit import AuditRepository
from storage.cases import (
    CaseRepository,
    add_actors,
    add_event,
    event_of_message,
    last_status_change,
    set_commitment,
    set_status,
)
from storage.database import Database
from storage.outbox import OutboxItem, enqueue
from storage.residents import ResidentRepository
from storage.staff import Staff, StaffEntry, StaffRepository

log = logging.getLogger(__name__)

#: Callback scope of a resident answering a question (officer actions: CASE_SCOPE).
ANSWER_SCOPE = "a"

ACTION_CODES = {
    "ack": Action.ACKNOWLEDGE,
    "start": Action.START,
    "res": Action.RESOLVE,
    "rej": Action.REJECT,
    "ask": Action.ASK,
    "reopen": Action.REOPEN,
}


class Refused(Exception):
    """The user may not do this; the message reveals nothing about the case."""


class AlreadyHandled(Exception):
    """Someone else changed the case between reading it and writing: nothing was done."""

    def __init__(self, reference: str, actor: str, status: Status) -> None:
        super().__init__(f"{reference} was already handled by {actor}")
        self.reference = reference
        self.actor = actor
        self.status = status


@dataclass(frozen=True)
class Outcome:
    case: Case
    status: Status
    action: Action
    #: How many residents were sent a message about it (0: nobody was told).
    told: int = 0


class Desk:
    def __init__(
        self,
        db: Database,
        deployment: Deployment,
        catalogs: Catalogs,
        cases: CaseRepository,
        staff: StaffRepository,
        residents: ResidentRepository,
        cards: Cards,
        routing: Routing,
        wake: Wake,
        audit: AuditRepository,
    ) -> None:
        self._db = db
        self._audit = audit
        self.deployment = deployment
        self.catalogs = catalogs
        self.cases = cases
        self.staff = staff
        self.residents = residents
        self.cards = cards
        self.routing = routing
        self.email_enabled = cards.email_enabled
        #: Called after outbox rows are committed (the worker's wake-up).
        self.on_enqueue = wake

    # ------------------------------------------------------------------ staff
    async def sync_staff(self) -> None:
        if not self.email_enabled:
            mail_only = [m.name for m in self.deployment.staff if m.email and not m.telegram_id]
            if mail_only:
                log.warning(
                    "TRYGG_SMTP_HOST is not set: %d staff reachable only by e-mail get no cases",
                    len(mail_only),
                )
        await self.staff.sync_deployment(
            [
                StaffEntry(
                    name=m.name,
                    role=m.role.value,
                    actor_id=m.actor,
                    stations=tuple(m.stations),
                    telegram_id=m.telegram_id,
                    email=m.email,
                )
                for m in self.deployment.staff
            ]
        )

    async def member(self, telegram_id: int | None) -> Staff | None:
        return await self.staff.by_telegram(telegram_id) if telegram_id else None

    async def authorise(self, member: Staff | None, reference: str) -> Case:
        """The case, if this staff member may see and act on it; else Refused."""
        case = await self.cases.get(reference)
        if member is None or case is None:
            raise Refused
        if may_open(member, case.station_id, await self.cases.actors(case.id)):
            return case
        raise Refused

    async def view(self, member: Staff | None, reference: str) -> Case:
        """The case for a staff member to read (as `authorise`), the view audit-logged. A
        malformed reference, or none where they would see every case, is NotFound."""
        form = REFERENCE.fullmatch(reference)
        if member is not None and form is None:
            raise NotFound("desk.bad_reference", reference)
        here = next((s.id for s in self.deployment.stations if form and s.code == form[1]), None)
        if member and may_learn_absent(member, here) and not await self.cases.get(reference):
            raise NotFound("desk.no_such_case", reference)
        case = await self.authorise(member, reference)
        assert member is not None
        await self._audit.log(f"staff:{member.id}", "view", {"case": case.reference})
        return case

    # ------------------------------------------------------------------ rendering
    # The desk's handlers render with these; the cards themselves live in bot.services.cards.
    @property
    def lang(self) -> str:
        """The desk's language: staff read cards, alerts and answers in it."""
        return self.cards.lang

    @lang.setter
    def lang(self, lang: str) -> None:
        self.cards.lang = lang

    def t(self, key: str, lang: str | None = None, **params: object) -> str:
        return self.cards.t(key, lang, **params)

    def local_time(self, iso: str) -> str:
        return self.cards.local_time(iso)

    def local_date(self, iso: str) -> dt.date:
        return self.cards.local_date(iso)

    def station_name(self, station_id: str) -> str:
        return self.cards.station_name(station_id)

    def actor_name(self, actor_id: str) -> str:
        return self.cards.actor_name(actor_id)

    def card_text(self, case: Case) -> str:
        return self.cards.text(case)

    def card_buttons(self, case: Case) -> list[list[list[str]]]:
        return self.cards.buttons(case)

    # ------------------------------------------------------------------ actions
    async def act(
        self, member: Staff | None, reference: str, action: Action, note: str | None = None
    ) -> Outcome:
        """Apply an officer's action; the resident hears of it when it is meant for them.

        The status read here is checked again where it is written: of two officers acting at
        once, one wins and the other gets AlreadyHandled (nothing recorded, nobody told).
        """
        case = await self.authorise(member, reference)
        assert member is not None
        status = apply(Status(case.status), action)
        actor = self.actor_name(member.actor_id)
        if note is not None and action in NOTIFY_RESIDENT:
            # In every language: a follower may read it in any, and may join after this check.
            check_fits(
                self._resident_text(case, action, actor, note, lang)
                for lang in self.catalogs.languages
            )
        async with self._db.transaction() as conn:
            if not await set_status(conn, case.id, case.status, status.value):
                by, now = await last_status_change(conn, case.id)
                raise AlreadyHandled(
                    case.reference, self.actor_name(by) if by else "–", Status(now or status)
                )
            await _record(conn, case, member, action, to_status=status, note=note)
            items: list[OutboxItem] = []
            if action in NOTIFY_RESIDENT:
                items += await self._resident_items(case, action, actor, note)
            await enqueue(conn, items)
        self.on_enqueue()
        updated = await self.cases.get(reference)
        assert updated is not None
        return Outcome(updated, status, action, len(items))

    async def _resident_items(
        self, case: Case, action: Action, actor: str, note: str | None
    ) -> list[OutboxItem]:
        items = []
        for chat_id, language in await self.cases.followers(case.id):
            lang = resident_language(self.deployment, language, case.language)  # not ours
            text = self._resident_text(case, action, actor, note, lang)
            payload: dict[str, object] = {"text": text}
            if action is Action.ASK and chat_id == await self.reporter_chat(case):
                payload["buttons"] = [
                    [
                        [
                            self.t("resident.answer_btn", lang),
                            callbacks.encode(ANSWER_SCOPE, "ans", case.reference),
                        ]
                    ]
                ]
            items.append(OutboxItem("telegram", str(chat_id), "text", payload, case.id))
        return items

    def _resident_text(
        self, case: Case, action: Action, actor: str, note: str | None, lang: str
    ) -> str:
        return self.t(
            f"resident.{action.value}", lang, reference=case.reference, actor=actor, note=note or ""
        )

    async def reporter_chat(self, case: Case) -> int | None:
        """The chat of the resident who reported the case (None when they are gone)."""
        return await self.residents.chat_of(case.resident_id) if case.resident_id else None

    async def forward_targets(self, case: Case) -> tuple[list[Actor], list[Actor]]:
        """The actors a case can be forwarded to: (those at its station, the others)."""
        return forward_targets(self.deployment, case.station_id, await self.cases.actors(case.id))

    async def forward(self, member: Staff | None, reference: str, actor_id: str) -> Case:
        """Send the case to another actor's staff at the station too; it stays open."""
        case = await self.authorise(member, reference)
        assert member is not None
        apply(Status(case.status), Action.FORWARD)
        if actor_id not in {a.id for group in await self.forward_targets(case) for a in group}:
            raise Refused  # only an actor the forward menu offers
        async with self._db.transaction() as conn:
            await add_actors(conn, case.id, [actor_id])
            await _record(conn, case, member, Action.FORWARD, note=actor_id)
            targets = [
                s
                for s in pick_staff(await self.staff.active(), case.station_id, [actor_id])
                if s.actor_id == actor_id
            ]
            items: list[OutboxItem] = []
            for target in targets:
                items += self.cards.items(case, target)
            await enqueue(conn, items)
        self.on_enqueue()
        return case

    def linkable_at(self, station_id: str) -> list[tuple[int, Commitment]]:
        """The commitments a case may be linked to, with their positions (`linkable`)."""
        return self.cards.linkable_at(station_id)

    async def link(self, member: Staff | None, reference: str, index: int) -> Commitment:
        case = await self.authorise(member, reference)
        assert member is not None
        options = dict(self.linkable_at(case.station_id))
        if index not in options:
            raise Refused
        commitment = options[index]
        async with self._db.transaction() as conn:
            await set_commitment(conn, case.id, commitment.id)
            await _record(conn, case, member, Action.LINK, note=commitment.id)
        return commitment

    async def answerable(self, chat_id: int, reference: str) -> Case:
        """The case, if this chat reported it and staff asked a question on it; else Refused."""
        case, _ = await self._question(chat_id, reference)
        return case

    async def _question(self, chat_id: int, reference: str) -> tuple[Case, list[int]]:
        """The case this chat reported and the staff who asked on it, oldest first; Refused
        when it is not theirs or nobody asked (the answer button comes only with a question)."""
        case = await self.cases.get(reference)
        if case is None or await self.reporter_chat(case) != chat_id:
            raise Refused
        asks = [e for e in await self.cases.events(case.id) if e["action"] == Action.ASK.value]
        if not asks:
            raise Refused
        return case, [e["staff_id"] for e in asks if e["staff_id"]]

    async def answer(
        self, chat_id: int, reference: str, text: str, message_id: int | None = None
    ) -> Case:
        """A resident's answer to a question: back to whoever asked (else the kommunpolis).

        Once per Telegram message (`message_id` in this chat): the same message delivered
        again (Telegram does after a crash) stores and passes on nothing new."""
        case, askers = await self._question(chat_id, reference)
        targets: list[Staff] = []
        actors = await self.cases.actors(case.id)
        if askers:
            asker = await self.staff.get(askers[-1])
            # Only while they may still open the case (a move to another station ends it).
            if asker and asker.active and may_open(asker, case.station_id, actors):
                targets.append(asker)
        if not targets:
            targets = [
                s
                for s in pick_staff(await self.staff.active(), case.station_id, actors)
                if is_kommunpolis_at(s, case.station_id)
            ]
        # Each in the language its reader reads (bot.domain.staff_language).
        bodies = [self.cards.reader(target).answer_text(case, text) for target in targets]
        check_fits(bodies)
        # The case and the message id name the message: only its reporter's chat answers, and
        # the resident's chat id stays out of the case's history (erasure keeps the case).
        message = None if message_id is None else f"{case.id}:{message_id}"
        async with self._db.transaction() as conn:
            if message is not None and await event_of_message(conn, message):
                log.info("Case %s: an answer came again; nothing new stored", case.reference)
                return case
            await add_event(
                conn,
                case.id,
                "answer",
                from_status=case.status,
                to_status=case.status,
                note=text,
                message=message,
            )
            pairs = zip(targets, bodies, strict=True)
            items = [self.cards.answer_item(case, t, b) for t, b in pairs]
            await enqueue(conn, [item for item in items if item is not None])
        self.on_enqueue()
        return case

    async def open_cases(self, member: Staff, page: int, size: int = 5) -> tuple[list[Case], int]:
        stations, actors = case_list_scope(
            member, [s.id for s in self.deployment.stations], [a.id for a in self.deployment.actors]
        )
        return await self.cases.open_for(stations, actors, page * size, size)


async def _record(
    conn: aiosqlite.Connection,
    case: Case,
    member: Staff,
    action: Action,
    *,
    to_status: Status | None = None,
    note: str | None = None,
) -> None:
    """The case event for a staff member's action: who, which actor, from and to what."""
    await add_event(
        conn,
        case.id,
        action.value,
        from_status=case.status,
        to_status=(to_status.value if to_status else case.status),
        actor_id=member.actor_id,
        staff_id=member.id,
        note=note,
    )


__all__ = [
    "ACTION_CODES",
    "ANSWER_SCOPE",
    "CASE_SCOPE",
    "AlreadyHandled",
    "Desk",
    "Outcome",
    "Refused",
    "TooLong",
]
