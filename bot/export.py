"""Exports of the collected feedback: CSV, newline-delimited JSON and XLSX, streamed.

Pseudonymised: no Telegram ids or names; a keyed hash, new for every export, groups one
resident's rows. Cells a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment
from storage.export import Filters, stream

COLUMNS = (
    "reference",
    "kind",
    "station",
    "kommun",
    "category",
    "status",
    "created",
    "acknowledged",
    "resolved",
    "times_of_day",
    "latitude",
    "longitude",
    "place_text",
    "description",
    "photo_count",
    "supporters",
    "linked_commitment",
    "routed_actors",
    "language",
    "resident",
)
FORMATS = ("csv", "json", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: Any) -> Any:
    """A text cell that starts like a formula gets a leading apostrophe (OWASP CSV advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class Exporter:
    def __init__(self, deployment: Deployment) -> None:
        self.zone = ZoneInfo(deployment.deployment.timezone)
        self.kommun = {s.id: s.kommun for s in deployment.stations}
        self.names = {s.id: s.name for s in deployment.stations}
        self.key = secrets.token_bytes(32)  # per export: hashes cannot be joined across exports

    def local(self, iso: str | None) -> str | None:
        if not iso:
            return None
        return dt.datetime.fromisoformat(iso).astimezone(self.zone).isoformat(timespec="seconds")

    def pseudonym(self, resident_id: int | None) -> str | None:
        if resident_id is None:
            return None
        digest = hmac.new(self.key, str(resident_id).encode(), hashlib.sha256).hexdigest()
        return digest[:16]

    def rows(self, database: Path, filters: Filters) -> Iterator[list[Any]]:
        for r in stream(database, filters):
            yield [
                r["reference"],
                r["kind"],
                self.names.get(r["station_id"], r["station_id"]),
                self.kommun.get(r["station_id"]),
                r["category"],
                r["status"],
                self.local(r["created_at"]),
                self.local(r["acknowledged_at"]),
                self.local(r["resolved_at"]),
                ";".join(json.loads(r["times"] or "[]")),
                r["lat"],
                r["lon"],
                neutral(r["place_text"]),
                neutral(r["description"]),
                r["photos"],
                r["supporters"],
                r["commitment_id"],
                r["actors"],
                r["language"],
                self.pseudonym(r["resident_id"]),
            ]

    def write(
        self,
        fmt: str,
        database: Path,
        out: Path,
        filters: Filters,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write the export; returns the number of rows."""
        rows = self.rows(database, filters)
        written = 0

        def tick() -> None:
            nonlocal written
            written += 1
            if progress and written % 10_000 == 0:
                progress(written)

        if fmt == "csv":
            with out.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(COLUMNS)
                for row in rows:
                    writer.writerow(row)
                    tick()
        elif fmt == "json":
            with out.open("w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(
                        json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False)
                    )
                    handle.write("\n")
                    tick()
        elif fmt == "xlsx":
            try:
                from openpyxl import Workbook
            except ImportError:  # the optional extra
                raise RuntimeError(
                    "XLSX needs openpyxl: pip install 'trygghetsbot[xlsx]'"
                ) from None
            book = Workbook(write_only=True)
            sheet = book.create_sheet("Ärenden")
            sheet.append(list(COLUMNS))
            for row in rows:
                sheet.append(row)
                tick()
            book.save(out)
        else:
            raise ValueError(f"unknown format {fmt!r}")
        if progress:
            progress(written)
        return written
