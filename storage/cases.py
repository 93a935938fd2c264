"""Cases: reports and ideas, numbered per station (JKB-0001, JKB-0002, ...)."""

from __future__ import annotations

import json

import aiosqlite

from bot.domain.models import OPEN_STATUSES, Case, CaseKind, NewCase, case_reference
from storage.database import Database, utcnow


def _case(row: aiosqlite.Row, photos: tuple[str, ...], supporters: int = 0) -> Case:
    return Case(
        id=row["id"],
        reference=row["reference"],
        station_id=row["station_id"],
        number=row["number"],
        kind=CaseKind(row["kind"]),
        category=row["category"],
        status=row["status"],
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
    )


class CaseRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, new: NewCase) -> Case:
        """Store a case and its photos in one transaction, with the station's next number."""
        now = utcnow()
        async with self._db.transaction() as conn:
            async with conn.execute(
                "INSERT INTO case_counters (station_id, last_number) VALUES (?, 1)"
                " ON CONFLICT (station_id) DO UPDATE SET last_number = last_number + 1"
                " RETURNING last_number",
                (new.station_id,),
            ) as cur:
                row = await cur.fetchone()
            assert row is not None
            number = int(row[0])
            reference = case_reference(new.station_code, number)
            async with conn.execute(
                "INSERT INTO cases (reference, station_id, number, kind, category, resident_id,"
                " place_text, lat, lon, times, description, language, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    reference,
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
                ),
            ) as cur:
                row = await cur.fetchone()
            assert row is not None
            case_id = int(row[0])
            await conn.executemany(
                "INSERT INTO case_photos (case_id, path, created_at) VALUES (?, ?, ?)",
                [(case_id, path, now) for path in new.photos],
            )
        case = await self.get(reference)
        assert case is not None
        return case

    async def get(self, reference: str) -> Case | None:
        row = await self._db.fetchone("SELECT * FROM cases WHERE reference = ?", (reference,))
        if row is None:
            return None
        return await self._load(row)

    async def _load(self, row: aiosqlite.Row) -> Case:
        photos = await self._db.fetchall(
            "SELECT path FROM case_photos WHERE case_id = ? ORDER BY id", (row["id"],)
        )
        return _case(row, tuple(p["path"] for p in photos), await self.supporters(row["id"]))

    async def open_similar(
        self, station_id: str, category: str, since: str, limit: int = 3
    ) -> list[Case]:
        """Open reports at a station in a category created at or after `since` (ISO, UTC)."""
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        rows = await self._db.fetchall(
            "SELECT * FROM cases WHERE station_id = ? AND category = ? AND kind = 'report'"
            f" AND status IN ({marks}) AND created_at >= ? ORDER BY created_at DESC LIMIT ?",
            (station_id, category, *OPEN_STATUSES, since, limit),
        )
        return [await self._load(row) for row in rows]

    async def add_supporter(self, reference: str, resident_id: int) -> bool:
        """Add a resident's voice to a case; False if they had already (or it is theirs)."""
        async with (
            self._db.transaction() as conn,
            conn.execute(
                "INSERT INTO case_supporters (case_id, resident_id, created_at)"
                " SELECT id, ?, ? FROM cases WHERE reference = ?"
                " AND (resident_id IS NULL OR resident_id != ?)"
                " ON CONFLICT DO NOTHING",
                (resident_id, utcnow(), reference, resident_id),
            ) as cur,
        ):
            return cur.rowcount > 0

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
