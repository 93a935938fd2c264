"""Exports of the collected feedback: CSV, newline-delimited JSON and XLSX, streamed.

Pseudonymised: no Telegram ids or names; a keyed hash, new for every export, groups one
resident's rows. Cells a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment
from storage.export import Filters, batches

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
PSEUDONYM_CACHE = 200_000  # residents remembered per export: about 30 MB at most
_MINUTES_SECONDS = frozenset(f":{m:02d}:{s:02d}" for m in range(60) for s in range(60))


def csv_record(row: Sequence[Any]) -> str:
    """One CSV record, byte for byte what `csv.writer` (excel dialect) writes, but faster.

    The csv module copies every character one by one; most of our cells need no quoting, and
    the checks below run over the whole line at C speed. A cell is quoted when it holds a
    comma, a double quote (doubled) or a line break; None is an empty cell.
    """
    cells = [v if isinstance(v, str) else "" if v is None else str(v) for v in row]
    line = ",".join(cells)
    if not line and len(cells) == 1:
        return '""\r\n'  # a lone empty cell is quoted, else the record would be empty
    if '"' in line or "\n" in line or "\r" in line:
        line = ",".join([_quoted(cell) for cell in cells])
    elif line.count(",") != len(cells) - 1:  # only commas to quote
        line = ",".join([f'"{cell}"' if "," in cell else cell for cell in cells])
    return line + "\r\n"


def _quoted(cell: str) -> str:
    if '"' in cell or "," in cell or "\n" in cell or "\r" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def neutral(value: Any) -> Any:
    """A text cell that starts like a formula gets a leading apostrophe (OWASP CSV advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class Exporter:
    """One export: its own pseudonym key, and caches that live as long as it does."""

    def __init__(self, deployment: Deployment) -> None:
        self.zone = ZoneInfo(deployment.deployment.timezone)
        self.kommun = {s.id: s.kommun for s in deployment.stations}
        self.names = {s.id: s.name for s in deployment.stations}
        self.key = secrets.token_bytes(32)  # per export: hashes cannot be joined across exports
        self._mac = hmac.new(self.key, digestmod=hashlib.sha256)
        # A million rows make these the hot path. The caches stay small: one entry per hour of
        # case history, per distinct set of times of day, per resident (up to a bound).
        self._hours: dict[str, tuple[str, str] | None] = {}
        self._times: dict[str, str] = {}
        self._pseudonyms: dict[int, str] = {}

    def local(self, iso: str | None) -> str | None:
        """A stored UTC time as local ISO time with its offset, to the second."""
        if not iso:
            return None
        # The shape the database stores (storage.utcnow): the local time then differs only in
        # the date and hour and the offset, which are cached per hour.
        if len(iso) == 25 and iso[19:] == "+00:00" and iso[13:19] in _MINUTES_SECONDS:
            hour = iso[:13]
            try:
                parts = self._hours[hour]
            except KeyError:
                parts = self._hours[hour] = self._local_hour(hour)
            if parts is not None:
                return parts[0] + iso[13:19] + parts[1]
        return dt.datetime.fromisoformat(iso).astimezone(self.zone).isoformat(timespec="seconds")

    def _local_hour(self, hour: str) -> tuple[str, str] | None:
        """A UTC hour's local date-and-hour prefix and offset suffix, when minutes and seconds
        carry over unchanged: the offset is whole hours and constant through that hour."""
        utc = dt.datetime.fromisoformat(f"{hour}:00:00+00:00")
        start = utc.astimezone(self.zone)
        end = (utc + dt.timedelta(minutes=59, seconds=59)).astimezone(self.zone)
        offset = start.utcoffset()
        if offset is None or offset != end.utcoffset() or offset % dt.timedelta(hours=1):
            return None
        text = start.isoformat(timespec="seconds")  # YYYY-MM-DDTHH:00:00+HH:MM
        return text[:13], text[19:]

    def times_of_day(self, stored: str | None) -> str:
        """The stored JSON list of times of day, joined with ';'."""
        stored = stored or "[]"
        joined = self._times.get(stored)
        if joined is None:
            joined = ";".join(json.loads(stored))
            if len(self._times) < 4096:
                self._times[stored] = joined
        return joined

    def pseudonym(self, resident_id: int | None) -> str | None:
        """The resident's keyed hash (HMAC-SHA256 under this export's key), 16 hex digits."""
        if resident_id is None:
            return None
        known = self._pseudonyms.get(resident_id)
        if known is None:
            mac = self._mac.copy()  # the keyed state is set up once per export, not per row
            mac.update(str(resident_id).encode())
            known = mac.hexdigest()[:16]
            if len(self._pseudonyms) >= PSEUDONYM_CACHE:
                self._pseudonyms.clear()  # bounded memory: start afresh rather than grow
            self._pseudonyms[resident_id] = known
        return known

    def rows(self, database: Path, filters: Filters) -> Iterator[list[Any]]:
        local, names, kommun = self.local, self.names, self.kommun
        times_of_day, pseudonym = self.times_of_day, self.pseudonym
        for batch in batches(database, filters):
            for (
                reference,
                kind,
                station_id,
                category,
                status,
                created_at,
                acknowledged_at,
                resolved_at,
                times,
                lat,
                lon,
                place_text,
                description,
                photos,
                supporters,
                commitment_id,
                actors,
                language,
                resident_id,
            ) in batch:
                yield [
                    reference,
                    kind,
                    names.get(station_id, station_id),
                    kommun.get(station_id),
                    category,
                    status,
                    local(created_at),
                    local(acknowledged_at),
                    local(resolved_at),
                    times_of_day(times),
                    lat,
                    lon,
                    neutral(place_text),
                    neutral(description),
                    photos,
                    supporters,
                    commitment_id,
                    actors,
                    language,
                    pseudonym(resident_id),
                ]

    def csv_chunks(self, database: Path, filters: Filters) -> Iterator[tuple[str, int]]:
        """CSV records for the matching cases, a batch at a time: (text, number of rows).

        The same cells as `rows`, joined into text at once: a million rows make the generic
        path (a list per row, a type check per cell) the larger part of an export's time.
        A record holding a quote, a line break or a comma inside a cell takes `csv_record`.
        """
        local, names, kommun = self.local, self.names, self.kommun
        times_of_day, pseudonym = self.times_of_day, self.pseudonym
        station_cells = {s: (names[s], kommun[s]) for s in names}
        commas = len(COLUMNS) - 1
        for batch in batches(database, filters):
            records = []
            for (
                reference,
                kind,
                station_id,
                category,
                status,
                created_at,
                acknowledged_at,
                resolved_at,
                times,
                lat,
                lon,
                place_text,
                description,
                photos,
                supporters,
                commitment_id,
                actors,
                language,
                resident_id,
            ) in batch:
                name, municipality = station_cells.get(station_id) or (station_id, None)
                cells = (
                    reference,
                    kind,
                    name,
                    municipality or "",
                    category or "",
                    status,
                    local(created_at) or "",
                    local(acknowledged_at) or "",
                    local(resolved_at) or "",
                    times_of_day(times),
                    "" if lat is None else repr(lat),
                    "" if lon is None else repr(lon),
                    neutral(place_text) or "",
                    neutral(description) or "",
                    str(photos),
                    str(supporters),
                    commitment_id or "",
                    actors or "",
                    language or "",
                    pseudonym(resident_id) or "",
                )
                line = ",".join(cells)
                if line.count(",") != commas or '"' in line or "\n" in line or "\r" in line:
                    line = csv_record(cells)[:-2]
                records.append(line)
            records.append("")
            yield "\r\n".join(records), len(batch)

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
                handle.write(csv_record(COLUMNS))
                for text, count in self.csv_chunks(database, filters):
                    handle.write(text)
                    written += count
                    if progress:
                        progress(written)
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
