"""Where the bot answers: resident flows and invite codes only in a private chat; case views
in a private chat or in the station's own group chat, for staff of that station.

A group skips what protects residents (the crime-tip guard, the flood limit, consent in a
private conversation) and shows everything to everyone in it, so the rule is checked once,
before any feature sees the update. Pure: the handler says what the update asks for.
"""

from __future__ import annotations

from enum import Enum

from bot.domain.access import stations_in_group
from bot.domain.commands import names
from bot.domain.deployment import Deployment

__all__ = ["Asks", "Verdict", "group_stations", "reachable", "stations_in_group", "verdict"]

#: Staff commands that show case details: also answered in a station's group. Not /invite: a
#: one-time code posted in a group can be redeemed by anyone in it before the person meant.
CASE_COMMANDS = frozenset({"arende", "case", *names("cases")})


class Asks(Enum):
    """What an update in a group chat asks of the bot."""

    CASE_COMMAND = "case_command"  # /arende, /arenden
    COMMAND = "command"  # any other command of ours (a resident's or staff's)
    CASE_BUTTON = "case_button"  # a button on a case card or list
    RESIDENT_BUTTON = "resident_button"  # a menu button or a step of a draft
    STAFF_BUTTON = "staff_button"  # any other button (statistics, export, staff, updates)
    TEXT = "text"  # a message that is not a command (a staff note, or group talk)
    NOTHING = "nothing"  # a command for another bot in the group


class Verdict(Enum):
    PASS = "pass"  # handle as usual
    PRIVATE_ONLY = "private_only"  # say in one line: write to the bot in a private chat
    REFUSE = "refuse"  # a button that does not belong here: refused, revealing nothing
    IGNORE = "ignore"  # stay silent


#: What staff of the station may do in its own group chat.
IN_STATION_GROUP = frozenset({Asks.CASE_COMMAND, Asks.CASE_BUTTON, Asks.TEXT})

#: Everything else in a group chat.
IN_GROUP = {
    Asks.CASE_COMMAND: Verdict.PRIVATE_ONLY,
    Asks.COMMAND: Verdict.PRIVATE_ONLY,
    Asks.CASE_BUTTON: Verdict.REFUSE,
    Asks.RESIDENT_BUTTON: Verdict.PRIVATE_ONLY,
    Asks.STAFF_BUTTON: Verdict.REFUSE,
    Asks.TEXT: Verdict.IGNORE,
    Asks.NOTHING: Verdict.IGNORE,
}


def verdict(asks: Asks, *, private: bool, staff_of_group: bool) -> Verdict:
    """What to do with an update; `staff_of_group`: the chat is a station's group and the
    sender is staff of that station."""
    if private or (staff_of_group and asks in IN_STATION_GROUP):
        return Verdict.PASS
    return IN_GROUP[asks]


def group_stations(deployment: Deployment, chat_id: int) -> tuple[str, ...]:
    """The stations whose configured group chat this is (usually one, or none)."""
    return deployment.directory.groups.get(chat_id, ())


#: The bot's status in a chat (Telegram's ChatMember.status) from which it can send there.
_PRESENT = frozenset({"creator", "administrator", "member"})
_GONE = frozenset({"left", "kicked"})


def reachable(status: str, *, can_send: bool | None = None) -> bool | None:
    """Whether the bot can send to a chat where its status became `status`: "kicked" in a
    private chat is a blocked bot, "member" an unblocked one; in a group "left" or "kicked"
    means removed. A "restricted" bot can send only if still a member allowed to send
    (`can_send`). None: a status this does not know, which changes nothing."""
    if status in _PRESENT:
        return True
    if status in _GONE:
        return False
    if status == "restricted" and can_send is not None:
        return can_send
    return None
