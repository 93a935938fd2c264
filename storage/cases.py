"""Cases: reports and ideas, numbered per station (JKB-0001, JKB-0002, ...)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection

import aiosqlite

from bot.domain.lifecycle import OPEN, Status
from bot.domain.models import Case, CaseKind, NewCase, case_reference
from storage.database import Database, marks, utcnow


def _case(row: aiosqlite.Row, photos: tuple[str, ...], supporters: int = 0) -> Case:
    return Case(
        id=row["id"],
        reference=row["reference"],
        station_id=row["station_id"],
        number=row["number"],
        kind=CaseKind(row["kind"]),
        category=row["category"],
        status=Status(row["status"]),
        resident_id=row["resident_id"],
        place_text=row["place_text"],
        lat=row["lat"],
        lon=row["lon"],
        times=tuple(json.loads(row["times"])),
        description=row["description"],
        language=row["language"],
        created_at=row["created_at"],
        photos=photos,
        supporters=supporters,
        acknowledged_at=row["acknowledged_at"],
        resolved_at=row["resolved_at"],
        commitment_id=row["commitment_id"],
    )


def insert(conn: sqlite3.Connection, new: NewCase) -> Case:
    """Insert a case (and its photos) inside the caller's transaction (`Database.write`);
    returns it as stored (read back by the insert itself: no statement reads it again)."""
    now = utcnow()
    (number,) = conn.execute(
        "INSERT INTO case_counters (station_id, last_number) VALUES (?, 1)"
        " ON CONFLICT (station_id) DO UPDATE SET last_number = last_number + 1"
        " RETURNING last_number",
        (new.station_id,),
    ).fetchone()
    row = conn.execute(
        "INSERT INTO cases (reference, station_id, number, kind, category, resident_id,"
        " place_text, lat, lon, times, description, language, created_at, draft_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (
            case_reference(new.station_code, int(number)),
            new.station_id,
            number,
            new.kind.value,
            new.category,
            new.resident_id,
            new.place_text,
            new.lat,
            new.lon,
            json.dumps(list(new.times)),
            new.description,
            new.language,
            now,
            new.draft_id,  # UNIQUE: a draft already written fails here (see by_draft)
        ),
    ).fetchone()
    if new.photos:  # one statement for all of them
        conn.execute(
            "INSERT INTO case_photos (case_id, path, created_at) VALUES "
            + ", ".join("(?, ?, ?)" for _ in new.photos),
            [value for path in new.photos for value in (row["id"], path, now)],
        )
    return _case(row, tuple(new.photos))


async def by_draft(conn: aiosqlite.Connection, draft_id: str) -> str | None:
    """The reference of the case written from this draft, if any (inside the caller's
    transaction, so that checking and inserting are one step)."""
    async with conn.execute("SELECT reference FROM cases WHERE draft_id = ?", (draft_id,)) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else None


async def add_actors(conn: aiosqlite.Connection, case_id: int, actors: list[str]) -> None:
    if actors:
        await conn.executemany(
            "INSERT INTO case_actors (case_id, actor_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(case_id, a) for a in actors],
        )


async def add_event(
    conn: aiosqlite.Connection,
    case_id: int,
    action: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    actor_id: str | None = None,
    staff_id: int | None = None,
    note: str | None = None,
    message: str | None = None,
) -> None:
    """One entry in a case's history; `message` names the Telegram message it came from
    (UNIQUE: see `event_of_message`)."""
    await conn.execute(
        "INSERT INTO case_events (case_id, action, from_status, to_status, actor_id, staff_id,"
        " note, created_at, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, action, from_status, to_status, actor_id, staff_id, note, utcnow(), message),
    )


async def mark_escalated(conn: aiosqlite.Connection, case_id: int, at: str) -> None:
    """Record when the case was escalated (it is not escalated again)."""
    await conn.execute("UPDATE cases SET escalated_at = ? WHERE id = ?", (at, case_id))


async def event_of_message(conn: aiosqlite.Connection, message: str) -> bool:
    """Whether an event was stored from this Telegram message (inside the caller's
    transaction, so that checking and inserting are one step)."""
    async with conn.execute("SELECT 1 FROM case_events WHERE message = ?", (message,)) as cur:
        return await cur.fetchone() is not None


async def set_status(conn: aiosqlite.Connection, case_id: int, expected: str, status: str) -> bool:
    """Compare and set: move the case to `status` only if it is still `expected`.

    Inside the caller's transaction; False when someone else changed the case first (the
    row is then left as it is). With `status` equal to `expected` it only checks.
    """
    now = utcnow()
    async with conn.execute(
        "UPDATE cases SET status = ?,"
        " acknowledged_at = COALESCE(acknowledged_at, CASE WHEN ? != 'new' THEN ? END),"
        " resolved_at = CASE WHEN ? IN ('resolved', 'not_actionable') THEN ? END"
        " WHERE id = ? AND status = ?",
        (status, status, now, status, now, case_id, expected),
    ) as cur:
        return cur.rowcount > 0


async def last_status_change(
    conn: aiosqlite.Connection, case_id: int
) -> tuple[str | None, str | None]:
    """(actor id, status) of the latest staff action that changed the case's status."""
    async with conn.execute(
        "SELECT actor_id, to_status FROM case_events WHERE case_id = ? AND staff_id IS NOT NULL"
        " AND to_status IS NOT from_status ORDER BY id DESC LIMIT 1",
        (case_id,),
    ) as cur:
        row = await cur.fetchone()
    return (row["actor_id"], row["to_status"]) if row else (None, None)


def open_outside(conn: sqlite3.Connection, stations: Collection[str]) -> list[tuple[str, str]]:
    """(reference, station id) of open cases at stations not in `stations`, oldest first.

    Synchronous, on the caller's connection: `trygghetsbot doctor` reads the file read-only.
    """
    marks_s = ", ".join("?" for _ in stations)  # SQLite takes an empty list
    marks_o = ", ".join("?" for _ in OPEN)
    rows = conn.execute(
        f"SELECT reference, station_id FROM cases WHERE status IN ({marks_o})"
        f" AND station_id NOT IN ({marks_s}) ORDER BY id",
        (*OPEN, *stations),
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


async def set_commitment(conn: aiosqlite.Connection, case_id: int, commitment_id: str) -> None:
    await conn.execute("UPDATE cases SET commitment_id = ? WHERE id = ?", (commitment_id, case_id))


class CaseRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, new: NewCase) -> Case:
        """Store a case and its photos in one transaction, with the station's next number."""
        return await self._db.write(lambda conn: insert(conn, new))

    async def get(self, reference: str) -> Case | None:
        row = await self._db.fetchone("SELECT * FROM cases WHERE reference = ?", (reference,))
        if row is None:
            return None
        return await self._load(row)

    async def of_draft(self, draft_id: str) -> Case | None:
        """The case written from this draft (Draft.id), if it was sent."""
        row = await self._db.fetchone("SELECT * FROM cases WHERE draft_id = ?", (draft_id,))
        if row is None:
            return None
        return await self._load(row)

    async def _load(self, row: aiosqlite.Row) -> Case:
        photos = await self._db.fetchall(
            "SELECT path FROM case_photos WHERE case_id = ? ORDER BY id", (row["id"],)
        )
        return _case(row, tuple(p["path"] for p in photos), await self.supporters(row["id"]))

    async def open_similar(
        self,
        station_id: str,
        category: str,
        since: str,
        limit: int = 3,
        *,
        not_of: int | None = None,
    ) -> list[Case]:
        """Open reports at a station in a category created at or after `since` (ISO, UTC),
        other than those of resident `not_of`."""
        marks = ", ".join("?" for _ in OPEN)
        rows = await self._db.fetchall(
            "SELECT * FROM cases WHERE station_id = ? AND category = ? AND kind = 'report'"
            f" AND status IN ({marks}) AND created_at >= ?"
            " AND (resident_id IS NULL OR resident_id IS NOT ?)"
            " ORDER BY created_at DESC LIMIT ?",
            (station_id, category, *OPEN, since, not_of, limit),
        )
        return [await self._load(row) for row in rows]

    async def add_supporter(
        self, reference: str, resident_id: int, station_id: str, category: str
    ) -> bool | None:
        """Add a resident's voice to an open report at this station and in this category that
        is not their own: True if added now, False if they support it already, None if that
        case may not be supported (closed, elsewhere, an idea, theirs, or no such case)."""
        marks = ", ".join("?" for _ in OPEN)
        # Checked inside the transaction that writes, so a case closed meanwhile is refused.
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT id FROM cases WHERE reference = ? AND station_id = ? AND category = ?"
                f" AND kind = 'report' AND status IN ({marks})"
                " AND (resident_id IS NULL OR resident_id != ?)",
                (reference, station_id, category, *OPEN, resident_id),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            async with conn.execute(
                "INSERT INTO case_supporters (case_id, resident_id, created_at)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (row["id"], resident_id, utcnow()),
            ) as cur:
                return cur.rowcount > 0

    async def actors(self, case_id: int) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT actor_id FROM case_actors WHERE case_id = ? ORDER BY rowid", (case_id,)
        )
        return [r["actor_id"] for r in rows]

    async def followers(self, case_id: int) -> list[tuple[int, str | None]]:
        """(chat id, language) of the reporter and the supporters of a case."""
        rows = await self._db.fetchall(
            "SELECT r.chat_id, r.language FROM residents r WHERE r.id IN ("
            " SELECT resident_id FROM cases WHERE id = ? AND resident_id IS NOT NULL"
            " UNION SELECT resident_id FROM case_supporters WHERE case_id = ?)",
            (case_id, case_id),
        )
        return [(int(r["chat_id"]), r["language"]) for r in rows]

    async def events(self, case_id: int) -> list[aiosqlite.Row]:
        return await self._db.fetchall(
            "SELECT * FROM case_events WHERE case_id = ? ORDER BY id", (case_id,)
        )

    async def open_for(
        self, stations: list[str], actors: list[str], offset: int = 0, limit: int = 5
    ) -> tuple[list[Case], int]:
        """Open cases at these stations routed to one of these actors (page, total)."""
        marks_s, marks_a = marks(stations), marks(actors)
        marks_o = ", ".join("?" for _ in OPEN)
        where = (
            f"station_id IN ({marks_s}) AND status IN ({marks_o}) AND id IN"
            f" (SELECT case_id FROM case_actors WHERE actor_id IN ({marks_a}))"
        )
        params = (*stations, *OPEN, *actors)
        total = await self._db.fetchone(f"SELECT COUNT(*) FROM cases WHERE {where}", params)
        rows = await self._db.fetchall(
            f"SELECT * FROM cases WHERE {where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [await self._load(r) for r in rows], int(total[0]) if total else 0

    async def unacknowledged(self, before: str) -> list[Case]:
        """New cases created before `before` that have not been escalated yet."""
        rows = await self._db.fetchall(
            "SELECT * FROM cases WHERE status = 'new' AND created_at < ? AND escalated_at IS NULL",
            (before,),
        )
        return [await self._load(r) for r in rows]

    async def count_since(self, resident_id: int, since: str) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM cases WHERE resident_id = ? AND created_at >= ?",
            (resident_id, since),
        )
        return int(row[0]) if row else 0

    async def supporters(self, case_id: int) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM case_supporters WHERE case_id = ?", (case_id,)
        )
        return int(row[0]) if row else 0

    async def for_resident(self, resident_id: int, limit: int = 20) -> list[Case]:
        """The resident's own cases and those they support, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM cases WHERE resident_id = ? OR id IN"
            " (SELECT case_id FROM case_supporters WHERE resident_id = ?)"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (resident_id, resident_id, limit),
        )
        return [await self._load(row) for row in rows]

    async def count(self) -> int:
        row = await self._db.fetchone("SELECT COUNT(*) FROM cases")
        return int(row[0]) if row else 0
