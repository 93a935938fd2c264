"""A resident's commands: one table for the handlers, Telegram's command menu and the help.

Each command has a name per language. Telegram allows only a-z, 0-9 and _ in a command's name
(1-32 characters), so a language in another script (Arabic) uses the English names. Every
name of every language is registered for the same handler: a resident who changed language,
or who reads a friend's help, is still understood.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.access import (
    StaffLike,
    admin_scope,
    may_list_staff,
    may_see_stats,
    may_start_export,
)

__all__ = [
    "RESIDENT_COMMANDS",
    "STAFF_COMMANDS",
    "Command",
    "StaffCommand",
    "help_text",
    "menu",
    "names",
    "staff_help",
    "staff_menu",
]


@dataclass(frozen=True)
class Command:
    """What a command does (`key`; its description is the catalog key commands.<key>) and
    its name in Swedish, English and Finnish."""

    key: str
    sv: str
    en: str
    fi: str

    def name(self, lang: str) -> str:
        """The name shown to a resident who reads `lang` (English for other languages)."""
        return {"sv": self.sv, "fi": self.fi}.get(lang, self.en)

    @property
    def names(self) -> list[str]:
        """Every name the command answers to, Swedish first."""
        return list(dict.fromkeys((self.sv, self.en, self.fi)))

    @property
    def description(self) -> str:
        return f"commands.{self.key}"


#: In the order of the menu and the help; help last.
RESIDENT_COMMANDS = (
    Command("start", "start", "start", "start"),
    Command("report", "rapport", "report", "ilmoita"),
    Command("idea", "ide", "idea", "idea"),
    Command("promise", "lofte", "promise", "lupaus"),
    Command("cases", "arenden", "cases", "asiani"),
    Command("settings", "installningar", "settings", "asetukset"),
    Command("language", "sprak", "language", "kieli"),
    Command("subscriptions", "prenumerationer", "subscriptions", "seuratut"),
    Command("privacy", "integritet", "privacy", "tietosuoja"),
    Command("mydata", "minadata", "mydata", "omattiedot"),
    Command("delete", "radera", "delete", "poista"),
    Command("cancel", "avbryt", "cancel", "peruuta"),
    Command("help", "hjalp", "help", "ohje"),
)

_BY_KEY = {command.key: command for command in RESIDENT_COMMANDS}


def names(key: str) -> list[str]:
    """Every name of the command `key`: what its handler is registered for."""
    return _BY_KEY[key].names


def menu(lang: str) -> list[tuple[str, str]]:
    """Telegram's command menu in `lang`: (name, catalog key of its description)."""
    return [(command.name(lang), command.description) for command in RESIDENT_COMMANDS]


def help_text(text: Callable[[str, str], str], lang: str) -> str:
    """The help in `lang`: what the bot is for, every command of the menu with its
    description, one a line, and where to turn in an emergency. `text(lang, key)` reads the
    catalog (HTML)."""
    lines = [f"/{name} – {text(lang, key)}" for name, key in menu(lang)]
    return "\n".join([text(lang, "help.intro"), "", *lines, "", text(lang, "help.urgent")])


# ---------------------------------------------------------------------- staff
@dataclass(frozen=True)
class StaffCommand:
    """A staff command (`key`; its description is the catalog key help.staff.<key>), its
    Swedish and English names (Finnish and Arabic readers get the English one; the handlers
    answer to both), and who may use it (bot.domain.access)."""

    key: str
    sv: str
    en: str
    may: Callable[[StaffLike], bool]

    def name(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys((self.sv, self.en)))


def _anyone(member: StaffLike) -> bool:
    """Every staff member (what they then see is checked where it is read)."""
    return True


def _may_invite(member: StaffLike) -> bool:
    return admin_scope(member) is not None


#: The staff commands, in the order of the staff help.
STAFF_COMMANDS = (
    StaffCommand("case", "arende", "case", _anyone),
    StaffCommand("update", "uppdatera", "update", _anyone),
    StaffCommand("stats", "statistik", "stats", may_see_stats),
    StaffCommand("staff", "staff", "staff", may_list_staff),
    StaffCommand("invite", "invite", "invite", _may_invite),
    StaffCommand("export", "export", "export", may_start_export),
    StaffCommand("web", "webb", "webb", _anyone),  # a sign-in link to the web pages
)


def staff_menu(member: StaffLike, lang: str) -> list[tuple[str, str]]:
    """The staff commands `member` may use: (name in `lang`, catalog key of its description)."""
    return [(c.name(lang), f"help.staff.{c.key}") for c in STAFF_COMMANDS if c.may(member)]


def staff_help(text: Callable[[str, str], str], lang: str, member: StaffLike) -> str:
    """The help's staff section: a heading, then each command `member` may use, one a line."""
    lines = [f"/{name} – {text(lang, key)}" for name, key in staff_menu(member, lang)]
    return "\n".join([text(lang, "help.staff"), *lines])
