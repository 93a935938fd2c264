"""The real Application against the emulator, in-process, in the test's event loop."""

from __future__ import annotations

import json

import pytest

from bot.domain.text import MESSAGE_LIMIT, telegram_length
from bot.emulator import Emulator
from bot.i18n import Catalogs
from tests.people import Person

ALICE = 1001


async def test_start_gets_the_welcome_with_112(live_bot: Emulator, catalogs: Catalogs) -> None:
    world = live_bot.world
    alice = Person(world, ALICE, catalogs)
    replies = await alice.say("/start")
    assert len(replies) == 1, "the welcome and the menu are one message"
    reply = replies[0]
    assert "Ring 112" in reply.text
    assert "Den här chatten läses inte dygnet runt" in reply.text
    assert "114 14" in reply.text
    bold = [e for e in reply.data["entities"] if e["type"] == "bold"]
    assert bold, "the 112 notice is set in bold"
    assert reply.text.endswith("\n\n" + alice.t("menu.prompt"))
    labels = [b["text"] for b in reply.inline_buttons]
    for key in ("report", "idea", "promise", "cases", "help", "settings", "language"):
        assert alice.t(f"menu.{key}") in labels


def test_the_welcome_with_the_menu_fits_one_message_in_every_language(
    catalogs: Catalogs,
) -> None:
    for lang in catalogs.languages:
        text = catalogs.text(lang, "start.welcome") + "\n\n" + catalogs.text(lang, "menu.prompt")
        assert telegram_length(text) <= MESSAGE_LIMIT, lang


async def test_a_new_language_is_confirmed_with_the_menu_in_one_message(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/start")
    await alice.tap(alice.t("menu.language"))
    replies = await alice.tap("English")
    assert len(replies) == 1, [m.text for m in replies]
    en = catalogs.text
    assert replies[0].text == en("en", "language.set") + "\n\n" + en("en", "menu.prompt")
    assert en("en", "menu.report") in [b["text"] for b in replies[0].inline_buttons]


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
        assert len(texts) == 2  # welcome with the menu, help
        assert "112" in texts[0]  # /start answered before /help
        assert "Vad vill du göra?" in texts[0]
        assert "Tips om brott" in texts[1]
