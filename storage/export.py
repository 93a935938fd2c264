"""Streaming reads for exports: one plain sqlite3 cursor, a few thousand rows at a time.

Exports run outside the event loop (a thread, or the CLI), read-only, so memory stays flat
however many cases there are.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.database import where

BATCH = 5000

COLUMNS_SQL = """
SELECT c.reference, c.kind, c.station_id, c.category, c.status, c.created_at,
       c.acknowledged_at, c.resolved_at, c.times, c.lat, c.lon, c.place_text, c.description,
       (SELECT COUNT(*) FROM case_photos p WHERE p.case_id = c.id) AS photos,
       (SELECT COUNT(*) FROM case_supporters s WHERE s.case_id = c.id) AS supporters,
       c.commitment_id,
       (SELECT group_concat(actor_id, ';') FROM
            (SELECT actor_id FROM case_actors a WHERE a.case_id = c.id ORDER BY a.rowid)) AS actors,
       c.language, c.resident_id
FROM cases c
"""


@dataclass(frozen=True)
class Filters:
    station: str | None = None
    kind: str | None = None
    status: str | None = None
    since: str | None = None  # ISO, UTC
    until: str | None = None  # ISO, UTC (exclusive)

    def where(self) -> tuple[str, list[object]]:
        return where(
            ("c.station_id", "=", self.station),
            ("c.kind", "=", self.kind),
            ("c.status", "=", self.status),
            ("c.created_at", ">=", self.since),
            ("c.created_at", "<", self.until),
        )


def count(path: Path, filters: Filters) -> int:
    where, params = filters.where()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM cases c{where}", params).fetchone()[0])


def batches(path: Path, filters: Filters) -> Iterator[list[tuple[Any, ...]]]:
    """Every matching case, oldest first, as plain tuples in the order of COLUMNS_SQL, a
    batch at a time, from a read-only connection (the fast path for big exports)."""
    where, params = filters.where()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = conn.execute(f"{COLUMNS_SQL}{where} ORDER BY c.id", params)
        while batch := cursor.fetchmany(BATCH):
            yield batch
    finally:
        conn.close()


def stream(path: Path, filters: Filters) -> Iterator[sqlite3.Row]:
    """Every matching case, oldest first, read in batches from a read-only connection."""
    where, params = filters.where()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        cursor = conn.execute(f"{COLUMNS_SQL}{where} ORDER BY c.id", params)
        while batch := cursor.fetchmany(BATCH):
            yield from batch
    finally:
        conn.close()
