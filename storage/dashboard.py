"""Reads for the dashboard's map and list: cases in a scope and a period, newest first.

The station and period conditions use the indexes on cases (station_id, ...) and the actor
condition the primary key of case_actors (case_id, actor_id), one lookup per case.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import aiosqlite

from storage.database import Database, where


@dataclass(frozen=True)
class CaseQuery:
    """Cases at these stations (None: every station), routed or forwarded to `actor` (None:
    any), of this category, status and kind (None: any), created in [since, until) (ISO,
    UTC; None: no bound)."""

    stations: Collection[str] | None
    actor: str | None
    category: str | None
    status: str | None
    since: str | None
    until: str | None
    kind: str | None = None


@dataclass(frozen=True)
class ListedCase:
    reference: str
    station_id: str
    kind: str
    category: str | None
    status: str
    created_at: str
    description: str
    lat: float | None
    lon: float | None


_COLUMNS = "reference, station_id, kind, category, status, created_at, description, lat, lon"


def _where(query: CaseQuery) -> tuple[str, list[object]]:
    clause, params = where(
        ("station_id", "IN", None if query.stations is None else sorted(query.stations)),
        ("category", "=", query.category),
        ("status", "=", query.status),
        ("kind", "=", query.kind),
        ("created_at", ">=", query.since),
        ("created_at", "<", query.until),
    )
    if query.actor is not None:
        clause += (" AND" if clause else " WHERE") + (
            " EXISTS (SELECT 1 FROM case_actors a WHERE a.case_id = cases.id AND a.actor_id = ?)"
        )
        params.append(query.actor)
    return clause, params


def _listed(row: aiosqlite.Row) -> ListedCase:
    return ListedCase(
        row["reference"],
        row["station_id"],
        row["kind"],
        row["category"],
        row["status"],
        row["created_at"],
        row["description"],
        row["lat"],
        row["lon"],
    )


class DashboardRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def count(self, query: CaseQuery) -> int:
        clause, params = _where(query)
        row = await self._db.fetchone(f"SELECT COUNT(*) FROM cases{clause}", params)
        return int(row[0]) if row else 0

    async def cases(self, query: CaseQuery, limit: int, offset: int = 0) -> list[ListedCase]:
        """The matching cases, newest first."""
        clause, params = _where(query)
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM cases{clause}"
            " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_listed(r) for r in rows]
