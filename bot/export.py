"""Exports of the collected feedback: CSV, newline-delimited JSON and XLSX, streamed.

Pseudonymised: no Telegram ids or names; a keyed hash, new for every export, groups one
resident's rows. Cells a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import multiprocessing
import operator
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment
from bot.domain.text import xml_safe
from storage.export import Batch, Filters, batches, count, split

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
PSEUDONYM_CACHE = 20_000  # residents remembered per export (about 4 MB), shared by its processes
PARALLEL_MIN_ROWS = 100_000  # below this, a second process costs more than it saves


def default_jobs() -> int:
    """Processes for a big CLI export: two where there are two cores or more."""
    return min(2, os.cpu_count() or 1)


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
        line = ",".join([_cell(cell) for cell in cells])
    elif line.count(",") != len(cells) - 1:  # only commas to quote
        line = ",".join([f'"{cell}"' if "," in cell else cell for cell in cells])
    return line + "\r\n"


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
        # Keyed BLAKE2b is a MAC in its own right; the keyed state is copied for each resident.
        self._mac = hashlib.blake2b(key=self.key, digest_size=8)
        # A million rows make these the hot path. The caches stay small: one entry per hour of
        # case history, per distinct set of times of day, per resident (up to a bound).
        self._hours: dict[str, tuple[str, str] | None] = {}
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
            neutral(place_text),
            neutral(description),
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
        from the row. Only the free-text cells (place, description) and the station names
        may need quoting, and are quoted cell by cell. The other cells are ids, codes, times
        and numbers that never do: a batch where one does after all (see `_plain`) takes the
        generic path, row by row.
        """
        local, pseudonym, known = self.local, self.pseudonym, self._pseudonyms
        times_cells: dict[str, str] = {}
        stations = {s: (_cell(self.names[s]), _cell(self.kommun[s])) for s in self.names}
        for batch in batches(database, filters, first_id, stop_id):
            if not _plain(batch):
                text = "".join(csv_record(self.row(case, batch)) for case in batch.cases)
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
                name, municipality = stations.get(station_id) or (_cell(station_id), "")
                times_cell = times_cells.get(times or "")
                if times_cell is None:
                    times_cell = _cell(self.times_of_day(times))
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
    ) -> Iterator[tuple[str, int]]:
        """Newline-delimited JSON objects for the matching cases, a batch at a time."""
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        for batch in batches(database, filters, first_id, stop_id):
            lines = [
                dumps(dict(zip(COLUMNS, self.row(case, batch), strict=True)))
                for case in batch.cases
            ]
            lines.append("")
            yield _one_per_line("\n".join(lines)), len(batch.cases)

    def write(
        self,
        fmt: str,
        database: Path,
        out: Path,
        filters: Filters,
        progress: Callable[[int], None] | None = None,
        jobs: int = 1,
    ) -> int:
        """Write the export; returns the number of rows.

        CSV and JSON with `jobs` > 1 split the cases into that many runs of ids, written at
        the same time by forked processes, then joined in order: a big export then uses the
        machine's cores. Each process keeps its own share of the pseudonym cache, and the key
        is the same in all of them. It forks only when called from the main thread, the CLI's:
        `/export` in the bot runs in a worker thread beside the event loop, where a fork is not
        safe, so it runs in one process. (Counting threads instead would race: the CLI's
        database thread from the migration check may still be ending.) `processes` tells
        afterwards how many processes wrote it.
        """
        self.processes = 1
        if fmt == "xlsx":
            return self._write_xlsx(database, out, filters, progress)
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        header = csv_record(COLUMNS) if fmt == "csv" else ""
        if jobs > 1 and threading.current_thread() is threading.main_thread():
            total = count(database, filters)
            if total >= PARALLEL_MIN_ROWS:
                cuts = split(database, filters, jobs, total)
                return self._write_parts(fmt, database, out, filters, progress, cuts, header)
        written = self._write_run(fmt, database, out, filters, None, None, header, progress)
        if progress:
            progress(written)
        return written

    def _write_run(
        self,
        fmt: str,
        database: Path,
        out: Path,
        filters: Filters,
        first_id: int | None,
        stop_id: int | None,
        header: str,
        progress: Callable[[int], None] | None,
    ) -> int:
        chunks = self.csv_chunks if fmt == "csv" else self.json_chunks
        written = 0
        with out.open("w", newline="", encoding="utf-8") as handle:
            handle.write(header)
            for text, rows in chunks(database, filters, first_id, stop_id):
                handle.write(text)
                written += rows
                if progress:
                    progress(written)
        return written

    def _write_parts(
        self,
        fmt: str,
        database: Path,
        out: Path,
        filters: Filters,
        progress: Callable[[int], None] | None,
        cuts: list[int | None],
        header: str,
    ) -> int:
        runs = list(itertools.pairwise(cuts))
        self.processes = len(runs)
        context = multiprocessing.get_context("fork")
        done = context.Array("q", len(runs), lock=False)  # rows written, per run
        parts = [out.with_name(f".{out.name}.part{n}") for n in range(len(runs))]
        self._pseudonym_bound = PSEUDONYM_CACHE // len(runs)
        workers = []
        try:
            for n, (first_id, stop_id) in enumerate(runs[1:], start=1):
                receive, send = context.Pipe(duplex=False)
                worker = context.Process(
                    target=self._part,
                    args=(fmt, database, parts[n], filters, first_id, stop_id, done, n, send),
                    daemon=True,
                )
                worker.start()
                send.close()
                workers.append((worker, receive))

            def tick(rows: int) -> None:
                done[0] = rows
                if progress:
                    progress(sum(done))

            first_id, stop_id = runs[0]
            self._write_run(fmt, database, out, filters, first_id, stop_id, header, tick)
            for worker, receive in workers:
                try:
                    failure = receive.recv()
                except EOFError:  # died without a word: the exit code tells
                    failure = ""
                worker.join()
                if failure or worker.exitcode != 0:
                    raise RuntimeError(failure or f"export worker exit code {worker.exitcode}")
            with out.open("ab") as joined:
                for part in parts[1:]:
                    with part.open("rb") as handle:
                        shutil.copyfileobj(handle, joined, 1 << 20)
        finally:
            for worker, _ in workers:
                if worker.is_alive():
                    worker.kill()
                    worker.join()
            for part in parts[1:]:
                part.unlink(missing_ok=True)
        if progress:
            progress(sum(done))
        return sum(done)

    def _part(
        self,
        fmt: str,
        database: Path,
        part: Path,
        filters: Filters,
        first_id: int | None,
        stop_id: int | None,
        done: Any,
        n: int,
        report: Any,
    ) -> None:
        """In a worker process: write one run of ids; a failure goes back as one line.

        Ctrl-C is the parent's to handle (it stops the workers); a worker whose parent is
        gone (killed) stops at its next batch rather than write on for nobody.
        """
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        parent = os.getppid()

        def tick(rows: int) -> None:
            done[n] = rows
            if os.getppid() != parent:
                raise _Orphaned

        try:
            self._write_run(fmt, database, part, filters, first_id, stop_id, "", tick)
        except _Orphaned:
            part.unlink(missing_ok=True)
            raise SystemExit(1) from None
        except Exception as exc:  # to the parent as one line, then exit 1
            report.send(f"{type(exc).__name__}: {exc}")
            raise SystemExit(1) from None
        report.send("")

    def _write_xlsx(
        self,
        database: Path,
        out: Path,
        filters: Filters,
        progress: Callable[[int], None] | None,
    ) -> int:
        try:
            from openpyxl import Workbook
        except ImportError:  # the optional extra
            raise RuntimeError("XLSX needs openpyxl: pip install 'trygghetsbot[xlsx]'") from None
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Ärenden")
        sheet.append(list(COLUMNS))
        written = 0
        for row in self.rows(database, filters):
            # XML cannot hold most control characters: one in a resident's text failed it all.
            sheet.append([xml_safe(v) if isinstance(v, str) else v for v in row])
            written += 1
            if progress and written % 10_000 == 0:
                progress(written)
        book.save(out)
        if progress:
            progress(written)
        return written


class _Orphaned(Exception):
    """An export worker's parent is gone."""


_PLAIN_COLUMNS = tuple(map(operator.itemgetter, (1, 2, 4, 5, 14, 15)))


def _plain(batch: Batch) -> bool:
    """Whether the batch's id and code cells (reference, kind, category, status, linked
    commitment, language, routed actors) are all free of what CSV would have to quote. What the
    intake writes always is; checked a batch at a time, one scan per column."""
    columns = [map(get, batch.cases) for get in _PLAIN_COLUMNS]
    for values in (*columns, batch.actors.values()):
        text = "|".join(filter(None, values))
        if "," in text or '"' in text or "\n" in text or "\r" in text:
            return False
    return True


def _one_per_line(text: str) -> str:
    """JSON lines with the line breaks JSON leaves raw (U+0085, U+2028, U+2029) escaped, so
    that a reader splitting lines at any of them still gets one case a line."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        text = text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028")
        text = text.replace("\u2029", "\\u2029")
    return text


def _cell(value: str | None) -> str:
    """A text cell as CSV writes it: quoted when it holds a comma, a quote or a line break."""
    if value is None:
        return ""
    if '"' in value or "," in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _text_cell(value: str | None) -> str:
    """A resident's free text as a CSV cell: neutralised when it starts like a formula."""
    if value is not None and value.startswith(_FORMULA_START):
        value = "'" + value
    return _cell(value)
