"""Help and the command menu: in each language the resident's commands in that language, every
one of them answered by its handler (issue 19 item 6). One table (bot.domain.commands) feeds
the handlers, Telegram's menu and the help."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

import pytest

from bot.domain.commands import RESIDENT_COMMANDS, help_text, menu, staff_help, staff_menu
from bot.domain.deployment import Role
from bot.emulator import Emulator
from bot.emulator.markup import parse_html
from bot.emulator.state import World
from bot.i18n import SOURCE_LANGUAGE, Catalogs
from tests.people import Person

LANGUAGES = ("sv", "en", "fi", "ar")

#: What each command answers with: a catalog key whose text (up to its first field) shows.
ANSWERS = {
    "start": "start.welcome",
    "report": "station.location_hint",
    "idea": "station.location_hint",
    "promise": "promise.choose_station",
    "cases": "cases.none",
    "settings": "settings.prompt",
    "language": "language.prompt",
    "subscriptions": "follow.none",
    "privacy": "privacy.header",
    "mydata": "privacy.data_caption",
    "delete": "privacy.erase_confirm",
    "cancel": "flow.nothing",
    "help": "help.intro",
}


def plain(template: str) -> str:
    """What a client shows of a catalog text, up to its first field."""
    return html.unescape(re.sub(r"<[^>]+>", "", template.split("{")[0])).strip()


def menu_of(world: World, lang: str) -> list[str]:
    """The command names Telegram shows a resident whose app is in `lang`."""
    code = "" if lang == SOURCE_LANGUAGE else lang
    return [c["command"] for c in world.commands[(json.dumps({"type": "default"}), code)]]


def commands_in(text: str) -> list[str]:
    return re.findall(r"(?<![\w/])/([a-z0-9_]+)", text)


def test_the_table_names_valid_distinct_commands() -> None:
    assert {c.key for c in RESIDENT_COMMANDS} == set(ANSWERS)
    owner: dict[str, str] = {}
    for command in RESIDENT_COMMANDS:
        for name in command.names:
            assert re.fullmatch(r"[a-z0-9_]{1,32}", name), name  # Telegram's rule
            assert owner.setdefault(name, command.key) == command.key, name  # one handler each
    assert [name for name, _ in menu("ar")] == [name for name, _ in menu("en")]  # Latin only
    assert RESIDENT_COMMANDS[-1].key == "help"


async def test_menu_in_every_language_is_the_table(live_bot: Emulator, catalogs: Catalogs) -> None:
    for lang in catalogs.languages:
        code = "" if lang == SOURCE_LANGUAGE else lang
        registered = live_bot.world.commands[(json.dumps({"type": "default"}), code)]
        assert registered == [
            {"command": name, "description": catalogs.text(lang, key)} for name, key in menu(lang)
        ]
    assert "report" in menu_of(live_bot.world, "en")
    assert "ilmoita" in menu_of(live_bot.world, "fi")


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_help_lists_the_menu_and_every_command_answers(
    live_bot: Emulator, catalogs: Catalogs, lang: str
) -> None:
    world = live_bot.world
    person = Person(world, 4242000 + LANGUAGES.index(lang), catalogs, lang)
    names = menu_of(world, lang)
    assert {"lofte", "arenden", "minadata", "radera"} <= set(menu_of(world, "sv"))
    assert {"report", "idea", "cancel"} <= set(menu_of(world, "en"))
    name_of = {c.key: c.name(lang) for c in RESIDENT_COMMANDS}
    assert names == list(name_of.values())

    [help_] = await person.say(f"/{name_of['help']}")
    assert commands_in(help_.text) == names
    assert plain(person.t("help.intro")) in help_.text
    assert plain(person.t("help.urgent")) in help_.text  # 112, and no crime tips here
    for name, key in menu(lang):
        assert f"/{name} – {parse_html(person.t(key))[0]}" in help_.text

    unknown = plain(person.t("error.unknown"))
    for key, name in name_of.items():
        replies = await person.say(f"/{name}")
        texts = "\n".join(m.text for m in replies)
        assert replies, name
        assert unknown not in texts, name
        assert plain(person.t(ANSWERS[key])) in texts, name
        if key in ("report", "idea"):  # a flow started: the language's cancel ends it
            cancelled = await person.say(f"/{name_of['cancel']}")
            assert plain(person.t("flow.cancelled")) in "\n".join(m.text for m in cancelled)


@dataclass(frozen=True)
class Member:
    role: str
    actor_id: str = "polisen"
    stations: tuple[str, ...] = ("jakobsberg",)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_webb_is_in_every_staff_help_and_never_a_residents(catalogs: Catalogs, lang: str) -> None:
    """/webb (a sign-in link to the web pages) answers every active staff member: the staff
    section of /hjalp names it for each role; a resident's menu and help never do."""
    assert "webb" not in {name for name, _key in menu(lang)}
    assert "/webb" not in help_text(catalogs.text, lang)
    line = f"/webb – {catalogs.text(lang, 'help.staff.web')}"
    for role in Role:
        member = Member(role.value, stations=() if role == Role.ADMIN else ("jakobsberg",))
        assert ("webb", "help.staff.web") in staff_menu(member, lang), role
        assert line in staff_help(catalogs.text, lang, member).splitlines(), role
