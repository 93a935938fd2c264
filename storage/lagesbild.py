"""Reads for the monthly lägesbild that the statistics queries (storage.stats) do not give:
the cases' places, the times reporters named, response times per actor."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database, where


def _where(since: str, until: str, stations: Sequence[str]) -> tuple[str, list[object]]:
    return where(
        ("c.created_at", ">=", since),
        ("c.created_at", "<", until),
        ("c.station_id", "IN", stations),
    )


class LagesbildRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def places(
        self, since: str, until: str, stations: Sequence[str]
    ) -> list[tuple[float, float] | None]:
        """Each case's (lat, lon), or None for a case without a place on the map."""
        clause, params = _where(since, until, stations)
        rows = await self._db.fetchall(f"SELECT c.lat, c.lon FROM cases c{clause}", params)
        return [None if r[0] is None or r[1] is None else (float(r[0]), float(r[1])) for r in rows]

    async def times(self, since: str, until: str, stations: Sequence[str]) -> dict[str, int]:
        """The times of day reporters named (the case's `times`) -> cases naming each."""
        clause, params = _where(since, until, stations)
        rows = await self._db.fetchall(
            f"SELECT t.value, COUNT(*) FROM cases c, json_each(c.times) t{clause} GROUP BY 1",
            params,
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def actors(self, since: str, until: str, stations: Sequence[str]) -> list[str]:
        """The actors the period's cases were routed to."""
        clause, params = _where(since, until, stations)
        rows = await self._db.fetchall(
            "SELECT DISTINCT a.actor_id FROM cases c JOIN case_actors a ON a.case_id = c.id"
            f"{clause} ORDER BY 1",
            params,
        )
        return [str(r[0]) for r in rows]

    async def actor_waits(
        self, column: str, since: str, until: str, stations: Sequence[str]
    ) -> list[tuple[str, float]]:
        """(actor, seconds from creation to `acknowledged_at` or `resolved_at`) for each of the
        period's cases routed to the actor that got there (storage.stats.waits per actor)."""
        if column not in ("acknowledged_at", "resolved_at"):
            raise ValueError(column)
        clause, params = _where(since, until, stations)
        rows = await self._db.fetchall(
            f"SELECT a.actor_id, (julianday(c.{column}) - julianday(c.created_at)) * 86400.0"
            f" FROM cases c JOIN case_actors a ON a.case_id = c.id{clause}"
            f" AND c.{column} IS NOT NULL",
            params,
        )
        return [(str(r[0]), float(r[1])) for r in rows if r[1] is not None]
