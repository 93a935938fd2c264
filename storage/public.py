"""What the public promise page reads: counts and places of reports at stations in a period,
and the updates published on commitments. Nothing about who reported or what they wrote."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.domain.public_map import Place
from storage.database import Database, marks


@dataclass(frozen=True)
class PublishedUpdate:
    """An update as the public sees it: on which commitment, when, and its text."""

    commitment_id: str
    text: str
    created_at: str


def _places(rows: Sequence[aiosqlite.Row]) -> list[Place]:
    return [Place(float(r["lat"]), float(r["lon"]), r["resident_id"]) for r in rows]


class PublicRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def reports_by_category(
        self, stations: Collection[str], start: str, end: str
    ) -> dict[str, int]:
        """Cases at `stations` created in [start, end), by category ('idea' for ideas)."""
        rows = await self._db.fetchall(
            "SELECT COALESCE(category, 'idea') AS category, COUNT(*) AS n FROM cases"
            f" WHERE station_id IN ({marks(stations)}) AND created_at >= ? AND created_at < ?"
            " GROUP BY 1",
            (*stations, start, end),
        )
        return {r["category"]: int(r["n"]) for r in rows}

    async def report_places(self, stations: Collection[str], start: str, end: str) -> list[Place]:
        """The places of the cases at `stations` created in [start, end) that have one, with
        their resident's row id (for counting reporters; never shown)."""
        rows = await self._db.fetchall(
            "SELECT lat, lon, resident_id FROM cases"
            f" WHERE station_id IN ({marks(stations)}) AND created_at >= ? AND created_at < ?"
            " AND lat IS NOT NULL AND lon IS NOT NULL",
            (*stations, start, end),
        )
        # Many thousands of rows: read into places in a worker thread, off the event loop.
        return await asyncio.to_thread(_places, rows)

    async def updates(self, commitments: Collection[str], limit: int) -> list[PublishedUpdate]:
        """The latest `limit` updates published on `commitments`, the latest first."""
        rows = await self._db.fetchall(
            "SELECT commitment_id, text, created_at FROM commitment_updates"
            f" WHERE commitment_id IN ({marks(commitments)}) ORDER BY id DESC LIMIT ?",
            (*commitments, limit),
        )
        return [PublishedUpdate(r["commitment_id"], r["text"], r["created_at"]) for r in rows]

    async def update_count(self, commitments: Collection[str]) -> int:
        """How many updates were published on `commitments`."""
        rows = await self._db.fetchall(
            "SELECT COUNT(*) AS n FROM commitment_updates"
            f" WHERE commitment_id IN ({marks(commitments)})",
            tuple(commitments),
        )
        return int(rows[0]["n"])
