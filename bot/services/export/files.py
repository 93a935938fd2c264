"""Writing an export file: CSV and JSON lines streamed (in several processes when big), XLSX."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import shutil
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.domain.text import xml_safe
from bot.services.export.cells import COLUMNS, FORMATS, PSEUDONYM_CACHE, Cells, csv_record
from storage.export import Filters, count, split

PARALLEL_MIN_ROWS = 100_000  # below this, a second process costs more than it saves


def default_jobs() -> int:
    """Processes for a big CLI export: two where there are two cores or more."""
    return min(2, os.cpu_count() or 1)


class Exporter(Cells):
    """One export, written to a file: the cells of `Cells`, in the format asked for."""

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
