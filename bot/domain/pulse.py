"""The trygghetsmätning (a pulse): residents who follow a station and agreed to it get at
most one short question a month about it, "Hur trygg känner du dig vid <station> på
kvällen?", on a five-step scale.

An answer is stored without the chat id: under `pseudonym(key, chat_id)`, with a random key
per month (storage.pulse), so that one resident's answers in different months cannot be tied
together, and once the month's key is deleted nobody can tie the answers to anyone."""

from __future__ import annotations

import hashlib
import hmac

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
