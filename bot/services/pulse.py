"""The trygghetsmätning asked and answered (bot.domain.pulse): once a month, on each
resident's own day, the question about each station they follow and agreed to be asked
about; an answer stored under the month's pseudonym, never the chat id.

The opt-in itself (the buttons after following a station, /prenumerationer) and the privacy
side (/minadata, /radera) live elsewhere (bot.services.pulse_optin, bot.services.privacy)."""

from __future__ import annotations

import datetime as dt
import enum
import html
import logging
from dataclasses import dataclass

from bot.delivery.messages import BROADCAST
from bot.domain import callbacks
from bot.domain.deployment import Deployment
from bot.domain.promises import timeline
from bot.domain.pulse import (
    SCALE,
    MonthState,
    Pressed,
    ask_day,
    button_arg,
    month_state,
    parse_arg,
    pseudonym,
)
from bot.domain.trygghet import month_of
from bot.i18n import Catalogs
from bot.services.wake import Wake
from storage.outbox import OutboxItem
from storage.pulse import PulseRepository
from storage.residents import ResidentRepository

log = logging.getLogger(__name__)

#: The callback scope of the pulse's buttons: `v1:pq:<action>:<station>.<month>[.<n>]`.
SCOPE = "pq"
SCORE, CATEGORY, SKIP, STOP, CHANGE = "s", "c", "k", "n", "e"

Rows = list[list[tuple[str, str]]]


class Reply(enum.Enum):
    """What a press on a pulse button came to (the handler says it in one line)."""

    STORED = "stored"  # the first answer this month: the follow-up comes next
    CHANGED = "changed"  # a second press changed this month's answer
    REOPENED = "reopened"  # "Ändra svar": the scale is shown again (month still open)
    CHOSEN = "chosen"  # what would make the most difference is noted
    SKIPPED = "skipped"  # the follow-up skipped
    STOPPED = "stopped"  # "Fråga inte mer": the consent for the station is gone
    CLOSED = "closed"  # the month asked about is over
    STALE = "stale"  # not a question this chat was asked (or no such score or category)


@dataclass(frozen=True)
class Outcome:
    reply: Reply
    lang: str
    station_id: str = ""
    month: str = ""
    score: int = 0  # the score stored (STORED, CHANGED)


class Pulse:
    def __init__(
        self,
        deployment: Deployment,
        catalogs: Catalogs,
        repo: PulseRepository,
        residents: ResidentRepository,
        wake: Wake | None = None,
    ) -> None:
        self.deployment = deployment
        self.catalogs = catalogs
        self.repo = repo
        self.residents = residents
        #: Called after outbox rows are committed (the worker's wake-up).
        self.on_enqueue = wake or Wake()

    def _lang(self, language: str | None) -> str:
        return self.catalogs.stored_or(language, self.deployment.deployment.default_language)

    def station_name(self, station_id: str) -> str:
        return self.deployment.station_name(station_id)

    def categories(self, station_id: str) -> list[str]:
        """The categories a resident may name at a station: those intake offers there
        (every category of the deployment file), in the file's order."""
        return [c.id for c in self.deployment.categories]

    # ------------------------------------------------------------------ asking
    def asks(self, station_id: str, today: dt.date) -> bool:
        """False while a promise at the station that says `pulse.ask: false` runs."""
        current = timeline(self.deployment.directory.promises_at(station_id), today).current
        return current is None or current.pulse.ask

    def question(self, station_id: str, lang: str, today: dt.date) -> str:
        """The running promise's question (else the next one's, else the catalog's), in
        `lang`, naming the station: HTML, like every message. The file's text is escaped and
        then filled in like a catalog message (`{{`/`}}` are braces, the station's name is
        escaped and isolated in Arabic), as the deployment check tells its authors."""
        line = timeline(self.deployment.directory.promises_at(station_id), today)
        name = self.station_name(station_id)
        for promise in (line.current, line.upcoming):
            if promise is not None and lang in promise.pulse.question:
                own = html.escape(promise.pulse.question[lang], quote=False)
                try:
                    return own.format(station=self.catalogs.param(lang, name))
                except (ValueError, KeyError, IndexError):  # the check refuses these
                    log.warning("Promise %s: pulse question in %s unusable", promise.id, lang)
        return self.catalogs.text(lang, "pulse.question", station=name)

    def ask_text(self, station_id: str, lang: str, today: dt.date) -> str:
        """The question as sent: a line saying what it is and why it comes, then the question."""
        context = self.catalogs.text(lang, "pulse.context", station=self.station_name(station_id))
        return f"{context}\n{self.question(station_id, lang, today)}"

    def answered_text(self, station_id: str, lang: str, today: dt.date, score: int) -> str:
        """The question message once answered: the question and the answer given."""
        answer = self.catalogs.text(lang, f"pulse.score.{score}")
        said = self.catalogs.text(lang, "pulse.answered", answer=answer)
        return f"{self.ask_text(station_id, lang, today)}\n\n{said}"

    def change_rows(self, station_id: str, month: str, lang: str) -> Rows:
        """ "Ändra svar" under an answered question: the scale again, while the month lasts."""
        data = callbacks.encode(SCOPE, CHANGE, button_arg(station_id, month))
        return [[(self.catalogs.text(lang, "pulse.change"), data)]]

    def question_rows(self, station_id: str, month: str, lang: str) -> Rows:
        """A scale step a row, then "Fråga inte mer om <station>"."""
        rows: Rows = [
            [
                (
                    self.catalogs.text(lang, f"pulse.score.{score}"),
                    callbacks.encode(SCOPE, SCORE, button_arg(station_id, month, score)),
                )
            ]
            for score in SCALE
        ]
        stop = self.catalogs.text(lang, "pulse.stop", station=self.station_name(station_id))
        rows.append([(stop, callbacks.encode(SCOPE, STOP, button_arg(station_id, month)))])
        return rows

    def followup_rows(self, station_id: str, month: str, lang: str) -> Rows:
        """The station's categories, two a row, then "Hoppa över"."""
        buttons = [
            (
                self.deployment.category_label(category, lang) or category,
                callbacks.encode(SCOPE, CATEGORY, button_arg(station_id, month, n)),
            )
            for n, category in enumerate(self.categories(station_id))
        ]
        rows: Rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        skip = callbacks.encode(SCOPE, SKIP, button_arg(station_id, month))
        rows.append([(self.catalogs.text(lang, "pulse.skip"), skip)])
        return rows

    async def run(self, today: dt.date) -> int:
        """The daily job: ask this month's question of each opt-in whose day has come and
        who was not asked it yet (once a month at most); the number asked."""
        month = month_of(today)
        key = await self.repo.key(month)
        asked = 0
        for candidate in await self.repo.not_asked(month):
            station = candidate.station_id
            if ask_day(key, candidate.chat_id, station) > today.day or not self.asks(
                station, today
            ):
                continue
            lang = self._lang(candidate.language)
            payload = {
                "text": self.ask_text(station, lang, today),
                "buttons": self.question_rows(station, month, lang),
                BROADCAST: True,
            }
            item = OutboxItem("telegram", str(candidate.chat_id), "text", payload)
            if await self.repo.ask(candidate.resident_id, station, month, [item]):
                asked += 1
        if asked:
            self.on_enqueue()
        log.info("Trygghetsmätning %s: %d questions queued", month, asked)
        return asked

    # ------------------------------------------------------------------ answers
    async def press(
        self, chat_id: int, action: str, arg: str, language: str | None, today: dt.date
    ) -> Outcome:
        """A press on a pulse button, checked against what this chat was asked: the
        station and month of a question it was sent, a month still open, a score on the
        scale, one of the station's categories."""
        resident = await self.residents.get_by_chat(chat_id)
        lang = self._lang(resident.language if resident else language)
        pressed = parse_arg(arg)
        if (
            resident is None
            or pressed is None
            or not await self.repo.was_asked(resident.id, pressed.station_id, pressed.month)
        ):
            return Outcome(Reply.STALE, lang)
        state = month_state(pressed.month, today)
        if state is MonthState.FUTURE:
            return Outcome(Reply.STALE, lang)
        if action == STOP:  # stopping is no answer: it holds after the month too
            await self.repo.withdraw(resident.id, pressed.station_id)
            return Outcome(Reply.STOPPED, lang, pressed.station_id, pressed.month)
        if state is MonthState.CLOSED:
            return Outcome(Reply.CLOSED, lang, pressed.station_id, pressed.month)
        if action == CHANGE and pressed.value is None:
            return Outcome(Reply.REOPENED, lang, pressed.station_id, pressed.month)
        reply = await self._answer(chat_id, action, pressed)
        if reply is not Reply.STALE:
            await self.residents.touch(chat_id)  # a press counts as activity (retention)
        score = (pressed.value or 0) if action == SCORE else 0
        return Outcome(reply, lang, pressed.station_id, pressed.month, score)

    async def _answer(self, chat_id: int, action: str, pressed: Pressed) -> Reply:
        name = pseudonym(await self.repo.key(pressed.month), chat_id)
        station, month, value = pressed.station_id, pressed.month, pressed.value
        if action == SCORE and value in SCALE:
            first = await self.repo.answer(name, station, month, value)
            return Reply.STORED if first else Reply.CHANGED
        categories = self.categories(station)
        if action == CATEGORY and value is not None and value < len(categories):
            stored = await self.repo.set_category(name, station, month, categories[value])
            return Reply.CHOSEN if stored else Reply.STALE
        if action == SKIP and value is None:
            return Reply.SKIPPED
        return Reply.STALE
