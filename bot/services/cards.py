"""Case cards: how a case is shown to staff, by Telegram and e-mail, in one place.

The card's text and buttons, its photos and pin, the e-mail copy, the reminder and the
escalation alert above it, and a resident's answer passed back to staff: all outbox items
(what the outbox stores), each rendered in the language its reader reads
(bot.domain.staff_language); a station's group chat reads the deployment's default.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

from bot.domain import callbacks
from bot.domain.deployment import Commitment, Deployment
from bot.domain.lifecycle import Action, Status, allowed
from bot.domain.models import Case, CaseKind, Staff
from bot.domain.promises import commitment_in, linkable, today_in
from bot.domain.staff_language import staff_language
from bot.domain.text import one_line, paragraphs
from bot.i18n import SOURCE_LANGUAGE, Catalogs, InLanguage, Safe, date_time
from storage.outbox import OutboxItem

#: Callback scope of officer actions on a case (the card's buttons).
CASE_SCOPE = "c"

#: A card's buttons in their order, two a row: the action, its label, its callback code. A
#: card shows those the lifecycle allows from the case's status (`allowed`), so a closed case
#: offers to reopen it and no button that would only answer with an error; 🔗 Koppla only
#: while the station has a commitment to link to (`Cards.linkable_at`).
CARD_BUTTONS: tuple[tuple[Action, str, str], ...] = (
    (Action.ACKNOWLEDGE, "desk.btn.ack", "ack"),
    (Action.ASK, "desk.btn.ask", "ask"),
    (Action.START, "desk.btn.start", "start"),
    (Action.RESOLVE, "desk.btn.resolve", "res"),
    (Action.REJECT, "desk.btn.reject", "rej"),
    (Action.FORWARD, "desk.btn.forward", "fwd"),
    (Action.REOPEN, "desk.btn.reopen", "reopen"),
    (Action.LINK, "desk.btn.link", "link"),
)


class Cards(InLanguage):
    def __init__(
        self, deployment: Deployment, catalogs: Catalogs, *, email_enabled: bool = False
    ) -> None:
        self.deployment = deployment
        self.catalogs = catalogs
        self.email_enabled = email_enabled
        #: The language these cards are in: the deployment's default, or their reader's
        #: (`reader`, `in_language`).
        self.lang = deployment.deployment.default_language
        self.zone = ZoneInfo(deployment.deployment.timezone)

    def reader(self, member: Staff, telegram_language: str | None = None) -> Cards:
        """These cards as `member` reads them (bot.domain.staff_language)."""
        return self.in_language(staff_language(self.deployment, member, telegram_language))

    def t(self, key: str, lang: str | None = None, **params: object) -> str:
        return self.catalogs.text(lang or self.lang, key, **params)

    def local_time(self, iso: str) -> str:
        """A stored UTC time in the deployment's zone, written the desk language's way."""
        return date_time(dt.datetime.fromisoformat(iso).astimezone(self.zone), self.lang)

    def local_date(self, iso: str) -> dt.date:
        return dt.datetime.fromisoformat(iso).astimezone(self.zone).date()

    def station_name(self, station_id: str) -> str:
        """The station's name; its id when the deployment file no longer has it (the case
        stays readable, and `doctor` names such cases)."""
        return self.deployment.station_name(station_id)

    def actor_name(self, actor_id: str) -> str:
        actor = self.deployment.directory.actors.get(actor_id)
        return actor.name if actor is not None else actor_id

    # ------------------------------------------------------------------ the card
    def text(self, case: Case) -> str:
        category = self.deployment.category_label(case.category, self.lang) or "–"
        times = ", ".join(self.t(f"times.{v}") for v in case.times) or "–"
        place = one_line(case.place_text or "") or "–"  # resident text: one line, no controls
        if case.lat is not None:
            place += f" (📍 {case.lat:.5f}, {case.lon:.5f})"
        return self.t(
            "desk.card" if self.has_place_or_time(case) else "desk.idea_card",
            kind=self.t(f"kind.{case.kind.value}"),
            reference=case.reference,
            station=self.station_name(case.station_id),
            category=category,
            place=place,
            times=times,
            description=quoted(case.description),
            photos=len(case.photos),
            supporters=case.supporters,
            received=self.local_time(case.created_at),
            status=self.t(f"status.{case.status}"),
            language=self.language_name(case.language),
        ) + self.commitment_line(case.commitment_id)

    @staticmethod
    def has_place_or_time(case: Case) -> bool:
        """Whether the card has a category, place and time lines: a report always (a "–"
        where the resident gave none), an idea only when one of them was given."""
        given = case.category or case.place_text or case.lat is not None or case.times
        return case.kind is CaseKind.REPORT or bool(given)

    def shown_text(self, case: Case) -> str:
        """The card's text as Telegram shows it, without markup: what a card message of this
        case, as it is now, holds."""
        return html.unescape(re.sub(r"</?[a-zA-Z-]+[^>]*>", "", self.text(case)))

    def is_card(self, shown: str | None, case: Case) -> bool:
        """Whether a message showing `shown` is a card of `case`, from any time and in any
        language: its first line is the card's header ("rapport JKB-0001 · Jakobsberg").
        A reminder, an alert or a resident's answer starts with its own line."""
        first = (shown or "").split("\n", 1)[0]
        return any(
            first == self.in_language(lang).shown_text(case).split("\n", 1)[0]
            for lang in self.catalogs.languages
        )

    def language_name(self, code: str | None) -> str:
        """The language the resident wrote in, named in the desk's language ("finska"); the
        names are the export's (`export.language.*`). Its code when unnamed, "–" if unknown."""
        if not code:
            return "–"
        key = f"export.language.{code}"
        return self.t(key) if key in self.catalogs.keys(SOURCE_LANGUAGE) else code

    def commitment_line(self, commitment_id: str | None) -> str:
        """The line under the card naming the commitment the case is linked to, in the desk's
        language ('' when there is none; its id when the deployment file no longer has it)."""
        if commitment_id is None:
            return ""
        found = (
            c for p in self.deployment.promises for c in p.commitments if c.id == commitment_id
        )
        commitment = next(found, None)
        title = commitment_in(commitment, self.lang).text if commitment else commitment_id
        return "\n" + self.t("desk.card_commitment", commitment=title)

    def linkable_at(self, station_id: str) -> list[tuple[int, Commitment]]:
        """The commitments a case at this station may be linked to, with their positions
        (bot.domain.promises.linkable: those of promises that have not ended)."""
        promises = self.deployment.directory.promises_at(station_id)
        return linkable(promises, station_id, today_in(self.zone))

    def buttons(self, case: Case) -> list[list[list[str]]]:
        """The actions allowed from the case's status (`CARD_BUTTONS`), two a row; linking
        only when there is a commitment to link to."""
        offered = allowed(Status(case.status))
        if not self.linkable_at(case.station_id):
            offered -= {Action.LINK}
        shown = [
            [self.t(key), callbacks.encode(CASE_SCOPE, code, case.reference)]
            for action, key, code in CARD_BUTTONS
            if action in offered
        ]
        return [shown[i : i + 2] for i in range(0, len(shown), 2)]

    def items(self, case: Case, member: Staff, text: str | None = None) -> list[OutboxItem]:
        """The card, its photos and pin, by Telegram and/or e-mail, in the member's language
        (`text`: the card already rendered in it)."""
        if (reader := self.reader(member)) is not self:
            return reader.items(case, member, text)
        body = text or self.text(case)
        items: list[OutboxItem] = []
        if member.telegram_id:
            chat = str(member.telegram_id)
            items.append(
                OutboxItem(
                    "telegram", chat, "text", {"text": body, "buttons": self.buttons(case)}, case.id
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
            body_text = plain(body) + "\n\n" + plain(self.t("email.footer"))
            items.append(
                OutboxItem(
                    "email",
                    member.email,
                    "email",
                    {"subject": plain(subject), "body": body_text, "photos": list(case.photos)},
                    case.id,
                )
            )
        return items

    def group_card(self, chat: int, case: Case, text: str | None = None) -> OutboxItem:
        """The card in a station's group chat: its text only, no buttons."""
        return OutboxItem("telegram", str(chat), "text", {"text": text or self.text(case)}, case.id)

    # ------------------------------------------------------------------ around the card
    def reminder_items(self, case: Case, member: Staff, hours: int) -> list[OutboxItem]:
        """The card again, with a reminder above it, for a case nobody acknowledged in time."""
        if (reader := self.reader(member)) is not self:
            return reader.reminder_items(case, member, hours)
        reminder = self.t("desk.reminder", reference=case.reference, hours=hours)
        return self.items(case, member, f"{reminder}\n\n{self.text(case)}")

    def escalation(self, admin: Staff, case: Case, hours: int) -> OutboxItem:
        """An admin's alert that a case was not acknowledged in time, with the card (the
        admin has a Telegram id)."""
        if (reader := self.reader(admin)) is not self:
            return reader.escalation(admin, case, hours)
        alert = self.t(
            "desk.escalated",
            reference=case.reference,
            station=self.deployment.station(case.station_id).name,
            hours=hours,
        )
        return OutboxItem(
            "telegram",
            str(admin.telegram_id),
            "text",
            {"text": f"{alert}\n\n{self.text(case)}", "buttons": self.buttons(case)},
            case.id,
        )

    def answer_text(self, case: Case, text: str) -> str:
        """A resident's answer to a question, as staff read it."""
        return self.t("desk.answer", reference=case.reference, text=quoted(text))

    def answer_item(self, case: Case, member: Staff, body: str) -> OutboxItem | None:
        """The answer to one staff member: on Telegram with the card's buttons, else by e-mail
        (None: neither reaches them); `body`: `answer_text` in the member's language."""
        if (reader := self.reader(member)) is not self:
            return reader.answer_item(case, member, body)
        if member.telegram_id:
            return OutboxItem(
                "telegram",
                str(member.telegram_id),
                "text",
                {"text": body, "buttons": self.buttons(case)},
                case.id,
            )
        if member.email and self.email_enabled:
            return OutboxItem(
                "email",
                member.email,
                "email",
                {"subject": plain(body.splitlines()[0]), "body": plain(body)},
                case.id,
            )
        return None


def quoted(text: str) -> Safe:
    """A resident's text of several lines, set apart as a quote, so that no line of it can pass
    for a line of the card around it (in e-mail, each line starts with "> ")."""
    text = paragraphs(text)
    return Safe(f"<blockquote>{html.escape(text, quote=False)}</blockquote>" if text else "–")


def plain(html_text: str) -> str:
    """Telegram HTML to plain text for e-mail; a quote's lines start with "> "."""

    def quote(match: re.Match[str]) -> str:
        return "\n".join(f"> {line}".rstrip() for line in match[1].split("\n"))

    text = re.sub(r"<blockquote>(.*?)</blockquote>", quote, html_text, flags=re.DOTALL)
    return (
        html.unescape(re.sub(r"</?[a-zA-Z-]+[^>]*>", "", text))
        .replace("\u2068", "")
        .replace("\u2069", "")
    )
