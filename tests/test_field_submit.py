"""Issue 15, item 1: one case per draft however often "Skicka" arrives.

A double press, a press repeated because Telegram refused the answer to the first ("query is
too old"), an update Telegram delivers again after a crash, a draft restored from before the
case was stored, and the bot killed with SIGKILL at random moments after the press.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import signal
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.emulator.markup import parse_html
from bot.emulator.state import Message, World
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.bots import in_process
from tests.crash import restore, snapshot, until
from tests.images import jpeg
from tests.people import Person, db_rows
from tests.processes import bot_env

ALICE = 1001
REFERENCE = re.compile(r"\bJKB-\d{4}\b")


async def to_summary(person: Person, *, photo: bool = False) -> tuple[Message, str]:
    """A report at Jakobsberg up to the summary; returns the message with Skicka and its data.

    Each step waits for its own next prompt (a new message with the expected button), not
    for the whole bot to fall quiet, so many residents can do this at once.
    """
    world, t, chat = person.world, person.t, person.id

    async def step(act: Callable[[], object], expect: str, *, edits: bool = False) -> None:
        mark = len(world.received(chat)) - (1 if edits else 0)  # an edit changes the last one
        act()
        await world.wait_for(
            chat, lambda m: any(expect in b["text"] for b in m.inline_buttons), after=mark
        )

    def tap(label: str) -> Callable[[], object]:
        def press() -> str:
            message, data = person.button(label)
            return world.press(chat, message.id, data)

        return press

    await step(lambda: world.send_text(chat, "/rapport"), "Jakobsberg")
    await step(tap("Jakobsberg"), t("privacy.agree"))
    await step(tap(t("privacy.agree")), "Belysning")
    await step(tap("Belysning"), t("nav.cancel"))
    await step(lambda: world.send_text(chat, "Vid trappan upp till perrong 1"), t("nav.continue"))
    await step(tap(t("nav.continue")), t("times.evening"))
    await step(tap(t("times.evening")), "✅", edits=True)
    await step(tap(t("nav.done")), t("nav.cancel"))
    description = "Lamporna vid trappan har varit trasiga i flera veckor."
    if photo:
        await step(lambda: world.send_text(chat, description), t("nav.skip"))
        await step(lambda: world.send_photo(chat, jpeg()), t("nav.done"))
        await step(tap(t("nav.done")), t("summary.send"))
    else:
        await step(lambda: world.send_text(chat, description), t("nav.skip"))
        await step(tap(t("nav.skip")), t("summary.send"))
    return person.button(t("summary.send"))


def already(person: Person, reference: str) -> str:
    """The line a repeated "Skicka" gets, as the resident's client shows it."""
    return parse_html(person.t("submitted.already", reference=reference))[0]


def cases_of(settings: Settings, chat_id: int) -> list[sqlite3.Row]:
    return db_rows(
        settings,
        "SELECT c.* FROM cases c JOIN residents r ON r.id = c.resident_id WHERE r.chat_id = ?",
        chat_id,
    )


def references_seen(person: Person) -> set[str]:
    return {r for text in person.texts() for r in REFERENCE.findall(text)}


def lists_cases(person: Person) -> Callable[[Message], bool]:
    """Whether a message is the answer to /arenden (a list of cases, or none)."""
    texts = [
        person.t(k).replace("<b>", "").replace("</b>", "") for k in ("cases.title", "cases.none")
    ]
    return lambda m: any(t in m.text for t in texts)


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


# ---------------------------------------------------------------------- in-process
async def test_a_double_press_stores_one_case_and_both_presses_get_the_reference(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = live_bot.world
    alice = Person(world, ALICE, catalogs)
    summary, send = await to_summary(alice)
    before = alice.mark()
    # Two presses queued before the bot handles either (a nervous double tap).
    first = world.press(ALICE, summary.id, send)
    second = world.press(ALICE, summary.id, send)
    await world.wait_for(ALICE, lambda m: already(alice, "JKB-0001") in m.text, after=before)
    (case,) = cases_of(bot_settings, ALICE)
    assert case["reference"] == "JKB-0001"
    texts = [m.text for m in world.received(ALICE)[before:]]
    assert sum("Tack! Din rapport har nummer JKB-0001" in t for t in texts) == 1, texts
    assert world.callback_answers[first] is not None  # both spinners stopped, no alert
    assert world.callback_answers[second] == {"text": "", "show_alert": False}
    cards = db_rows(bot_settings, "SELECT COUNT(*) AS n FROM outbox WHERE case_id = ?", case["id"])
    staff_cards = cards[0]["n"]
    assert staff_cards >= 1
    # Pressed once more, much later (an old client still shows the button): the same answer,
    # and still one case with one set of cards.
    again = alice.mark()
    world.press(ALICE, summary.id, send, forge=True)
    await world.wait_for(ALICE, lambda m: "JKB-0001" in m.text, after=again)
    assert len(cases_of(bot_settings, ALICE)) == 1
    assert (
        db_rows(bot_settings, "SELECT COUNT(*) AS n FROM outbox WHERE case_id = ?", case["id"])[0][
            "n"
        ]
        == staff_cards
    )


async def test_a_refused_answer_then_a_second_press_stores_one_case(
    live_bot: Emulator,
    bot_settings: Settings,
    catalogs: Catalogs,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = live_bot.world
    alice = Person(world, ALICE, catalogs)
    summary, send = await to_summary(alice)
    world.callback_answer_timeout = 0  # every answer comes too late: "query is too old"
    before = alice.mark()
    world.press(ALICE, summary.id, send)
    await world.wait_for(ALICE, lambda m: "JKB-0001" in m.text, after=before)
    # The spinner kept turning, so the resident presses again.
    again = alice.mark()
    world.press(ALICE, summary.id, send, forge=True)
    await world.wait_for(ALICE, lambda m: "JKB-0001" in m.text, after=again)
    assert [c["reference"] for c in cases_of(bot_settings, ALICE)] == ["JKB-0001"]
    assert alice.t("error.generic") not in alice.texts()  # a refused answer is not our error
    assert errors_logged(caplog) == []
    assert any("refused the answer" in r.getMessage() for r in caplog.records)


async def test_an_update_delivered_again_after_a_crash_stores_one_case(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    catalogs: Catalogs,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = emulator.world
    alice = Person(world, ALICE, catalogs)
    async with in_process(emulator, bot_settings, deployment):
        summary, send = await to_summary(alice, photo=True)
    persisted = snapshot(bot_settings.database)  # the draft at the summary, not yet sent
    async with in_process(emulator, bot_settings, deployment):
        before = alice.mark()
        query = world.press(ALICE, summary.id, send)
        await world.wait_for(ALICE, lambda m: "JKB-0001" in m.text, after=before)
    # The process died before persistence wrote the sent draft away and before it confirmed
    # the update: the next one starts from the draft at the summary, and gets the press again.
    restore(bot_settings.database, persisted)
    world.deliver_again(query)
    again = alice.mark()
    async with in_process(emulator, bot_settings, deployment):
        await world.wait_for(
            ALICE,
            lambda m: already(alice, "JKB-0001") in m.text,
            after=again,
        )
        (case,) = cases_of(bot_settings, ALICE)
        assert case["reference"] == "JKB-0001"
        # The draft is gone: text now is not taken for the summary, and /rapport starts afresh.
        started = await alice.say("/rapport")
        assert alice.t("station.location_hint") in [m.text for m in started]
    assert errors_logged(caplog) == []  # the answer refused (answered before) is harmless


async def test_a_draft_restored_from_before_its_case_is_not_offered_again(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    world = emulator.world
    alice = Person(world, ALICE, catalogs)
    async with in_process(emulator, bot_settings, deployment):
        await to_summary(alice, photo=True)
    persisted = snapshot(bot_settings.database)
    async with in_process(emulator, bot_settings, deployment):
        done = await alice.tap(alice.t("summary.send"))
        assert "JKB-0001" in done[-1].text
    (case,) = cases_of(bot_settings, ALICE)
    (photo,) = db_rows(bot_settings, "SELECT path FROM case_photos WHERE case_id = ?", case["id"])
    # Restarted from a copy of the draft persisted before the case: whatever the resident
    # does next, they hear the reference and are never offered "Skicka" for it again.
    restore(bot_settings.database, persisted)
    async with in_process(emulator, bot_settings, deployment):
        reply = await alice.say("Hallå?")
        assert reply[-1].text == already(alice, "JKB-0001")
        assert not reply[-1].inline_buttons
    # Or they start a new report straight away: the case keeps the photo the old draft had.
    restore(bot_settings.database, persisted)
    async with in_process(emulator, bot_settings, deployment):
        await alice.say("/rapport")
        assert (bot_settings.media_dir / photo["path"]).exists()
    assert len(cases_of(bot_settings, ALICE)) == 1


async def test_a_restored_sent_draft_is_named_by_avbryt_rapport_and_an_album(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    world = emulator.world
    alice = Person(world, ALICE, catalogs)
    async with in_process(emulator, bot_settings, deployment):
        await to_summary(alice)
    persisted = snapshot(bot_settings.database)
    async with in_process(emulator, bot_settings, deployment):
        done = await alice.tap(alice.t("summary.send"))
        assert "JKB-0001" in done[-1].text
    # /avbryt on the restored copy: the case exists, so "nothing has been sent" would be false.
    restore(bot_settings.database, persisted)
    async with in_process(emulator, bot_settings, deployment):
        texts = [m.text for m in await alice.say("/avbryt")]
        assert already(alice, "JKB-0001") in texts, texts
        assert not any("Inget har skickats" in t for t in texts), texts
    # /rapport on it: the reference, then the new report starts.
    restore(bot_settings.database, persisted)
    async with in_process(emulator, bot_settings, deployment):
        texts = [m.text for m in await alice.say("/rapport")]
        assert already(alice, "JKB-0001") in texts, texts
        assert alice.t("station.location_hint") in texts
        assert world.chat(ALICE).reply_keyboard is not None  # the new flow's location button
    # An album on it: the reference once, and no "did not understand" for the other photos.
    restore(bot_settings.database, persisted)
    async with in_process(emulator, bot_settings, deployment):
        before = alice.mark()
        world.send_album(ALICE, [jpeg(color=(n * 30, 10, 10)) for n in range(4)])
        world.send_text(ALICE, "/arenden")  # one chat's updates are handled in order
        await world.wait_for(ALICE, lists_cases(alice), after=before)
        texts = [m.text for m in world.received(ALICE)[before:]]
        assert texts.count(already(alice, "JKB-0001")) == 1, texts
        assert not any(t.startswith(alice.t("error.unknown")) for t in texts), texts
    assert len(cases_of(bot_settings, ALICE)) == 1


async def test_an_old_drafts_button_keeps_the_new_flows_location_keyboard(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = live_bot.world
    alice = Person(world, ALICE, catalogs)
    summary, send = await to_summary(alice)
    done = await alice.tap(alice.t("summary.send"))
    assert "JKB-0001" in done[-1].text
    started = await alice.say("/rapport")
    assert alice.t("station.location_hint") in [m.text for m in started]
    assert world.chat(ALICE).reply_keyboard is not None
    # The old summary's Skicka once more (an old client still shows it): the reference, and
    # the new flow keeps its "share location" button.
    again = alice.mark()
    world.press(ALICE, summary.id, send, forge=True)
    await world.wait_for(ALICE, lambda m: already(alice, "JKB-0001") in m.text, after=again)
    assert world.chat(ALICE).reply_keyboard is not None
    assert len(cases_of(bot_settings, ALICE)) == 1


# ---------------------------------------------------------------------- kill -9
TRIALS = 20
PER_KILL = 4  # residents whose "Skicka" one SIGKILL interrupts, each at its own moment
LATENCY = 0.04  # seconds per Bot API request while "Skicka" is handled
RESIDENTS = range(2001, 2001 + TRIALS)


class BotProcess:
    """`python -m bot run` against the emulator, its log in a file, ready once it polls."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.count = 0
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, world: World) -> None:
        self.count += 1
        calls = len(world.method_calls)
        with (self.logs / f"bot-{self.count}.log").open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        await until(lambda: "getupdates" in world.method_calls[calls:])

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), 30)

    def log_texts(self) -> Iterator[str]:
        for number in range(1, self.count + 1):
            yield (self.logs / f"bot-{number}.log").read_text()


async def test_killed_at_random_moments_after_skicka_never_two_cases(
    emulator: Emulator, tmp_path: Path, catalogs: Catalogs
) -> None:
    world = emulator.world
    # Telegram's 30 sends a second (the emulator does not enforce them here) would pace the
    # twenty residents' way to the summary to ~14 s; this test is about kills, not pacing.
    env = bot_env(
        emulator,
        tmp_path,
        TRYGG_LOG_LEVEL="INFO",
        TRYGG_MEDIA_DIR=str(tmp_path / "m"),
        TRYGG_RATE_PER_SECOND="1000",
    )
    settings = Settings(database=Path(env["TRYGG_DATABASE"]))
    bot = BotProcess(env, tmp_path)
    rng = random.Random(15)  # reproducible kill points
    residents = [Person(world, chat, catalogs) for chat in RESIDENTS]
    try:
        # Every resident writes a report as far as the summary; stopping the bot persists it.
        await bot.start(world)
        summaries = await asyncio.gather(*(to_summary(r) for r in residents))
        await bot.stop()
        await bot.start(world)
        trials = list(zip(residents, summaries, strict=True))
        for first in range(0, TRIALS, PER_KILL):
            batch = trials[first : first + PER_KILL]
            # Over a slow network, each resident presses "Skicka" at a moment of their own;
            # their chat freezes after 0-3 of the bot's actions there (answer, buttons
            # cleared, confirmation) and a random bit more: what the bot did for them before
            # that is done, the rest never reaches Telegram. Then one SIGKILL for them all.
            world.latency = LATENCY
            # (when they press, how many actions they see, the random bit: the variables)
            moments = [
                (rng.uniform(0, 3 * LATENCY), rng.randrange(4), rng.uniform(0, 3 * LATENCY))
                for _ in batch
            ]

            async def press_until_frozen(
                resident: Person, summary: Message, send: str, moment: tuple[float, int, float]
            ) -> None:
                pause, seen, bit = moment
                await asyncio.sleep(pause)
                actions = world.actions_in.get(resident.id, 0)
                world.press(resident.id, summary.id, send)
                if seen:
                    await world.wait_actions(resident.id, actions + seen - 1, timeout=10)
                await asyncio.sleep(bit)
                world.hold(resident.id)

            await asyncio.gather(
                *(
                    press_until_frozen(resident, summary, send, moment)
                    for (resident, (summary, send)), moment in zip(batch, moments, strict=True)
                )
            )
            await bot.kill()
            world.release()
            world.latency = 0
            await bot.start(world)
            for resident, (summary, send) in batch:
                # After the restart the resident asks for their cases (a press Telegram
                # delivers again is handled before it, in order).
                restarted = resident.mark()
                world.send_text(resident.id, "/arenden")
                await world.wait_for(resident.id, lists_cases(resident), after=restarted)
                # Pressing "Skicka" again (an old client still shows it) stores the report if
                # it was not stored, else names the case that was; either way one case.
                mark = resident.mark()
                world.press(resident.id, summary.id, send, forge=True)
                await world.wait_for(
                    resident.id, lambda m: bool(REFERENCE.search(m.text)), after=mark
                )
                cases = cases_of(settings, resident.id)
                assert len(cases) == 1, (resident.id, [c["reference"] for c in cases])
                since = resident.texts()[restarted:]
                assert any(cases[0]["reference"] in text for text in since), since
        await bot.stop()
    finally:
        world.latency = 0
        world.release()
        if bot.process is not None and bot.process.returncode is None:
            await bot.kill()
    total = db_rows(settings, "SELECT COUNT(*) AS n, COUNT(DISTINCT draft_id) AS d FROM cases")
    assert (total[0]["n"], total[0]["d"]) == (TRIALS, TRIALS)
    logs = "\n".join(bot.log_texts())
    assert "Traceback" not in logs
    assert emulator.token.split(":")[1] not in logs
