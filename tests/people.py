"""A resident (or officer) driving the bot through the emulator, as a person would."""

from __future__ import annotations

import datetime as dt
import sqlite3

from bot.domain.deployment import CommitmentStatus, Deployment
from bot.emulator.state import Message, World
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings

#: A partner at Floda (the bundled deployment's placeholder trygghetsvärdar), who may
#: publish progress on the commitment "stk-vt-trygghetsvardar".
TRYGGHETSVARDAR = 100000003


async def publish_update(services: Services, text: str) -> int:
    """The trygghetsvärdar publish progress at Floda; returns how many followers it goes to."""
    member = await services.staff.by_telegram(TRYGGHETSVARDAR)
    assert member is not None
    choice = next(
        c for c in services.updates.choices(member) if c.commitment.id == "stk-vt-trygghetsvardar"
    )
    return await services.updates.publish(member, choice, CommitmentStatus.IN_PROGRESS, text, None)


def promises_running(deployment: Deployment, today: dt.date | None = None) -> Deployment:
    """The deployment with each promise running from a year before `today` to a year after:
    the bundled seeds' promises ended in 2020 and 2022, and an ended promise takes no staff
    updates, so tests that publish updates use this (the `running_deployment` fixture)."""
    today = today or dt.date.today()
    year = dt.timedelta(days=365)
    promises = [
        p.model_copy(update={"start": today - year, "end": today + year})
        for p in deployment.promises
    ]
    return deployment.model_copy(update={"promises": promises})


def db_rows(settings: Settings, sql: str, *params: object) -> list[sqlite3.Row]:
    """Read the bot's database the way an inspector would: a separate connection."""
    with sqlite3.connect(settings.database) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute(sql, params))


class Person:
    def __init__(self, world: World, user_id: int, catalogs: Catalogs, lang: str = "sv") -> None:
        self.world = world
        self.id = user_id
        self.catalogs = catalogs
        self.lang = lang
        world.user(user_id, f"Person {user_id}", language_code=lang)

    def t(self, key: str, **params: object) -> str:
        return self.catalogs.text(self.lang, key, **params)

    def mark(self) -> int:
        self._actions = self.world.actions_in.get(self.id, 0)
        return len(self.world.received(self.id))

    async def settle(self) -> list[Message]:
        """Wait until the bot has answered and is quiet; return what it sent since."""
        before = self._mark
        await self.world.settle(self.id, self._actions, quiet=0.3, timeout=15)
        return self.world.received(self.id)[before:]

    async def say(self, text: str) -> list[Message]:
        self._mark = self.mark()
        self.world.send_text(self.id, text)
        return await self.settle()

    async def send_location(self, lat: float, lon: float) -> list[Message]:
        self._mark = self.mark()
        self.world.send_location(self.id, lat, lon)
        return await self.settle()

    async def send_photo(self, content: bytes) -> list[Message]:
        self._mark = self.mark()
        self.world.send_photo(self.id, content)
        return await self.settle()

    async def send_album(self, photos: list[bytes]) -> list[Message]:
        self._mark = self.mark()
        self.world.send_album(self.id, photos)
        return await self.settle()

    async def send_other(self, kind: str) -> list[Message]:
        self._mark = self.mark()
        self.world.send_other(self.id, kind)
        return await self.settle()

    def button(self, label: str) -> tuple[Message, str]:
        """The newest message with a button whose label contains `label`, and its data."""
        for message in reversed(self.world.received(self.id)):
            for button in message.inline_buttons:
                if label in button["text"] and "callback_data" in button:
                    return message, button["callback_data"]
        shown = [b["text"] for m in self.world.received(self.id)[-3:] for b in m.inline_buttons]
        raise AssertionError(f"no button {label!r}; recent buttons: {shown}")

    async def tap(self, label: str) -> list[Message]:
        message, data = self.button(label)
        return await self.press(message, data)

    async def press(self, message: Message, data: str) -> list[Message]:
        self._mark = self.mark()
        self.last_query = self.world.press(self.id, message.id, data)
        return await self.settle()

    async def press_forged(self, data: str) -> list[Message]:
        """Send callback data no button of ours carries, as a malicious client could."""
        self._mark = self.mark()
        message = self.world.send_text(self.id, "…")  # a message to attach the press to
        await self.settle()
        self._mark = self.mark()
        self.last_query = self.world.press(self.id, message.id, data, forge=True)
        return await self.settle()

    def answer(self) -> str:
        """The text of the callback answer to the last press ('' if none)."""
        answer = self.world.callback_answers.get(self.last_query) or {}
        return str(answer.get("text", ""))

    def texts(self) -> list[str]:
        return [m.text for m in self.world.received(self.id)]

    def last_text(self) -> str:
        return self.world.last(self.id).text

    _mark = 0
    _actions = 0
    last_query = ""


async def agree(person: Person) -> None:
    await person.tap(person.t("privacy.agree"))


async def to_description(
    person: Person, station: str, category: str, place: str, time: str = "Kväll"
) -> None:
    """A new report as far as the description step: station, consent, category, place, time."""
    await person.say("/rapport")
    await person.tap(station)
    await agree(person)
    await person.tap(category)
    await person.say(place)
    await person.tap(person.t("nav.continue"))
    await person.tap(time)
    await person.tap(person.t("nav.done"))
