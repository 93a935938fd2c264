"""Writing an export file: CSV, JSON and JSON lines streamed (in several processes when big),
XLSX.

The formats, and their forms ("form" below: what one run writes):
- csv, dialect excel-sv (the default): for Swedish Excel, see excel.py ("csv");
- csv, dialect rfc4180: commas, codes, ISO times, English column names ("rfc4180");
- json: one JSON document, an object with the export's metadata and its "rows" ("json");
- ndjson: one JSON object a line ("ndjson").
JSON and NDJSON keep the codes and ISO times: they are for programs.
"""

from __future__ import annotations

import datetime as dt
import errno
import itertools
import json
import multiprocessing
import os
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.domain.deployment import Deployment
from bot.i18n import SOURCE_LANGUAGE, Catalogs
from bot.services.export.atomic import (
    ExportStopped,
    new_partial,
    put_new,
    signals_stop,
    umask,
)
from bot.services.export.cells import (
    COLUMNS,
    DIALECTS,
    FORMATS,
    PSEUDONYM_CACHE,
    Cells,
    csv_record,
)
from bot.services.export.excel import excel_chunks, excel_header
from bot.services.export.geojson import write_geojson
from bot.services.export.labels import Labels
from bot.services.export.xlsx import write_xlsx
from storage.export import Filters, count, split

PARALLEL_MIN_ROWS = 100_000  # below this, a second process costs more than it saves
ROW_SEPARATOR = ",\n"  # between the row objects of a JSON document, one a line


def default_jobs() -> int:
    """Processes for a big CLI export: two where there are two cores or more."""
    return min(2, os.cpu_count() or 1)


class Exporter(Cells):
    """One export, written to a file: the cells of `Cells`, in the format asked for.

    The forms for people (CSV for Swedish Excel, XLSX) are labelled in `lang` from
    `catalogs` (loaded for `lang` when not given): `labels`.
    """

    def __init__(
        self,
        deployment: Deployment,
        catalogs: Catalogs | None = None,
        lang: str = SOURCE_LANGUAGE,
    ) -> None:
        super().__init__(deployment)
        self.deployment = deployment
        self.catalogs = catalogs
        self.lang = lang
        self._labels: Labels | None = None

    @property
    def labels(self) -> Labels:
        if self._labels is None:
            self._labels = Labels(self.deployment, self.catalogs, self.lang)
        return self._labels

    def write(
        self,
        fmt: str,
        database: Path,
        out: Path | int,
        filters: Filters,
        progress: Callable[[int], None] | None = None,
        jobs: int = 1,
        dialect: str = DIALECTS[0],
        replace: bool = True,
    ) -> int:
        """Write the export; returns the number of rows. `dialect` is CSV's form.

        CSV and JSON with `jobs` > 1 split the cases into that many runs of ids, written at
        the same time by forked processes, then joined in order: a big export then uses the
        machine's cores. Each process keeps its own share of the pseudonym cache, and the key
        is the same in all of them. It forks only when called from the main thread, the CLI's:
        `/export` in the bot runs in a worker thread beside the event loop, where a fork is not
        safe, so it runs in one process. (Counting threads instead would race: the CLI's
        database thread from the migration check may still be ending.) `processes` tells
        afterwards how many processes wrote it.

        Every format is written to a new hidden file (`.trygg-export-XXXXXXXX.partial`, mode
        0600 while it is written) in the folder of the file `out` names (a symlink's target),
        which is renamed to it once complete, with the mode the file has (or a new file would
        get): an export stopped half-way (Ctrl-C, SIGTERM, a full disk, a failure) leaves
        neither a truncated file nor its parts, and a file already there stays as it was. A
        file this user may not write is refused (PermissionError). When `out` is not a
        regular file (a device, a FIFO, a folder) it is written to directly, as a stream.
        Stopped by a signal before the rename, it raises ExportStopped; once renamed, the
        export is complete and returns. With `replace` false, a file at `out` is never
        replaced, not even one that appeared while the export was written: FileExistsError.

        `out` as a number is an open file descriptor (the CLI's stdout, /dev/fd/N): written
        into where it stands, as a stream, in one process; it stays open.
        """
        self.processes = 1
        if isinstance(out, int):
            return self._write_stream(fmt, database, out, filters, progress, dialect)
        with signals_stop() as stop:
            target = Path(os.path.realpath(out))
            try:
                mode: int | None = os.stat(target).st_mode
            except FileNotFoundError:
                mode = None
            if mode is not None and not stat.S_ISREG(mode):  # a stream: no rename over it
                return self._write(fmt, database, out, filters, progress, 1, dialect)
            if mode is not None and not replace:
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(out))
            if mode is not None and not os.access(target, os.W_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(out))
            created: list[Path] = []
            try:
                partial = new_partial(target.parent, created)
                written = self._write(fmt, database, partial, filters, progress, jobs, dialect)
                if mode is None:
                    os.chmod(partial, 0o666 & ~umask())
                else:
                    shutil.copymode(target, partial)
                stop.committing = True  # from here a signal no longer stops the export
                if stop.signum is not None:  # one came while a finaliser ran, and was lost
                    raise ExportStopped(stop.signum)
                if replace:
                    os.replace(partial, target)
                else:  # FileExistsError if one appeared meanwhile: it stays as it is
                    put_new(partial, target)
            except BaseException as exc:
                for path in created:
                    path.unlink(missing_ok=True)
                if isinstance(exc, KeyboardInterrupt) and not isinstance(exc, ExportStopped):
                    raise ExportStopped(signal.SIGINT) from None
                raise
        return written

    def _write_stream(
        self,
        fmt: str,
        database: Path,
        fd: int,
        filters: Filters,
        progress: Callable[[int], None] | None,
        dialect: str,
    ) -> int:
        """Into the open file descriptor `fd`: CSV and JSON streamed; XLSX and GeoJSON, whose
        writers take a path, through a temporary file."""
        if fmt not in ("xlsx", "geojson"):
            return self._write(fmt, database, fd, filters, progress, 1, dialect)
        with tempfile.TemporaryDirectory(prefix="trygg-export-") as folder:
            whole = Path(folder) / f"export.{fmt}"
            written = self._write(fmt, database, whole, filters, progress, 1, dialect)
            with whole.open("rb") as handle, open(os.dup(fd), "wb") as stream:
                shutil.copyfileobj(handle, stream, 1 << 20)
        return written

    def _write(
        self,
        fmt: str,
        database: Path,
        out: Path | int,
        filters: Filters,
        progress: Callable[[int], None] | None,
        jobs: int,
        dialect: str,
    ) -> int:
        if fmt in ("xlsx", "geojson") and isinstance(out, Path):  # by xlsx.py, geojson.py
            write = write_xlsx if fmt == "xlsx" else write_geojson
            return write(self, self.labels, database, out, filters, progress)
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        if dialect not in DIALECTS:
            raise ValueError(f"unknown CSV dialect {dialect!r}")
        form = ("csv" if dialect == "excel-sv" else "rfc4180") if fmt == "csv" else fmt
        header, footer = self._frame(form, filters)
        if (
            jobs > 1
            and isinstance(out, Path)
            and threading.current_thread() is threading.main_thread()
        ):
            total = count(database, filters)
            if total >= PARALLEL_MIN_ROWS:
                cuts = split(database, filters, jobs, total)
                written = self._write_parts(form, database, out, filters, progress, cuts, header)
                with out.open("a", newline="", encoding="utf-8") as handle:
                    handle.write(footer)
                return written
        # The footer in the same open: a FIFO's reader stops at the first close.
        written = self._write_run(
            form, database, out, filters, None, None, header, progress, footer
        )
        if progress:
            progress(written)
        return written

    def _frame(self, form: str, filters: Filters) -> tuple[str, str]:
        """What comes before the rows (the BOM and headings once; JSON's metadata) and after."""
        if form == "csv":
            return excel_header(self.labels), ""
        if form == "rfc4180":
            return csv_record(COLUMNS), ""
        if form == "json":
            meta = {
                "exported": dt.datetime.now(self.zone).isoformat(timespec="seconds"),
                "timezone": str(self.zone),
                "filters": {k: v for k, v in vars(filters).items() if v is not None},
                "columns": list(COLUMNS),
            }
            head = json.dumps(meta, ensure_ascii=False)[:-1]  # without its closing brace
            return f'{head}, "rows": [\n', "\n]}\n"
        return "", ""

    def _write_run(
        self,
        form: str,
        database: Path,
        out: Path | int,
        filters: Filters,
        first_id: int | None,
        stop_id: int | None,
        header: str,
        progress: Callable[[int], None] | None,
        footer: str = "",
    ) -> int:
        if form == "csv":
            chunks = excel_chunks(self, self.labels, database, filters, first_id, stop_id)
        elif form == "rfc4180":
            chunks = self.csv_chunks(database, filters, first_id, stop_id)
        else:  # a JSON document's rows, or JSON lines
            chunks = self.json_chunks(database, filters, first_id, stop_id, form == "json")
        written = 0
        # An open descriptor is written where it stands (no truncation): a copy of it is closed.
        opened = out if isinstance(out, Path) else os.dup(out)
        with open(opened, "w", newline="", encoding="utf-8") as handle:
            handle.write(header)
            for text, rows in chunks:
                if form == "json" and written and rows:
                    handle.write(ROW_SEPARATOR)  # between a JSON array's objects
                handle.write(text)
                written += rows
                if progress:
                    progress(written)
            handle.write(footer)
        return written

    def _write_parts(
        self,
        form: str,
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
        parts = [out.with_name(f"{out.name}.part{n}") for n in range(len(runs))]  # hidden: out is
        self._pseudonym_bound = PSEUDONYM_CACHE // len(runs)
        workers = []
        try:
            for n, (first_id, stop_id) in enumerate(runs[1:], start=1):
                receive, send = context.Pipe(duplex=False)
                worker = context.Process(
                    target=self._part,
                    args=(form, database, parts[n], filters, first_id, stop_id, done, n, send),
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
            self._write_run(form, database, out, filters, first_id, stop_id, header, tick)
            for worker, receive in workers:
                try:
                    failure = receive.recv()
                except EOFError:  # died without a word: the exit code tells
                    failure = ""
                worker.join()
                if failure or worker.exitcode != 0:
                    raise RuntimeError(failure or f"export worker exit code {worker.exitcode}")
            with out.open("ab") as joined:
                for n, part in enumerate(parts[1:], start=1):
                    if form == "json" and done[n] and sum(done[:n]):
                        joined.write(ROW_SEPARATOR.encode())
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
        form: str,
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
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's ExportStopped
        parent = os.getppid()

        def tick(rows: int) -> None:
            done[n] = rows
            if os.getppid() != parent:
                raise _Orphaned

        try:
            self._write_run(form, database, part, filters, first_id, stop_id, "", tick)
        except _Orphaned:
            part.unlink(missing_ok=True)
            raise SystemExit(1) from None
        except Exception as exc:  # to the parent as one line, then exit 1
            report.send(f"{type(exc).__name__}: {exc}")
            raise SystemExit(1) from None
        report.send("")


class _Orphaned(Exception):
    """An export worker's parent is gone."""
