"""The in-process test level itself (bot.emulator.inprocess): a flow reads the same as over
HTTP, and settling is exact: when `say` or `tap` returns, the bot has done everything the step
asked of it, the outbox's paced deliveries and an album's collecting window included."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.app import build_application, running
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.emulator.state import World
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.bots import in_process, settings_for
from tests.images import jpeg
from tests.people import Person, agree, to_description

ALICE = 1001
POLIS_JKB = 100000001  # the placeholder kommunpolis at Jakobsberg in the bundled deployment
#: What only long polling calls; everything else the bot asks must be the same.
POLLING = {"getupdates", "deletewebhook"}


async def a_flow(world: World, catalogs: Catalogs) -> list[tuple[str, str, list[str]]]:
    alice = Person(world, ALICE, catalogs)
    await alice.say("/start")
    await alice.say("/rapport")
    await alice.tap("Jakobsberg")
    await agree(alice)
    await alice.tap("Belysning")
    await alice.say("Vid trappan")
    return [(m.kind, m.text, [b["text"] for b in m.inline_buttons]) for m in world.received(ALICE)]


async def test_a_flow_reads_the_same_in_process_and_over_http(
    deployment: Deployment, catalogs: Catalogs, tmp_path: Path
) -> None:
    seen: dict[str, list[tuple[str, str, list[str]]]] = {}
    calls: dict[str, list[str]] = {}
    for level in ("http", "in-process"):
        async with Emulator() as emulator:
            settings = settings_for(emulator, tmp_path / level)
            context: AbstractAsyncContextManager[object]
            if level == "http":
                context = running(build_application(settings, deployment), poll_timeout=1)
            else:
                context = in_process(emulator, settings, deployment)
            async with context:
                seen[level] = await a_flow(emulator.world, catalogs)
            calls[level] = [c for c in emulator.world.method_calls if c not in POLLING]
    assert len(seen["http"]) >= 5
    assert seen["in-process"] == seen["http"]
    assert calls["in-process"] == calls["http"]


async def test_settling_waits_for_every_paced_message_of_a_card(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The officer's card is three messages (text, photo, pin) the outbox spaces 1 s apart in
    one chat: all three are there when the resident's press returns, without waiting."""
    world = emulator.world
    world.user(POLIS_JKB, "Polis").started = True
    alice = Person(world, ALICE, catalogs)
    paced = bot_settings.model_copy(update={"rate_per_chat": 1.0})  # Telegram's 1 s spacing
    async with in_process(emulator, paced, deployment):
        await alice.say("/rapport")
        await alice.tap("Jakobsberg")
        await agree(alice)
        await alice.tap("Belysning")
        await alice.send_location(59.4236, 17.8330)
        await alice.say("Trappan till perrong 1")
        await alice.tap("Kväll")
        await alice.tap(alice.t("nav.done"))
        await alice.say("Lamporna är trasiga.")
        await alice.send_photo(jpeg())
        await alice.tap(alice.t("nav.done"))
        done = await alice.tap(alice.t("summary.send"))
        assert "JKB-0001" in done[-1].text
        assert [m.kind for m in world.received(POLIS_JKB)] == ["text", "photo", "location"]


async def test_settling_waits_for_an_albums_collecting_window(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    """An album is answered once, after a 1 s window (a job): `send_album` returns with it."""
    world = live_bot.world
    alice = Person(world, ALICE, catalogs)
    await to_description(alice, "Jakobsberg", "Belysning", "Vid trappan")
    await alice.say("Lamporna är trasiga.")
    answers = await alice.send_album([jpeg(), jpeg(color=(0, 90, 200))])
    assert len(answers) == 1, [m.text for m in answers]
