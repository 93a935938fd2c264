"""Streaming reads for exports: one plain sqlite3 cursor, a few thousand rows at a time.

Exports run outside the event loop (a thread, or the CLI), read-only, so memory stays flat
however many cases there are.

The cases are read in one ordered scan. Their photo and supporter counts and routed actors
are read per batch, with one grouped query per table over the batch's ids, instead of three
subqueries per case: for a million cases that is 1,500 range scans instead of three million
index look-ups, and the export's largest saving.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.database import where

BATCH = 2000

#: The case columns, in this order, with `c.id` first.
CASES_SQL = """
SELECT c.id, c.reference, c.kind, c.station_id, c.category, c.status, c.created_at,
       c.acknowledged_at, c.resolved_at, c.times, c.lat, c.lon, c.place_text, c.description,
       c.commitment_id, c.language, c.resident_id
FROM cases c
"""

# Per batch: the ids either as a range (a dense batch: a scan of each table's index over the
# range) or as a JSON list (a sparse one, e.g. one station's cases among many: look-ups).
_RANGE = "case_id BETWEEN ? AND ?"
_LISTED = "case_id IN (SELECT value FROM json_each(?))"
_PHOTOS = "SELECT case_id, COUNT(*) FROM case_photos WHERE {} GROUP BY case_id"
_SUPPORTERS = "SELECT case_id, COUNT(*) FROM case_supporters WHERE {} GROUP BY case_id"
# Routed actors in the order they were routed (rowid), joined with ';'.
_ACTORS = (
    "SELECT case_id, group_concat(actor_id, ';') FROM"
    " (SELECT case_id, actor_id FROM case_actors WHERE {} ORDER BY case_id, rowid)"
    " GROUP BY case_id"
)
# The officer's note to the resident when closing a case (resolved or set aside), the last
# one per case (later rows win in dict()). Only the XLSX export asks for it.
_NOTES = (
    "SELECT case_id, note FROM case_events WHERE {} AND action IN ('resolve', 'reject')"
    " AND note IS NOT NULL ORDER BY case_id, id"
)


@dataclass(frozen=True)
class Filters:
    station: str | None = None
    kind: str | None = None
    status: str | None = None
    since: str | None = None  # ISO, UTC
    until: str | None = None  # ISO, UTC (exclusive)

    def where(
        self, first_id: int | None = None, stop_id: int | None = None
    ) -> tuple[str, list[object]]:
        return where(
            ("c.station_id", "=", self.station),
            ("c.kind", "=", self.kind),
            ("c.status", "=", self.status),
            ("c.created_at", ">=", self.since),
            ("c.created_at", "<", self.until),
            ("c.id", ">=", first_id),
            ("c.id", "<", stop_id),
        )


@dataclass(frozen=True)
class Batch:
    """Cases in the column order of CASES_SQL, with their counts and actors by case id."""

    cases: list[tuple[Any, ...]]
    photos: dict[int, int]
    supporters: dict[int, int]
    actors: dict[int, str]
    notes: dict[int, str] = field(default_factory=dict)  # closing notes, when asked for


def count(path: Path, filters: Filters) -> int:
    clause, params = filters.where()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM cases c{clause}", params).fetchone()[0])


def split(path: Path, filters: Filters, parts: int, total: int) -> list[int | None]:
    """Case ids that cut the `total` matching cases (see `count`) into `parts` runs of nearly
    equal size: the boundaries between runs, with None at both ends (a run is
    first <= id < stop)."""
    clause, params = filters.where()
    cuts: list[int | None] = [None]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        for n in range(1, parts):
            row = conn.execute(
                f"SELECT c.id FROM cases c{clause} ORDER BY c.id LIMIT 1 OFFSET ?",
                [*params, total * n // parts],
            ).fetchone()
            if row is not None and row[0] != cuts[-1]:
                cuts.append(int(row[0]))
    return [*cuts, None]


def batches(
    path: Path,
    filters: Filters,
    first_id: int | None = None,
    stop_id: int | None = None,
    notes: bool = False,
) -> Iterator[Batch]:
    """Every matching case with first_id <= id < stop_id, oldest first, a batch at a time,
    from a read-only connection; with `notes`, each batch has the officers' closing notes."""
    clause, params = filters.where(first_id, stop_id)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = conn.execute(f"{CASES_SQL}{clause} ORDER BY c.id", params)
        side = conn.cursor()
        queries = {
            dense: [q.format(_RANGE if dense else _LISTED) for q in (_PHOTOS, _SUPPORTERS, _ACTORS)]
            for dense in (True, False)
        }
        while cases := cursor.fetchmany(BATCH):
            first, last = cases[0][0], cases[-1][0]
            dense = last - first < 2 * len(cases)
            args = (first, last) if dense else (json.dumps([row[0] for row in cases]),)
            photos, supporters, actors = (
                dict(side.execute(query, args)) for query in queries[dense]
            )
            closing: dict[int, str] = {}
            if notes:
                closing = dict(side.execute(_NOTES.format(_RANGE if dense else _LISTED), args))
            yield Batch(cases, photos, supporters, actors, closing)
    finally:
        conn.close()
