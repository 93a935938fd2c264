"""When a message cannot be delivered for good: say so where someone reads it.

The outbox worker calls these after Telegram refused a message: the chat cannot be reached
(`gone`: a staff member who never opened the bot, blocked it or deleted the account; a
station's group chat the bot was removed from), or the message itself was refused or failed
every try (`refused`: "message is too long", an e-mail server that never took it). Each is
logged at WARNING and told to people through the outbox: the station's admins and the ops
chat for staff who cannot be reached (once per person, until they write to the bot again),
the ops chat (else the station's admins) for the rest. No resident's id or text is in either.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Collection

from telegram import Bot

from bot.domain.access import hears_admin_alerts
from bot.domain.chats import group_stations
from bot.i18n import Safe
from bot.metrics import Metrics
from bot.reach import probe_chats
from bot.services.desk import Desk
from storage.outbox import OutboxItem, OutboxRepository, OutboxRow
from storage.pulse import PulseRepository
from storage.staff import Staff

log = logging.getLogger(__name__)

#: The payload flag of an alert row: an alert that cannot be delivered raises no other alert.
ALERT = "alert"

#: An alert's text in a language: each admin reads it in theirs (bot.domain.staff_language),
#: the ops chat in the deployment's default.
Render = Callable[[str], str]


class Refusals:
    def __init__(
        self,
        desk: Desk,
        outbox: OutboxRepository,
        ops_chat_id: int | None,
        metrics: Metrics | None = None,
        pulse: PulseRepository | None = None,
    ) -> None:
        self._desk = desk
        self._outbox = outbox
        self._ops = ops_chat_id
        self._metrics = metrics
        self._pulse = pulse

    async def gone(self, row: OutboxRow, reason: str, news: bool) -> None:
        """Telegram cannot reach the chat of `row` (its pending rows are dropped). `news`:
        the chat was not known to be unreachable for this reason before."""
        chat = int(row.recipient)
        if self._pulse is not None and chat > 0:  # a block stops the trygghetsmätning
            withdrawn = await self._pulse.withdraw_chat(chat)
            if withdrawn:
                log.info("A chat is gone: %d trygghetsmätning opt-ins withdrawn", withdrawn)
        member = await self._desk.staff.by_telegram(chat) if chat > 0 else None
        if member is not None:
            await self._staff_gone(member, reason, news)
            return
        stations = group_stations(self._desk.deployment, chat) if chat < 0 else ()
        if stations:
            names = ", ".join(self._desk.station_name(s) for s in stations)
            log.warning(
                "The group chat of station %s (%d) cannot be reached (%s): cards for the"
                " station do not reach it",
                names,
                chat,
                reason,
            )
            if news:

                def who(lang: str) -> Safe:
                    return Safe(self._desk.t("alert.who.group", lang, station=names))

                await self._tell(self._alert_refused(row, who, reason, None), stations)
        elif chat == self._ops:
            log.warning("The ops chat (TRYGG_OPS_CHAT_ID) cannot be reached: %s", reason)

    async def probe_staff(self, bot: Bot) -> int:
        """At start-up: getChat each active staff member's chat not already known to be
        unreachable, and record those Telegram refuses as a refused card would (the chat is
        marked, the admins are told once), so that even the first resident is not told that
        they receive the report. The number found unreachable."""
        known = await self._desk.staff.unreachable()
        members = {
            member.telegram_id: member
            for member in await self._desk.staff.active()
            if member.telegram_id is not None and member.telegram_id not in known
        }
        found = 0
        for reach in await probe_chats(bot, list(members)):
            if reach.no_answer is not None:
                log.info(
                    "Staff id %d: getChat got no answer: %s",
                    members[reach.chat_id].id,
                    reach.no_answer,
                )
            if reach.refused is None:
                continue
            found += 1
            news = await self._outbox.dead(str(reach.chat_id), reach.refused)
            await self._staff_gone(members[reach.chat_id], reach.refused, news, card=False)
        return found

    async def _staff_gone(
        self, member: Staff, reason: str, news: bool, *, card: bool = True
    ) -> None:
        by_mail = bool(member.email and self._desk.email_enabled)
        log.warning(
            "Staff member %r (staff id %d, %s) cannot be reached on Telegram (%s): %s until"
            " they open the bot",
            member.name,
            member.id,
            member.actor_id,
            reason,
            "cases go to their e-mail only" if by_mail else "they get no cases",
        )
        if card and self._metrics is not None:  # cards refused, not start-up checks
            self._metrics.staff_unreachable.labels(member.actor_id).inc()
        if not news:
            return  # the admins were told when it began
        fallback = "alert.fallback_email" if by_mail else "alert.fallback_none"

        def text(lang: str) -> str:
            return self._desk.t(
                "alert.staff_unreachable",
                lang,
                name=member.name,
                actor=self._desk.actor_name(member.actor_id),
                stations=", ".join(self._desk.station_name(s) for s in member.stations) or "–",
                fallback=Safe(self._desk.t(fallback, lang)),
            )

        chats = await self._admins(member.stations, besides=member.telegram_id)
        if self._ops is not None:
            chats.setdefault(self._ops, self._desk.lang)
        if not chats:
            log.warning("No admin or ops chat to tell that %r cannot be reached", member.name)
        await self._enqueue(text, chats)

    async def refused(self, row: OutboxRow, reason: str) -> None:
        """Telegram refused this message as it is, or it failed every try: not sent again."""
        if row.payload.get(ALERT):
            log.warning("Alert row %d could not be delivered: %s", row.id, reason)
            return  # never an alert about an alert
        reference = await self._outbox.reference(row.case_id)
        who = await self._who(row)
        station = await self._station_of(reference)
        await self._tell(self._alert_refused(row, who, reason, reference), station)

    # ------------------------------------------------------------------ helpers
    def _alert_refused(
        self, row: OutboxRow, who: Callable[[str], Safe], reason: str, reference: str | None
    ) -> Render:
        def text(lang: str) -> str:
            return self._desk.t(
                "alert.refused",
                lang,
                who=who(lang),
                reference=reference or "–",
                reason=reason,
                row=str(row.id),
            )

        return text

    async def _who(self, row: OutboxRow) -> Callable[[str], Safe]:
        """The recipient, as an admin may read it (in a language): a staff member's name, a
        station's group, an e-mail address of staff; a resident only as "a resident"."""
        key, params = "alert.who.chat", {}
        if row.channel != "telegram":
            named = Safe(html.escape(row.recipient, quote=False))  # staff addresses only
            return lambda lang: named
        chat = int(row.recipient)
        if chat > 0:
            member = await self._desk.staff.by_telegram(chat)
            if member is not None:
                name = Safe(html.escape(member.name, quote=False))
                return lambda lang: name
            key = "alert.who.resident"
        elif stations := group_stations(self._desk.deployment, chat):
            key = "alert.who.group"
            params = {"station": ", ".join(self._desk.station_name(s) for s in stations)}
        return lambda lang: Safe(self._desk.t(key, lang, **params))

    async def _station_of(self, reference: str | None) -> tuple[str, ...]:
        case = await self._desk.cases.get(reference) if reference else None
        return (case.station_id,) if case else ()

    async def tell_ops(self, text: str) -> bool:
        """Queue an alert for the ops chat (the error handler's "something failed"); False
        if no ops chat is set. Like every alert, one that cannot be delivered raises none."""
        if self._ops is None:
            return False
        await self._enqueue(lambda lang: text, {self._ops: self._desk.lang})
        return True

    async def _tell(self, text: Render, stations: Collection[str]) -> None:
        """The ops chat if there is one, else the admins of these stations (and national)."""
        if self._ops is not None:
            chats = {self._ops: self._desk.lang}
        else:
            chats = await self._admins(stations)
        await self._enqueue(text, chats)

    async def _admins(
        self, stations: Collection[str], besides: int | None = None
    ) -> dict[int, str]:
        """Chats of the admins who look after any of these stations (national admins always),
        leaving out those the bot cannot reach itself, each with the language it reads."""
        unreachable = await self._desk.staff.unreachable()
        chats: dict[int, str] = {}
        for admin in await self._desk.staff.active():
            if (
                hears_admin_alerts(admin, stations)
                and admin.telegram_id
                and admin.telegram_id != besides
                and admin.telegram_id not in unreachable
            ):
                chats[admin.telegram_id] = self._desk.cards.reader(admin).lang
        return chats

    async def _enqueue(self, text: Render, chats: dict[int, str]) -> None:
        """The alert to each chat, in the language it reads (rendered once per language)."""
        if not chats:
            return
        texts = {lang: text(lang) for lang in set(chats.values())}
        await self._outbox.add(
            [
                OutboxItem("telegram", str(chat), "text", {"text": texts[lang], ALERT: True})
                for chat, lang in chats.items()
            ]
        )
        self._desk.on_enqueue()
