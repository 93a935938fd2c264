"""The real Application against the emulator, in-process, in the test's event loop."""

from __future__ import annotations

import json

import pytest

from bot.emulator import Emulator
from bot.i18n import Catalogs

ALICE = 1001


async def test_start_gets_the_welcome_with_112(live_bot: Emulator) -> None:
    world = live_bot.world
    world.user(ALICE, "Alice", language_code="sv")
    world.send_text(ALICE, "/start")
    reply = await world.wait_for(ALICE)
    assert "Ring 112" in reply.text
    assert "Den här chatten läses inte dygnet runt" in reply.text
    assert "114 14" in reply.text
    bold = [e for e in reply.data["entities"] if e["type"] == "bold"]
    assert bold, "the 112 notice is set in bold"


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [
        ("en-GB", "Call 112"),
        ("fi", "Soita 112"),
        ("ar", "اتصل بالرقم"),
        ("de", "Ring 112"),
        (None, "Ring 112"),
    ],
)
async def test_welcome_in_the_residents_language(
    live_bot: Emulator, language_code: str | None, expected: str
) -> None:
    world = live_bot.world
    world.user(ALICE, language_code=language_code)
    world.send_text(ALICE, "/start")
    assert expected in (await world.wait_for(ALICE)).text


async def test_help_command(live_bot: Emulator) -> None:
    world = live_bot.world
    world.user(ALICE)
    world.send_text(ALICE, "/help")
    reply = await world.wait_for(ALICE)
    assert "Tips om brott tar vi inte emot här" in reply.text


async def test_command_menu_registered_in_every_language(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    commands = live_bot.world.commands
    default = commands[(json.dumps({"type": "default"}), "")]
    names = [c["command"] for c in default]
    assert names[0] == "start"
    assert {"rapport", "ide", "lofte", "arenden", "integritet", "avbryt", "hjalp"} <= set(names)
    assert default[0]["description"] == catalogs.text("sv", "commands.start")
    for lang in ("en", "fi", "ar"):
        localized = commands[(json.dumps({"type": "default"}), lang)]
        assert localized[-1]["description"] == catalogs.text(lang, "commands.help")


async def test_chats_are_served_concurrently_and_each_in_order(live_bot: Emulator) -> None:
    world = live_bot.world
    users = list(range(2000, 2010))
    for user in users:
        world.user(user)
        world.send_text(user, "/start")
        world.send_text(user, "/help")
    for user in users:
        await world.wait_for(user, lambda m: "Tips om brott" in m.text)
        texts = [m.text for m in world.received(user)]
        assert len(texts) == 3  # welcome, menu, help
        assert "112" in texts[0]  # /start answered (both messages) before /help
        assert "Vad vill du göra?" in texts[1]
        assert "Tips om brott" in texts[2]
