"""The trygghetsmätning (a pulse): residents who follow a station and agreed to it get at
most one short question a month about it, "Hur trygg känner du dig vid <station> på
kvällen?", on a five-step scale.

An answer is stored without the chat id: under `pseudonym(key, chat_id)`, with a random key
per month (storage.pulse), so that one resident's answers in different months cannot be tied
together, and once the month's key is deleted nobody can tie the answers to anyone."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import re
from dataclasses import dataclass

from bot.domain.trygghet import month_of

#: The scale, lowest first: 1 mycket otrygg … 5 mycket trygg (catalog keys pulse.score.N).
SCALE = (1, 2, 3, 4, 5)
#: Questions of a month go out over its first SPREAD_DAYS days, each resident on their own day.
SPREAD_DAYS = 14


def pseudonym(key: bytes, chat_id: int) -> str:
    """The resident's pseudonym for the month of `key` (hex HMAC-SHA-256)."""
    return hmac.new(key, str(chat_id).encode(), hashlib.sha256).hexdigest()


def ask_day(key: bytes, chat_id: int, station_id: str, spread: int = SPREAD_DAYS) -> int:
    """The day of the month (1..spread) on which this resident is asked about this station:
    fixed for the month, different between months (the month's key), even over residents."""
    digest = hmac.new(key, f"day:{chat_id}:{station_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") % spread + 1


# ---------------------------------------------------------------------- buttons and months
#: A month as the pulse stores it.
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
#: A station id in a button (bot.domain.deployment.Id: no dots, so "." separates parts).
_STATION = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")


def button_arg(station_id: str, month: str, value: int | None = None) -> str:
    """One callback part naming the question (station, month) and a number (a score, a
    category's position): "floda.2026-12.4". At most 24 + 1 + 7 + 1 + 2 characters."""
    return f"{station_id}.{month}" + ("" if value is None else f".{value}")


@dataclass(frozen=True)
class Pressed:
    """A pulse button as parsed: which question, and the number it carries (if any)."""

    station_id: str
    month: str
    value: int | None


def parse_arg(arg: str) -> Pressed | None:
    """The parts of a pulse button's argument, or None if it is not well formed."""
    parts = arg.split(".")
    if len(parts) not in (2, 3) or not _STATION.match(parts[0]) or not _MONTH.match(parts[1]):
        return None
    if len(parts) == 2:
        return Pressed(parts[0], parts[1], None)
    if not parts[2].isdigit() or len(parts[2]) > 2:
        return None
    return Pressed(parts[0], parts[1], int(parts[2]))


class MonthState(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"
    #: A month not begun: no question about it was ever sent (a forged button).
    FUTURE = "future"


def month_state(month: str, today: dt.date) -> MonthState:
    """Answers are taken for the month asked about until its last day (in the deployment's
    time zone: `today`), then the question has closed."""
    now = month_of(today)
    if month == now:
        return MonthState.OPEN
    return MonthState.CLOSED if month < now else MonthState.FUTURE
