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
        """The actors the period's cases were routed to (case_actors) or that acted on them
        (case_events.actor_id)."""
        clause, params = _where(since, until, stations)
        rows = await self._db.fetchall(
            "SELECT a.actor_id FROM cases c JOIN case_actors a ON a.case_id = c.id"
            f"{clause} UNION SELECT e.actor_id FROM cases c JOIN case_events e"
            f" ON e.case_id = c.id{clause} AND e.actor_id IS NOT NULL",
            [*params, *params],
        )
        return [str(r[0]) for r in rows]

    async def actor_waits(
        self, actions: Sequence[str], since: str, until: str, stations: Sequence[str]
    ) -> list[tuple[str, float]]:
        """(actor, seconds from the case's creation to that actor's first event with one of
        `actions`) for each of the period's cases (case_events.actor_id)."""
        clause, params = _where(since, until, stations)
        marks = ", ".join("?" for _ in actions)
        rows = await self._db.fetchall(
            "SELECT e.actor_id, (julianday(MIN(e.created_at)) - julianday(c.created_at))"
            " * 86400.0 FROM cases c JOIN case_events e ON e.case_id = c.id"
            f"{clause} AND e.actor_id IS NOT NULL AND e.action IN ({marks})"
            " GROUP BY c.id, e.actor_id",
            [*params, *actions],
        )
        return [(str(r[0]), float(r[1])) for r in rows if r[1] is not None]

    async def still_open(self, since: str, until: str, stations: Sequence[str]) -> tuple[int, int]:
        """(not yet acknowledged, not yet resolved) among the period's cases, now."""
        clause, params = _where(since, until, stations)
        row = await self._db.fetchone(
            "SELECT COUNT(*) - COUNT(c.acknowledged_at), COUNT(*) - COUNT(c.resolved_at)"
            f" FROM cases c{clause}",
            params,
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def updates_until(self, until: str) -> list[tuple[str, str | None, int | None]]:
        """(commitment, status, progress) of every commitment update before `until`, oldest
        first."""
        rows = await self._db.fetchall(
            "SELECT commitment_id, status, progress FROM commitment_updates"
            " WHERE created_at < ? ORDER BY id",
            (until,),
        )
        return [
            (str(r[0]), None if r[1] is None else str(r[1]), None if r[2] is None else int(r[2]))
            for r in rows
        ]
