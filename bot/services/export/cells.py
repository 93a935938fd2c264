"""One case as export cells, and batches of them as CSV records, JSON objects or JSON lines.

These are the forms made for programs (codes, ISO times with their offset, English column
names): CSV in its RFC 4180 form, JSON and NDJSON. The forms made for people build on the same
cells with bot/services/export/labels.py (the Swedish CSV's fast path: excel.py).

Pseudonymised: no Telegram ids or names; a keyed hash, new for every export, groups one
resident's rows. The cells are the data as stored: JSON and NDJSON carry the resident's exact
text. A CSV goes to spreadsheets: there every text cell that starts like a formula is
neutralised (`neutral`), the resident's texts as well as the deployment's names and the codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
import secrets
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment
from storage.export import Batch, Filters, batches

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
FORMATS = ("csv", "json", "ndjson", "xlsx", "geojson")
#: CSV's two forms: for Swedish Excel (the default), and today's machine-friendly RFC 4180.
DIALECTS = ("excel-sv", "rfc4180")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A cell that starts like a formula, in a column's cells joined with '|' after a '|'.
_FORMULA_MARKS = tuple("|" + start for start in _FORMULA_START)
PSEUDONYM_CACHE = 20_000  # residents remembered per export (about 4 MB), shared by its processes

_MINUTES_SECONDS = frozenset(f":{m:02d}:{s:02d}" for m in range(60) for s in range(60))


def csv_record(row: Sequence[Any], delimiter: str = ",") -> str:
    """One CSV record, byte for byte what `csv.writer` (excel dialect, with `delimiter`)
    writes, but faster.

    The csv module copies every character one by one; most of our cells need no quoting, and
    the checks below run over the whole line at C speed. A cell is quoted when it holds the
    delimiter, a double quote (doubled) or a line break; None is an empty cell.
    """
    cells = [v if isinstance(v, str) else "" if v is None else str(v) for v in row]
    line = delimiter.join(cells)
    if not line and len(cells) == 1:
        return '""\r\n'  # a lone empty cell is quoted, else the record would be empty
    if '"' in line or "\n" in line or "\r" in line:
        line = delimiter.join([_cell(cell, delimiter) for cell in cells])
    elif line.count(delimiter) != len(cells) - 1:  # only delimiters to quote
        line = delimiter.join([f'"{cell}"' if delimiter in cell else cell for cell in cells])
    return line + "\r\n"


def neutral(value: Any) -> Any:
    """A text cell that starts like a formula gets a leading apostrophe (OWASP CSV advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutral_row(row: Sequence[Any]) -> list[Any]:
    """A row with every text cell that starts like a formula neutralised (for the CSVs)."""
    return [neutral(value) for value in row]


class Cells:
    """One export's cells: its own pseudonym key, and caches that live as long as it does."""

    def __init__(self, deployment: Deployment) -> None:
        self.zone = ZoneInfo(deployment.deployment.timezone)
        self.kommun = {s.id: s.kommun for s in deployment.stations}
        self.names = {s.id: s.name for s in deployment.stations}
        self.key = secrets.token_bytes(32)  # per export: hashes cannot be joined across exports
        # Keyed BLAKE2b is a MAC in its own right; the keyed state is copied for each resident.
        self._mac = hashlib.blake2b(key=self.key, digest_size=8)
        # A million rows make these the hot path. The caches stay small: one entry per hour of
        # case history, per distinct set of times of day, per resident (up to a bound).
        self._hours: dict[str, tuple[str, str] | None] = {}
        self._moments: dict[str, str | None] = {}
        self._times: dict[str, str] = {}
        self._pseudonyms: dict[int, str] = {}
        self._pseudonym_bound = PSEUDONYM_CACHE
        self.processes = 1

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

    def moment(self, iso: str | None) -> str | None:
        """A stored UTC time as it is shown: local, to the minute, '2026-10-03 21:15'."""
        if not iso:
            return None
        if len(iso) == 25 and iso[19:] == "+00:00" and iso[13:19] in _MINUTES_SECONDS:
            hour = iso[:13]
            try:
                prefix = self._moments[hour]
            except KeyError:
                parts = self._hours.get(hour) or self._local_hour(hour)
                prefix = self._moments[hour] = None if parts is None else parts[0]
            if prefix is not None:  # YYYY-MM-DDTHH
                return f"{prefix[:10]} {prefix[11:]}{iso[13:16]}"
        local = self.local(iso)
        return None if local is None else f"{local[:10]} {local[11:16]}"

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
        """The resident's keyed hash (BLAKE2b under this export's key), 16 hex digits."""
        if resident_id is None:
            return None
        known = self._pseudonyms.get(resident_id)
        if known is None:
            mac = self._mac.copy()  # the keyed state is set up once per export, not per row
            mac.update(str(resident_id).encode())
            known = mac.hexdigest()
            if len(self._pseudonyms) >= self._pseudonym_bound:
                self._pseudonyms.clear()  # bounded memory: start afresh rather than grow
            self._pseudonyms[resident_id] = known
        return known

    def row(self, case: Sequence[Any], batch: Batch) -> list[Any]:
        """One case (a row of storage.export.CASES_SQL) as export cells, in COLUMNS order."""
        (case_id, reference, kind, station_id, category, status, created_at, acknowledged_at,
         resolved_at, times, lat, lon, place_text, description, commitment_id, language,
         resident_id) = case  # fmt: skip
        return [
            reference,
            kind,
            self.names.get(station_id, station_id),
            self.kommun.get(station_id),
            category,
            status,
            self.local(created_at),
            self.local(acknowledged_at),
            self.local(resolved_at),
            self.times_of_day(times),
            lat,
            lon,
            place_text,
            description,
            batch.photos.get(case_id, 0),
            batch.supporters.get(case_id, 0),
            commitment_id,
            batch.actors.get(case_id),
            language,
            self.pseudonym(resident_id),
        ]

    def rows(
        self,
        database: Path,
        filters: Filters,
        first_id: int | None = None,
        stop_id: int | None = None,
    ) -> Iterator[list[Any]]:
        """Every matching case as export cells (first_id <= id < stop_id when given)."""
        for batch in batches(database, filters, first_id, stop_id):
            for case in batch.cases:
                yield self.row(case, batch)

    def csv_chunks(
        self,
        database: Path,
        filters: Filters,
        first_id: int | None = None,
        stop_id: int | None = None,
    ) -> Iterator[tuple[str, int]]:
        """CSV records for the matching cases, a batch at a time: (text, number of rows).

        The same cells as `rows`, but a million rows make the generic path (a list per row,
        a type check per cell) most of an export's time, so the cells are joined straight
        from the row. Only the free-text cells (place, description), the station names and
        the times of day may need quoting or neutralising, and are made cell by cell (the
        names and times once per export). The other cells are ids, codes, times and numbers
        that never do: a batch where one does after all (see `_plain`) takes the generic path,
        row by row.
        """
        local, pseudonym, known = self.local, self.pseudonym, self._pseudonyms
        times_cells: dict[str, str] = {}
        stations = {s: (_text_cell(self.names[s]), _text_cell(self.kommun[s])) for s in self.names}
        for batch in batches(database, filters, first_id, stop_id):
            if not _plain(batch):
                text = "".join(
                    csv_record(neutral_row(self.row(case, batch))) for case in batch.cases
                )
                yield text, len(batch.cases)
                continue
            # Most cases have no photo and no supporter: their cells come from the default.
            photos = {case: str(n) for case, n in batch.photos.items()}.get
            supporters = {case: str(n) for case, n in batch.supporters.items()}.get
            actors = batch.actors.get
            records = []
            for (
                case_id,
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
                commitment_id,
                language,
                resident_id,
            ) in batch.cases:
                name, municipality = stations.get(station_id) or (_text_cell(station_id), "")
                times_cell = times_cells.get(times or "")
                if times_cell is None:
                    times_cell = _text_cell(self.times_of_day(times))
                    if len(times_cells) < 4096:
                        times_cells[times or ""] = times_cell
                if resident_id is None:
                    resident = ""
                else:
                    resident = known.get(resident_id) or pseudonym(resident_id) or ""
                records.append(
                    ",".join(
                        (
                            reference,
                            kind,
                            name,
                            municipality,
                            category or "",
                            status,
                            local(created_at) or "",
                            local(acknowledged_at) or "" if acknowledged_at else "",
                            local(resolved_at) or "" if resolved_at else "",
                            times_cell,
                            "" if lat is None else repr(lat),
                            "" if lon is None else repr(lon),
                            _text_cell(place_text) if place_text else "",
                            _text_cell(description) if description else "",
                            photos(case_id, "0"),
                            supporters(case_id, "0"),
                            commitment_id or "",
                            actors(case_id) or "",
                            language or "",
                            resident,
                        )
                    )
                )
            records.append("")
            yield "\r\n".join(records), len(batch.cases)

    def json_chunks(
        self,
        database: Path,
        filters: Filters,
        first_id: int | None = None,
        stop_id: int | None = None,
        array: bool = False,
    ) -> Iterator[tuple[str, int]]:
        """JSON objects for the matching cases, one a line, a batch at a time: each followed
        by a line break (NDJSON); with `array`, the objects of a JSON array, separated by
        ",\n" within the batch (the writer puts the separator between batches)."""
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        for batch in batches(database, filters, first_id, stop_id):
            lines = [
                dumps(dict(zip(COLUMNS, self.row(case, batch), strict=True)))
                for case in batch.cases
            ]
            if array:
                yield _one_per_line(",\n".join(lines)), len(batch.cases)
                continue
            lines.append("")
            yield _one_per_line("\n".join(lines)), len(batch.cases)


_PLAIN_COLUMNS = tuple(map(operator.itemgetter, (1, 2, 4, 5, 14, 15)))


def _plain(batch: Batch, delimiter: str = ",") -> bool:
    """Whether the batch's id and code cells (reference, kind, category, status, linked
    commitment, language, routed actors) are all CSV cells as they are (see `plain_codes`)."""
    columns = [map(get, batch.cases) for get in _PLAIN_COLUMNS]
    return all(plain_codes(values, delimiter) for values in (*columns, batch.actors.values()))


def plain_codes(values: Iterable[str | None], delimiter: str) -> bool:
    """Whether stored codes (one column of a batch) are all CSV cells as they are: nothing to
    quote (the delimiter, a quote, a line break), none that starts like a formula. What the
    intake writes always is; checked over the column joined, a few scans at C speed (a '|' in
    a code can only make it say no, and send the batch the generic way)."""
    text = "|" + "|".join(filter(None, values))
    if delimiter in text or '"' in text or "\n" in text or "\r" in text:
        return False
    return not any(mark in text for mark in _FORMULA_MARKS)


def _one_per_line(text: str) -> str:
    """JSON lines with the line breaks JSON leaves raw (U+0085, U+2028, U+2029) escaped, so
    that a reader splitting lines at any of them still gets one case a line."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        text = text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028")
        text = text.replace("\u2029", "\\u2029")
    return text


def _cell(value: str | None, delimiter: str = ",") -> str:
    """A text cell as CSV writes it: quoted when it holds the delimiter, a quote or a line
    break."""
    if value is None:
        return ""
    if '"' in value or delimiter in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _text_cell(value: str | None, delimiter: str = ",") -> str:
    """A resident's free text as a CSV cell: neutralised when it starts like a formula."""
    if value is not None and value.startswith(_FORMULA_START):
        value = "'" + value
    return _cell(value, delimiter)
