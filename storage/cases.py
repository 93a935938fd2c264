"""Cases: reports and ideas, numbered per station (JKB-0001, JKB-0002, ...)."""

from __future__ import annotations

import json

import aiosqlite

from bot.domain.models import Case, CaseKind, NewCase, case_reference
from storage.database import Database, utcnow


def _case(row: aiosqlite.Row, photos: tuple[str, ...]) -> Case:
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
        photos = await self._db.fetchall(
            "SELECT path FROM case_photos WHERE case_id = ? ORDER BY id", (row["id"],)
        )
        return _case(row, tuple(p["path"] for p in photos))

    async def count(self) -> int:
        row = await self._db.fetchone("SELECT COUNT(*) FROM cases")
        return int(row[0]) if row else 0
