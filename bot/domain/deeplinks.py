"""Deep links into the bot (`https://t.me/<bot>?start=<payload>`): the start payload of a
station poster, `s_<station id>`, built and read back. Pure: no Telegram, no storage.

Telegram allows 1-64 characters from [A-Za-z0-9_-] in a start payload. Station ids are
public ([a-z0-9-], at most 24 characters), so the payload needs no secret. Staff invite codes
([A-HJ-NP-Z2-9]{8}) never begin with `s_`, so the two cannot be mistaken for each other.
"""

from __future__ import annotations

import re

from bot.domain.deployment import MAX_ID

#: The prefix of a station poster's payload.
STATION_PREFIX = "s_"
#: The longest start payload Telegram passes on.
PAYLOAD_MAX = 64
#: A station id as it may stand in a payload.
STATION_ID = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{MAX_ID - 1}}}")


def station_payload(station_id: str) -> str:
    """The start payload that begins a report at `station_id` (ValueError if an id cannot
    stand in a payload)."""
    if not STATION_ID.fullmatch(station_id):
        raise ValueError(f"not a station id for a deep link: {station_id!r}")
    return STATION_PREFIX + station_id


def is_station_payload(payload: str) -> bool:
    """Whether a start payload is meant for a station (well formed or not): never an invite."""
    return payload.startswith(STATION_PREFIX)


def station_of(payload: str) -> str | None:
    """The station id a start payload names; None for anything else or malformed."""
    if len(payload) > PAYLOAD_MAX or not is_station_payload(payload):
        return None
    station_id = payload[len(STATION_PREFIX) :]
    return station_id if STATION_ID.fullmatch(station_id) else None
