"""The officer desk: routing cases to staff, acting on them, and telling the resident.

Every change is one transaction: the case row, its event, and the outbox rows for everyone
who must hear about it. The outbox worker sends them afterwards.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import aiosqlite

from bot.domain import callbacks
from bot.domain.access import may_open
from bot.domain.deployment import Actor, ActorKind, Commitment, Deployment, Role
from bot.domain.lifecycle import NOTIFY_RESIDENT, Action, Status, apply
from bot.domain.models import Case
from bot.domain.routing import group_chat, pick_staff, route
from bot.domain.text import TooLong, check_fits, one_line, paragraphs
from bot.i18n import Catalogs, Safe
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
from storage.staff import Staff, StaffEntry, StaffRepository

log = logging.getLogger(__name__)

#: Callback scopes: officer actions on a case, and a resident answering a question.
CASE_SCOPE = "c"
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


class Desk:
    def __init__(
        self,
        db: Database,
        deployment: Deployment,
        catalogs: Catalogs,
        cases: CaseRepository,
        staff: StaffRepository,
        *,
        email_enabled: bool = False,
    ) -> None:
        self._db = db
        self.email_enabled = email_enabled
        self.deployment = deployment
        self.catalogs = catalogs
        self.cases = cases
        self.staff = staff
        self.lang = deployment.deployment.default_language
        self.zone = ZoneInfo(deployment.deployment.timezone)
        #: Called after outbox rows are committed (the worker's wake-up).
        self.on_enqueue: Callable[[], None] = lambda: None

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

    def actor_name(self, actor_id: str) -> str:
        for actor in self.deployment.actors:
            if actor.id == actor_id:
                return actor.name
        return actor_id

    async def authorise(self, member: Staff | None, reference: str) -> Case:
        """The case, if this staff member may see and act on it; else Refused."""
        case = await self.cases.get(reference)
        if member is None or case is None:
            raise Refused
        if may_open(member, case.station_id, await self.cases.actors(case.id)):
            return case
        raise Refused

    # ------------------------------------------------------------------ rendering
    def t(self, key: str, lang: str | None = None, **params: object) -> str:
        return self.catalogs.text(lang or self.lang, key, **params)

    def local_time(self, iso: str) -> str:
        return dt.datetime.fromisoformat(iso).astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def station_name(self, station_id: str) -> str:
        """The station's name; its id when the deployment file no longer has it (the case
        stays readable, and `doctor` names such cases)."""
        try:
            return self.deployment.station(station_id).name
        except KeyError:
            return station_id

    def card_text(self, case: Case) -> str:
        category = "–"
        for c in self.deployment.categories:
            if c.id == case.category:
                category = c.name.get(self.lang) or c.name["sv"]
        times = ", ".join(self.t(f"times.{v}") for v in case.times) or "–"
        place = one_line(case.place_text or "") or "–"  # resident text: one line, no controls
        if case.lat is not None:
            place += f" (📍 {case.lat:.5f}, {case.lon:.5f})"
        return self.t(
            "desk.card",
            kind=self.t(f"kind.{case.kind.value}"),
            reference=case.reference,
            station=self.station_name(case.station_id),
            category=category,
            place=place,
            times=times,
            description=_quoted(case.description),
            photos=len(case.photos),
            supporters=case.supporters,
            received=self.local_time(case.created_at),
            status=self.t(f"status.{case.status}"),
        )

    def card_buttons(self, case: Case) -> list[list[list[str]]]:
        def b(key: str, code: str) -> list[str]:
            return [self.t(key), callbacks.encode(CASE_SCOPE, code, case.reference)]

        return [
            [b("desk.btn.ack", "ack"), b("desk.btn.ask", "ask")],
            [b("desk.btn.start", "start"), b("desk.btn.resolve", "res")],
            [b("desk.btn.reject", "rej"), b("desk.btn.forward", "fwd")],
            [b("desk.btn.link", "link")],
        ]

    def card_items(self, case: Case, member: Staff, text: str | None = None) -> list[OutboxItem]:
        """The card, its photos and pin, by Telegram and/or e-mail."""
        body = text or self.card_text(case)
        items: list[OutboxItem] = []
        if member.telegram_id:
            chat = str(member.telegram_id)
            items.append(
                OutboxItem(
                    "telegram",
                    chat,
                    "text",
                    {"text": body, "buttons": self.card_buttons(case)},
                    case.id,
                )
            )
            items += [
                OutboxItem(
                    "telegram", chat, "photo", {"path": p, "caption": case.reference}, case.id
                )
                for p in case.photos
            ]
            if case.lat is not None and case.lon is not None:
                items.append(
                    OutboxItem(
                        "telegram", chat, "location", {"lat": case.lat, "lon": case.lon}, case.id
                    )
                )
        if member.email and self.email_enabled:
            subject = self.t(
                "email.subject",
                kind=self.t(f"kind.{case.kind.value}"),
                reference=case.reference,
                station=self.station_name(case.station_id),
            )
            plain = _plain(body) + "\n\n" + _plain(self.t("email.footer"))
            items.append(
                OutboxItem(
                    "email",
                    member.email,
                    "email",
                    {"subject": _plain(subject), "body": plain, "photos": list(case.photos)},
                    case.id,
                )
            )
        return items

    # ------------------------------------------------------------------ routing
    async def route_new_case(self, conn: aiosqlite.Connection, case: Case) -> list[OutboxItem]:
        """Inside the submit transaction: record the routed actors, the event, and the cards."""
        actors = route(self.deployment, case.station_id, case.kind, case.category)
        await add_actors(conn, case.id, actors)
        await add_event(conn, case.id, "created", to_status=Status.NEW.value)
        items: list[OutboxItem] = []
        for member in pick_staff(await self.staff.active(), case.station_id, actors):
            items += self.card_items(case, member)
        chat = group_chat(self.deployment, case.station_id, case.kind)
        if chat is not None:
            items.append(
                OutboxItem("telegram", str(chat), "text", {"text": self.card_text(case)}, case.id)
            )
        return items

    async def receiving(self, case: Case) -> list[str]:
        """Names of the partner actors the case really reaches (for the resident's
        confirmation): those with staff at its station whom the bot can reach on Telegram (no
        refusal known) or by e-mail. The routing alone also names actors with nobody there."""
        actors = await self.cases.actors(case.id)
        unreachable = await self.staff.unreachable()
        reached = {
            member.actor_id
            for member in pick_staff(await self.staff.active(), case.station_id, actors)
            if member.role == Role.PARTNER.value
            and (
                (member.telegram_id is not None and member.telegram_id not in unreachable)
                or (member.email is not None and self.email_enabled)
            )
        }
        return [self.actor_name(a) for a in actors if a in reached]

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
        return Outcome(updated, status, action)

    async def _resident_items(
        self, case: Case, action: Action, actor: str, note: str | None
    ) -> list[OutboxItem]:
        items = []
        for chat_id, language in await self.cases.followers(case.id):
            lang = language if language in self.catalogs.languages else self.lang
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
        row = (
            await self._db.fetchone(
                "SELECT chat_id FROM residents WHERE id = ?", (case.resident_id,)
            )
            if case.resident_id
            else None
        )
        return int(row[0]) if row else None

    async def forward_targets(self, case: Case) -> list[Actor]:
        """The actors a case can be forwarded to: not already on it, and not the operators."""
        current = set(await self.cases.actors(case.id))
        return [
            a
            for a in self.deployment.actors
            if a.id not in current and a.kind is not ActorKind.OTHER
        ]

    async def forward(self, member: Staff | None, reference: str, actor_id: str) -> Case:
        """Send the case to another actor's staff at the station too; it stays open."""
        case = await self.authorise(member, reference)
        assert member is not None
        apply(Status(case.status), Action.FORWARD)
        if actor_id not in {a.id for a in await self.forward_targets(case)}:
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
                items += self.card_items(case, target)
            await enqueue(conn, items)
        self.on_enqueue()
        return case

    def commitments_at(self, station_id: str) -> list[Commitment]:
        found = []
        for promise in self.deployment.promises:
            if station_id in promise.stations:
                found += [
                    c for c in promise.commitments if not c.stations or station_id in c.stations
                ]
        return found

    async def link(self, member: Staff | None, reference: str, index: int) -> Commitment:
        case = await self.authorise(member, reference)
        assert member is not None
        options = self.commitments_at(case.station_id)
        if not 0 <= index < len(options):
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
                if s.role == Role.KOMMUNPOLIS.value
            ]
        body = self.t("desk.answer", reference=case.reference, text=_quoted(text))
        check_fits([body])  # staff read it in the desk's language
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
            items = []
            for target in targets:
                if target.telegram_id:
                    items.append(
                        OutboxItem(
                            "telegram",
                            str(target.telegram_id),
                            "text",
                            {"text": body, "buttons": self.card_buttons(case)},
                            case.id,
                        )
                    )
                elif target.email and self.email_enabled:
                    items.append(
                        OutboxItem(
                            "email",
                            target.email,
                            "email",
                            {"subject": _plain(body.splitlines()[0]), "body": _plain(body)},
                            case.id,
                        )
                    )
            await enqueue(conn, items)
        self.on_enqueue()
        return case

    async def escalate(self, now: dt.datetime | None = None) -> int:
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
            station = self.deployment.station(case.station_id)
            reminder = self.t("desk.reminder", reference=case.reference, hours=hours)
            items: list[OutboxItem] = []
            for member in pick_staff(staff, case.station_id, actors):
                items += self.card_items(case, member, f"{reminder}\n\n{self.card_text(case)}")
            alert = self.t(
                "desk.escalated", reference=case.reference, station=station.name, hours=hours
            )
            for admin in staff:
                if (
                    admin.role == Role.ADMIN.value
                    and admin.telegram_id
                    and may_open(admin, case.station_id, actors)
                ):
                    items.append(
                        OutboxItem(
                            "telegram",
                            str(admin.telegram_id),
                            "text",
                            {
                                "text": f"{alert}\n\n{self.card_text(case)}",
                                "buttons": self.card_buttons(case),
                            },
                            case.id,
                        )
                    )
            async with self._db.transaction() as conn:
                await conn.execute(
                    "UPDATE cases SET escalated_at = ? WHERE id = ?",
                    (now.isoformat(timespec="seconds"), case.id),
                )
                await add_event(
                    conn, case.id, "escalated", from_status=case.status, to_status=case.status
                )
                await enqueue(conn, items)
        if stale:
            self.on_enqueue()
        return len(stale)

    async def open_cases(self, member: Staff, page: int, size: int = 5) -> tuple[list[Case], int]:
        if member.role == Role.ADMIN.value and not member.stations:
            stations = [s.id for s in self.deployment.stations]
            actors = [a.id for a in self.deployment.actors]
        else:
            stations = list(member.stations)
            actors = (
                [a.id for a in self.deployment.actors]
                if member.role in (Role.KOMMUNPOLIS.value, Role.ADMIN.value)
                else [member.actor_id]
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


def _quoted(text: str) -> Safe:
    """A resident's text of several lines, set apart as a quote, so that no line of it can pass
    for a line of the card around it (in e-mail, each line starts with "> ")."""
    text = paragraphs(text)
    return Safe(f"<blockquote>{html.escape(text, quote=False)}</blockquote>" if text else "–")


def _plain(html_text: str) -> str:
    """Telegram HTML to plain text for e-mail; a quote's lines start with "> "."""

    def quote(match: re.Match[str]) -> str:
        return "\n".join(f"> {line}".rstrip() for line in match[1].split("\n"))

    text = re.sub(r"<blockquote>(.*?)</blockquote>", quote, html_text, flags=re.DOTALL)
    return (
        html.unescape(re.sub(r"</?[a-zA-Z-]+[^>]*>", "", text))
        .replace("\u2068", "")
        .replace("\u2069", "")
    )


__all__ = ["ACTION_CODES", "ANSWER_SCOPE", "CASE_SCOPE", "Desk", "Outcome", "Refused", "TooLong"]
