"""The reads and writes of sending a draft, inside the one transaction that stores its case.

Each is one statement and one round trip to SQLite's thread (`execute_fetchall`, which runs
the statement and reads its rows in one call): a submit is a handful of them (see
`bot.services.intake.Intake.submit_draft` and tests/test_storage.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.domain.models import Resident, Staff
from storage.database import utcnow
from storage.residents import _resident
from storage.staff import _staff


@dataclass(frozen=True)
class Before:
    """What a submit reads before it writes."""

    #: The case this draft became, when it was sent before (cases.draft_id is UNIQUE).
    reference: str | None
    #: The resident's cases created at or after `since` (the hourly limit).
    recent: int
    #: Whether the resident follows the station already.
    followed: bool


async def before_submit(
    conn: aiosqlite.Connection, draft_id: str, chat_id: int, station_id: str, since: str
) -> Before:
    """The draft's case if any, the resident's recent cases and whether they follow the
    station, in one statement (a resident not yet stored has neither)."""
    rows = await conn.execute_fetchall(
        "SELECT (SELECT reference FROM cases WHERE draft_id = ?),"
        " (SELECT COUNT(*) FROM cases WHERE created_at >= ? AND resident_id ="
        "  (SELECT id FROM residents WHERE chat_id = ?)),"
        " EXISTS (SELECT 1 FROM station_follows f JOIN residents r ON r.id = f.resident_id"
        "  WHERE r.chat_id = ? AND f.station_id = ?)",
        (draft_id, since, chat_id, chat_id, station_id),
    )
    (row,) = rows
    return Before(None if row[0] is None else str(row[0]), int(row[1]), bool(row[2]))


async def touch_resident(
    conn: aiosqlite.Connection, chat_id: int, language: str | None, home_station: str | None
) -> Resident:
    """The resident for `chat_id`, created on first contact (with `language`), seen now, and
    with `home_station` unless they have one already (None: left as it is)."""
    now = utcnow()
    rows = await conn.execute_fetchall(
        "INSERT INTO residents (chat_id, language, home_station, created_at, last_seen_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET"
        " last_seen_at = excluded.last_seen_at,"
        " home_station = COALESCE(residents.home_station, excluded.home_station)"
        " RETURNING *",
        (chat_id, language, home_station, now, now),
    )
    (row,) = rows
    return _resident(row)


async def staff_at(conn: aiosqlite.Connection, station_id: str) -> list[tuple[Staff, bool]]:
    """Active staff who work at this station, by name, each with whether Telegram refused
    their chat (storage.chats; see StaffRepository.unreachable)."""
    rows = await conn.execute_fetchall(
        "SELECT s.*, EXISTS (SELECT 1 FROM chats c WHERE c.chat_id = s.telegram_id"
        " AND c.active = 0) AS refused FROM staff s WHERE s.active = 1"
        " AND EXISTS (SELECT 1 FROM json_each(s.stations) WHERE value = ?)"
        " ORDER BY s.name, s.id",
        (station_id,),
    )
    return [(_staff(r), bool(r["refused"])) for r in rows]
