"""Every command a catalog text names is one its reader has: in language L a resident's
command by L's name from the table (bot.domain.commands: /cancel in English, /peruuta in
Finnish, never the Swedish /avbryt), or a staff command (/arende, /invite ..., which have no
name per language). Read from the catalogs and the built Application's handlers, so a text
and the table cannot drift apart (issue 19 item 6, review of c0b5527)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from telegram.ext import BaseHandler, CommandHandler, ConversationHandler

from bot.domain.commands import RESIDENT_COMMANDS, menu
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import read_catalog
from bot.settings import Settings
from tests.bots import build

LANGUAGES = ("sv", "en", "fi", "ar")

#: A command as a text names it: "/name" at the start, after white space or an opening mark
#: (not "</b>" nor a path or an address).
COMMAND = re.compile(r"(?:^|(?<=[\s(«\"„“]))/([a-z0-9_]+)\b")


def handlers(group: list[BaseHandler]) -> Iterator[BaseHandler]:  # type: ignore[type-arg]
    for handler in group:
        yield handler
        if isinstance(handler, ConversationHandler):
            yield from [*handler.entry_points, *handler.fallbacks]
            for state in handler.states.values():
                yield from handlers(state)


def registered(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> frozenset[str]:
    """Every command the Application answers to."""
    app = build(emulator, bot_settings, deployment)
    return frozenset(
        name
        for group in app.handlers.values()
        for handler in handlers(group)
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    )


def texts(lang: str) -> Iterator[tuple[str, str]]:
    """(key, text) of every message of `lang`'s catalog, each plural form on its own."""
    for key, message in sorted(read_catalog(lang).items()):
        for form in message if isinstance(message, tuple) else (message,):
            yield key, form


def test_the_pattern_finds_commands_and_nothing_else() -> None:
    found = COMMAND.findall("Skriv /start. (/avbryt avbryter) <b>x</b> a/b https://x.se/y «/ide»")
    assert found == ["start", "avbryt", "ide"]


async def test_every_command_in_a_text_is_one_of_its_languages(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> None:
    answered = registered(emulator, bot_settings, deployment)
    resident = {name for command in RESIDENT_COMMANDS for name in command.names}
    staff = answered - resident
    assert {"arende", "invite"} <= staff
    wrong: list[str] = []
    seen = 0
    for lang in LANGUAGES:
        own = {name for name, _key in menu(lang)}
        for key, text in texts(lang):
            for name in COMMAND.findall(text):
                seen += 1
                if name not in answered:
                    wrong.append(f"{lang} {key}: /{name} is no command of the bot")
                elif name not in own | staff:
                    wrong.append(f"{lang} {key}: /{name} is not a command in {lang}")
    assert seen > 20  # the pattern finds the commands the catalogs name
    assert wrong == []
