"""Sending a draft: one write transaction, run whole on SQLite's thread (`Database.write`).

The check that the draft is not consumed yet (cases.draft_id is UNIQUE), the hourly limit,
the resident touched, the case, its photos, actors and event, and the cards to the station's
staff in the outbox: one round trip to aiosqlite's thread instead of one per statement, with
the write lock held only for as long as SQLite works. What needs the bot's rules (the actors
routed, how the station's staff become cards) is computed, or handed in as a function, by
`bot.services.intake.Intake.submit_draft`. tests/test_submit_statements.py counts the statements.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.domain.lifecycle import Status
from bot.domain.models import Case, NewCase, Resident, Staff
from storage.cases import _case, insert
from storage.database import utcnow
from storage.outbox import OutboxItem, insert_items
from storage.residents import _resident
from storage.staff import COLUMNS, _staff

R = TypeVar("R")

#: The station's active staff, each with whether Telegram refused their chat (storage.chats).
AtStation = list[tuple[Staff, bool]]
#: The new case and the station's staff -> the outbox rows to queue, and what else the caller
#: wants to know of that choice (it runs inside the transaction, on SQLite's thread).
Route = Callable[[Case, AtStation], tuple[list[OutboxItem], R]]


@dataclass(frozen=True)
class Submission:
    """A finished draft to store, with what the bot decided about it beforehand."""

    chat_id: int
    case: NewCase  # its resident_id is filled in here: the resident is touched by the submit
    #: The resident's cases created at or after this (ISO, UTC) count against the limit.
    since: str
    per_hour: int
    actors: list[str]


@dataclass(frozen=True)
class Written(Generic[R]):
    """What a submit found or wrote."""

    #: The case this draft became when it was sent before: nothing was written now.
    earlier: Case | None = None
    #: The case written now; None (and no earlier case) when over the hourly limit.
    case: Case | None = None
    #: Whether the resident follows the case's station already.
    followed: bool = False
    #: What `Route` said about the new case.
    routed: R | None = None


def write_submit(conn: sqlite3.Connection, new: Submission, route: Route[R]) -> Written[R]:
    """Inside `Database.write`: store the draft as a case once, route it and queue its cards.

    A new case costs nine statements (ten with photos) between BEGIN and COMMIT; a draft
    sent before costs four and writes nothing.
    """
    draft_id, station_id = new.case.draft_id, new.case.station_id
    earlier_id, recent, followed = conn.execute(
        "SELECT (SELECT id FROM cases WHERE draft_id = ?),"
        " (SELECT COUNT(*) FROM cases WHERE created_at >= ? AND resident_id ="
        "  (SELECT id FROM residents WHERE chat_id = ?)),"
        " EXISTS (SELECT 1 FROM station_follows f JOIN residents r ON r.id = f.resident_id"
        "  WHERE r.chat_id = ? AND f.station_id = ?)",
        (draft_id, new.since, new.chat_id, new.chat_id, station_id),
    ).fetchone()
    if earlier_id is not None:
        return Written(earlier=_stored(conn, int(earlier_id)))
    limited = int(recent) >= new.per_hour
    # Touched also when over the limit; the home station only with a case.
    resident = touch_resident(conn, new.chat_id, new.case.language, None if limited else station_id)
    if limited:
        return Written()
    case = insert(conn, dataclasses.replace(new.case, resident_id=resident.id))
    now = case.created_at
    if new.actors:
        conn.execute(
            "INSERT INTO case_actors (case_id, actor_id) VALUES "
            + ", ".join("(?, ?)" for _ in new.actors)
            + " ON CONFLICT DO NOTHING",
            [value for actor in new.actors for value in (case.id, actor)],
        )
    conn.execute(
        "INSERT INTO case_events (case_id, action, to_status, created_at)"
        " VALUES (?, 'created', ?, ?)",
        (case.id, Status.NEW.value, now),
    )
    items, routed = route(case, staff_at(conn, station_id))
    insert_items(conn, items)
    return Written(case=case, followed=bool(followed), routed=routed)


def touch_resident(
    conn: sqlite3.Connection, chat_id: int, language: str | None, home_station: str | None
) -> Resident:
    """The resident for `chat_id`, created on first contact (with `language`), seen now, and
    with `home_station` unless they have one already (None: left as it is)."""
    now = utcnow()
    row = conn.execute(
        "INSERT INTO residents (chat_id, language, home_station, created_at, last_seen_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET"
        " last_seen_at = excluded.last_seen_at,"
        " home_station = COALESCE(residents.home_station, excluded.home_station)"
        " RETURNING *",
        (chat_id, language, home_station, now, now),
    ).fetchone()
    return _resident(row)


def staff_at(conn: sqlite3.Connection, station_id: str) -> AtStation:
    """Active staff who work at this station, by name, each with whether Telegram refused
    their chat (storage.chats; see StaffRepository.unreachable)."""
    rows = conn.execute(
        f"SELECT {COLUMNS}, EXISTS (SELECT 1 FROM chats c WHERE c.chat_id = s.telegram_id"
        " AND c.active = 0) AS refused FROM staff s WHERE s.active = 1"
        " AND EXISTS (SELECT 1 FROM json_each(s.stations) WHERE value = ?)"
        " ORDER BY s.name, s.id",
        (station_id,),
    ).fetchall()
    return [(_staff(r), bool(r["refused"])) for r in rows]


def _stored(conn: sqlite3.Connection, case_id: int) -> Case:
    """A case as stored, with its photos and supporters."""
    row = conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
    photos = conn.execute(
        "SELECT path FROM case_photos WHERE case_id = ? ORDER BY id", (case_id,)
    ).fetchall()
    (supporters,) = conn.execute(
        "SELECT COUNT(*) FROM case_supporters WHERE case_id = ?", (case_id,)
    ).fetchone()
    return _case(row, tuple(p["path"] for p in photos), int(supporters))
