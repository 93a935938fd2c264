"""Reads for the Open311 API: only the columns of a case that may be published."""

from __future__ import annotations

import aiosqlite

from bot.domain.models import CaseKind
from bot.domain.open311 import PUBLISHED, PublicCase, RequestQuery
from storage.database import Database, where

#: Never select resident_id, photos or event notes here: what is not read cannot leak.
#: The inner query picks the page, so the per-case subqueries run only for rows returned.
PUBLIC_SQL = """
SELECT c.reference, c.kind, c.category, c.station_id, c.status, c.description, c.place_text,
       c.lat, c.lon, c.created_at,
       COALESCE((SELECT MAX(e.created_at) FROM case_events e WHERE e.case_id = c.id),
                c.created_at) AS updated_at,
       (SELECT group_concat(actor_id, ';') FROM
            (SELECT actor_id FROM case_actors a WHERE a.case_id = c.id ORDER BY a.rowid)) AS actors
FROM (SELECT c.id, c.reference, c.kind, c.category, c.station_id, c.status, c.description,
             c.place_text, c.lat, c.lon, c.created_at
      FROM cases c{where} ORDER BY c.created_at DESC, c.id DESC LIMIT ?) c
ORDER BY c.created_at DESC, c.id DESC
"""


def _public(row: aiosqlite.Row) -> PublicCase:
    return PublicCase(
        reference=row["reference"],
        kind=row["kind"],
        category=row["category"],
        station_id=row["station_id"],
        status=row["status"],
        description=row["description"],
        place_text=row["place_text"],
        lat=row["lat"],
        lon=row["lon"],
        created_at=row["created_at"],
        updated_at=max(row["updated_at"], row["created_at"]),
        actors=tuple(row["actors"].split(";")) if row["actors"] else (),
    )


def _where(query: RequestQuery) -> tuple[str, list[object]]:
    published = {s.value for s in PUBLISHED}
    wanted = published if query.statuses is None else published & set(query.statuses)
    clause, params = where(
        ("c.reference", "IN", query.references),
        ("c.status", "IN", sorted(wanted)),  # never a case that is not published
        ("c.created_at", ">=", query.since),
        ("c.created_at", "<=", query.until),
    )
    if query.categories is not None:  # a service_code list: reports in these categories, ideas
        marks = ", ".join("?" for _ in query.categories)
        services = [f"(c.kind = ? AND c.category IN ({marks}))"]
        params += [CaseKind.REPORT.value, *query.categories]
        if query.ideas:
            services.append("c.kind = ?")
            params.append(CaseKind.IDEA.value)
        clause += f" AND ({' OR '.join(services)})"  # `where` always has the status condition
    return clause, params


class Open311Repository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def find(self, query: RequestQuery) -> list[PublicCase]:
        """Matching cases, newest first, at most `query.limit`."""
        where, params = _where(query)
        rows = await self._db.fetchall(PUBLIC_SQL.format(where=where), (*params, query.limit))
        return [_public(row) for row in rows]

    async def get(self, reference: str) -> PublicCase | None:
        rows = await self.find(RequestQuery(references=(reference,), limit=1))
        return rows[0] if rows else None
