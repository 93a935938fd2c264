"""Aggregate reads for statistics: counts, response times and cases per hour."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database, where

IDEA = "idea"  # the category column of ideas is NULL; count them under this name


def _where(
    since: str | None, until: str | None, stations: Sequence[str] | None
) -> tuple[str, list[object]]:
    return where(
        ("created_at", ">=", since), ("created_at", "<", until), ("station_id", "IN", stations)
    )


class StatsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def counts(
        self, since: str | None, until: str | None, stations: Sequence[str] | None
    ) -> list[tuple[str, str, str, int]]:
        """(station, category or 'idea', status, count) for cases created in the period."""
        where, params = _where(since, until, stations)
        rows = await self._db.fetchall(
            "SELECT station_id, COALESCE(category, ?) AS category, status, COUNT(*) AS n"
            f" FROM cases{where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            [IDEA, *params],
        )
        return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    async def waits(
        self, column: str, since: str | None, until: str | None, stations: Sequence[str] | None
    ) -> list[float]:
        """Seconds from creation to `acknowledged_at` or `resolved_at`, for cases that got there."""
        if column not in ("acknowledged_at", "resolved_at"):
            raise ValueError(column)
        where, params = _where(since, until, stations)
        where = f"{where} AND" if where else " WHERE"
        rows = await self._db.fetchall(
            f"SELECT (julianday({column}) - julianday(created_at)) * 86400.0"
            f" FROM cases{where} {column} IS NOT NULL",
            params,
        )
        return [float(r[0]) for r in rows if r[0] is not None]

    async def per_hour(
        self, since: str | None, until: str | None, stations: Sequence[str] | None
    ) -> list[tuple[str, str, int]]:
        """(UTC hour 'YYYY-MM-DDTHH', category or 'idea', count): callers bucket by local day."""
        where, params = _where(since, until, stations)
        rows = await self._db.fetchall(
            "SELECT substr(created_at, 1, 13) AS hour, COALESCE(category, ?) AS category,"
            f" COUNT(*) FROM cases{where} GROUP BY 1, 2 ORDER BY 1",
            [IDEA, *params],
        )
        return [(r[0], r[1], int(r[2])) for r in rows]
