"""The trygghetsmätning asked and answered through the bot (issue 21, item 1): once a month at
most, only to those who follow a station and agreed, stopped by a refusal or a block; answers
stored under the month's pseudonym (no chat id), checked against what was asked, kept over a
restart."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.domain.deployment import Deployment, PulseQuestion
from bot.domain.deployment_checks import find_problems
from bot.domain.pulse import ask_day
from bot.emulator import Emulator
from bot.emulator.state import World
from bot.i18n import FSI, PDI, Catalogs
from bot.services import Services
from bot.settings import Settings
from tests.bots import in_process
from tests.people import Person, db_rows

FIRST, SECOND, THIRD = 2101, 2102, 2103


def _last_day(day: dt.date) -> dt.date:
    """The last day of `day`'s month: every resident's ask day has come by then."""
    later = day.replace(day=28) + dt.timedelta(days=4)
    return later - dt.timedelta(days=later.day)


@dataclass
class _Bot:
    """The running bot, with the steps the tests repeat."""

    services: Services
    world: World
    catalogs: Catalogs

    async def resident(
        self, chat: int, *, follows: bool = True, consents: bool = True, station: str = "floda"
    ) -> Person:
        """A resident who opened the bot, follows `station` and agreed to the question (or
        not)."""
        person = Person(self.world, chat, self.catalogs)
        await person.say("/start")
        if follows:
            await self.services.updates.follow(chat, station, "sv")
        resident = await self.services.residents.touch(chat)
        if consents:
            await self.services.pulse.repo.give(resident.id, station)
        return person

    def questions(self, chat: int) -> int:
        """How many times `chat` got Floda's question."""
        question = self.catalogs.text("sv", "pulse.question", station="Floda")
        return sum(1 for m in self.world.received(chat) if question in m.text)

    async def run(self, day: dt.date) -> int:
        """The pulse's daily job on `day`, until the outbox has sent what it queued."""
        asked = await self.services.pulse.run(day)
        assert await self.world.wait_idle()  # the outbox has sent what was queued
        return asked

    async def ask_this_month(self) -> int:
        """The job on the last day of this month, when every resident's ask day has come."""
        return await self.run(_last_day(self.services.updates.today()))

    async def consents(self, chat: int) -> list[str]:
        """The stations `chat`'s resident agreed to be asked about."""
        resident = await self.services.residents.get_by_chat(chat)
        assert resident is not None
        return await self.services.pulse.repo.consents(resident.id)

    def score(self, n: int) -> str:
        """The Swedish label of score `n`'s button."""
        return self.catalogs.text("sv", f"pulse.score.{n}")


@asynccontextmanager
async def _bot(
    emulator: Emulator, settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> AsyncIterator[_Bot]:
    async with in_process(emulator, settings, deployment) as app:
        services = app.bot_data.services
        assert services is not None
        yield _Bot(services, emulator.world, catalogs)


async def test_asked_once_a_month_at_most_and_again_the_next_month(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    async with _bot(emulator, bot_settings, deployment, catalogs) as bot:
        await bot.resident(FIRST)
        key = await bot.services.pulse.repo.key("2030-04")
        day = ask_day(key, FIRST, "floda")
        if day > 1:  # before the resident's own day of the month: not yet
            assert await bot.run(dt.date(2030, 4, day - 1)) == 0
            assert bot.questions(FIRST) == 0
        assert await bot.run(dt.date(2030, 4, day)) == 1
        assert await bot.run(dt.date(2030, 4, day)) == 0  # the job twice
        assert await bot.run(dt.date(2030, 4, 28)) == 0  # another day
        assert bot.questions(FIRST) == 1
        text = catalogs.text("sv", "pulse.question", station="Floda")
        question = next(m for m in bot.world.received(FIRST) if text in m.text)
        context = catalogs.text("sv", "pulse.context", station="Floda")
        assert question.text == f"{context}\n{text}"  # what it is and why it comes
        labels = [b["text"] for b in question.inline_buttons]
        assert labels == [
            *(catalogs.text("sv", f"pulse.score.{n}") for n in range(1, 6)),
            catalogs.text("sv", "pulse.stop", station="Floda"),
        ]
        assert await bot.run(dt.date(2030, 5, 31)) == 1  # a new month
        assert bot.questions(FIRST) == 2
    rows = db_rows(bot_settings, "SELECT month FROM pulse_asked ORDER BY month")
    assert [r["month"] for r in rows] == ["2030-04", "2030-05"]
    # The question goes at the outbox's lowest priority (a broadcast's).
    payloads = db_rows(bot_settings, "SELECT payload FROM outbox WHERE recipient = ?", str(FIRST))
    assert sum('"broadcast": true' in r["payload"] for r in payloads) == 2


async def test_never_asked_without_both_following_and_consent(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    async with _bot(emulator, bot_settings, deployment, catalogs) as bot:
        await bot.resident(FIRST, consents=False)  # follows only
        await bot.resident(SECOND, follows=False)  # consent only
        await bot.resident(THIRD)
        assert await bot.run(dt.date(2030, 4, 30)) == 1
    assert bot.questions(FIRST) == 0
    assert bot.questions(SECOND) == 0
    assert bot.questions(THIRD) == 1


async def test_the_refusal_button_stops_it(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    async with _bot(emulator, bot_settings, deployment, catalogs) as bot:
        person = await bot.resident(FIRST)
        today = bot.services.updates.today()
        assert await bot.run(_last_day(today)) == 1
        said = await person.tap(catalogs.text("sv", "pulse.stop", station="Floda"))
        assert [m.text for m in said] == [catalogs.text("sv", "pulse.stopped", station="Floda")]
        assert not any(m.inline_buttons for m in bot.world.received(FIRST)[-2:])  # no buttons left
        assert await bot.consents(FIRST) == []
        assert await bot.run(_last_day(_last_day(today) + dt.timedelta(1))) == 0
    assert bot.questions(FIRST) == 1


async def test_a_block_stops_it(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    async with _bot(emulator, bot_settings, deployment, catalogs) as bot:
        await bot.resident(FIRST)
        # The resident blocked the bot; it learns so from the 403 of the question's send.
        bot.world.user(FIRST).blocked = True
        assert await bot.run(dt.date(2030, 4, 30)) == 1
        assert await bot.consents(FIRST) == []
        await Person(bot.world, FIRST, catalogs).say("hej")  # writing unblocks, as in Telegram
        assert await bot.services.updates.followed(FIRST) == ["floda"]  # still follows
        assert await bot.run(dt.date(2030, 5, 31)) == 0
    assert bot.questions(FIRST) == 0


async def test_an_answer_is_stored_under_a_pseudonym_and_checked(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    async with _bot(emulator, bot_settings, deployment, catalogs) as bot:
        person = await bot.resident(FIRST)
        month = bot.services.updates.today().strftime("%Y-%m")
        assert await bot.ask_this_month() == 1
        question, four = person.button(bot.score(4))
        said = await person.press(question, four)
        assert said[-1].text.startswith(catalogs.text("sv", "pulse.thanks"))
        assert catalogs.text("sv", "pulse.followup", station="Floda") in said[-1].text
        # The question now shows the answer given, and one button: "Ändra svar".
        answered = bot.world.received(FIRST)[-2]
        assert answered.text.endswith("\n\nDitt svar: 4 Ganska trygg"), answered.text
        assert answered.text.startswith(catalogs.text("sv", "pulse.context", station="Floda"))
        assert [b["text"] for b in answered.inline_buttons] == ["Ändra svar"]
        assert person.answer() == ""  # the press was answered, with no alert
        said = await person.tap("Belysning")
        assert [m.text for m in said] == [catalogs.text("sv", "pulse.noted")]
        # "Ändra svar" shows the scale again in place; another score changes the answer.
        await person.tap("Ändra svar")
        assert [b["text"] for b in answered.inline_buttons][:5] == [
            catalogs.text("sv", f"pulse.score.{n}") for n in range(1, 6)
        ]
        said = await person.tap(bot.score(2))
        assert said[-1].text.startswith(catalogs.text("sv", "pulse.changed"))
        assert answered.text.endswith("\n\nDitt svar: 2 Ganska otrygg"), answered.text
        # A forged second press on a score this month changes it too, and says so.
        said = await person.press_forged(four.replace(".4", ".2"))
        assert said[-1].text.startswith(catalogs.text("sv", "pulse.changed"))
        # Forged: a score off the scale, a station not asked about, a month not begun, a
        # category the station does not have: the stale line, nothing stored.
        stale = catalogs.text("sv", "error.stale")
        for data in (
            f"v1:pq:s:floda.{month}.9",
            f"v1:pq:s:lerum.{month}.3",
            "v1:pq:s:floda.2099-01.3",
            f"v1:pq:c:floda.{month}.99",
            f"v1:pq:n:lerum.{month}",
            f"v1:pq:e:lerum.{month}",
            f"v1:pq:e:floda.{month}.1",
        ):
            assert await person.press_forged(data) == [], data
            assert person.answer() == stale, data
        # A month that has closed: said in one line, nothing stored.
        resident = await bot.services.residents.get_by_chat(FIRST)
        assert resident is not None
        await bot.services.pulse.repo.ask(resident.id, "floda", "2020-01", [])
        said = await person.press_forged("v1:pq:s:floda.2020-01.3")
        assert [m.text for m in said] == [catalogs.text("sv", "pulse.closed")]
        said = await person.press_forged("v1:pq:e:floda.2020-01")  # "Ändra svar" too late
        assert [m.text for m in said] == [catalogs.text("sv", "pulse.closed")]
        assert await bot.consents(FIRST) == ["floda"]
    rows = db_rows(bot_settings, "SELECT * FROM pulse_answers")
    assert [(r["station_id"], r["month"], r["score"], r["category"]) for r in rows] == [
        ("floda", month, 2, "belysning")
    ]
    assert set(rows[0].keys()) == {"pseudonym", "station_id", "month", "score", "category"}
    assert not any(str(FIRST) in str(value) for value in tuple(rows[0]))


async def test_answers_survive_a_restart(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    async with _bot(emulator, bot_settings, deployment, catalogs) as bot:
        first = await bot.resident(FIRST)
        second = await bot.resident(SECOND)
        month = bot.services.updates.today().strftime("%Y-%m")
        assert await bot.ask_this_month() == 2
        await first.tap(bot.score(5))
    async with _bot(emulator, bot_settings, deployment, catalogs) as bot:
        counts = await bot.services.pulse.repo.counts(["floda"], month, month)
        assert counts == {("floda", month): {5: 1}}
        said = await second.tap(bot.score(3))  # the old message
        assert said[-1].text.startswith(catalogs.text("sv", "pulse.thanks"))
        counts = await bot.services.pulse.repo.counts(["floda"], month, month)
        assert counts == {("floda", month): {5: 1, 3: 1}}


async def test_the_running_promise_asks_its_own_question_or_none(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The promise running at the station sets the question (in the resident's language);
    one that says `pulse.ask = false` stops it while it runs."""
    today = dt.date.today()
    own = PulseQuestion(question={"sv": "Känns det tryggare vid {station} nu?"})
    promises = [
        p.model_copy(
            update={"start": today - dt.timedelta(30), "end": today + dt.timedelta(400)}
            | ({"pulse": own} if "floda" in p.stations else {"pulse": PulseQuestion(ask=False)})
        )
        for p in deployment.promises
    ]
    running = deployment.model_copy(update={"promises": promises})
    async with _bot(emulator, bot_settings, running, catalogs) as bot:
        await bot.resident(FIRST)
        await bot.resident(SECOND, station="jakobsberg")
        assert await bot.run(_last_day(today)) == 1
    assert any(
        m.text.endswith("\nKänns det tryggare vid Floda nu?") for m in bot.world.received(FIRST)
    )
    assert not db_rows(bot_settings, "SELECT 1 FROM pulse_asked WHERE station_id = 'jakobsberg'")


async def test_a_promise_question_with_html_characters_and_braces_is_delivered(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The file's question is text, not HTML: '<' and '&' reach the resident as written, and
    '{{'/'}}' (what the deployment check tells authors to write) come out as single braces.
    The station's name is filled in like any catalog parameter (isolated in Arabic)."""
    today = dt.date.today()
    own = PulseQuestion(
        question={
            "sv": "Hur trygg känner du dig vid {station} (<22 år & äldre, {{kväll}})?",
            "ar": "ما مدى شعورك بالأمان في {station}؟",
        }
    )
    promises = [
        p.model_copy(
            update={"start": today - dt.timedelta(30), "end": today + dt.timedelta(400)}
            | ({"pulse": own} if "floda" in p.stations else {})
        )
        for p in deployment.promises
    ]
    running = deployment.model_copy(update={"promises": promises})
    assert not [p for p in find_problems(running) if ".pulse." in str(p)]  # the check agrees
    async with _bot(emulator, bot_settings, running, catalogs) as bot:
        person = await bot.resident(FIRST)
        assert await bot.run(_last_day(today)) == 1
        assert bot.services.pulse.question("floda", "ar", today) == (
            f"ما مدى شعورك بالأمان في {FSI}Floda{PDI}؟"
        )
        await person.tap(bot.score(3))
    question = "Hur trygg känner du dig vid Floda (<22 år & äldre, {kväll})?"
    texts = [m.text for m in bot.world.received(FIRST)]
    assert any(t.endswith(f"\n{question}\n\nDitt svar: 3 Varken trygg eller otrygg") for t in texts)
    assert db_rows(bot_settings, "SELECT score FROM pulse_answers")[0]["score"] == 3
