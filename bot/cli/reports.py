"""Report commands: export (cases to CSV, JSON, NDJSON or XLSX) and stats (counts, times, a
chart)."""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import html
import os
import re
import stat
import sys
import unicodedata
from pathlib import Path
from typing import TextIO

from bot.cli.context import CliError, Context
from bot.cli.stations import one_station, some_stations
from storage import Database


def _date(ctx: Context, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(ctx.say("stats.cli.bad_date", value=value)) from None


def _day(ctx: Context, value: str | None, zone: str) -> str | None:
    """YYYY-MM-DD (local midnight) to the ISO UTC form stored in the database."""
    from bot.domain.stats import local_midnight_utc

    return local_midnight_utc(_date(ctx, value), zone)


def _in_order(ctx: Context, since: dt.date | None, until: dt.date | None) -> None:
    """--until is the first day left out: a period needs --since before it."""
    if since is not None and until is not None and since >= until:
        raise CliError(
            ctx.say("cli.dates_reversed", since=since.isoformat(), until=until.isoformat())
        )


def _status(ctx: Context, value: str | None) -> str | None:
    """A status code from its code or its label ('resolved', 'åtgärdad', 'Åtgärdad'), in the
    deployment's language or Swedish; anything else is refused with the valid values."""
    from bot.domain.lifecycle import Status

    if value is None:
        return None
    lang = ctx.deployment.deployment.default_language

    def label(code: Status, in_lang: str = lang) -> str:
        return ctx.catalogs.text(in_lang, f"status.{code.value}")

    def key(text: str) -> str:  # "Kan  inte åtgärdas", NFD "åtgärdad" from a Mac: as typed
        folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
        return " ".join(folded.split())

    wanted = key(value)
    found = [
        code
        for code in Status
        if wanted in {key(code.value), key(label(code)), key(label(code, "sv"))}
    ]
    if len(found) == 1:
        return found[0].value
    if found:
        among = ", ".join(f"{code.value} ({label(code)})" for code in found)
        raise CliError(ctx.say("cli.ambiguous_status", value=value, among=among))
    valid = ", ".join(f"{code.value} ({label(code)})" for code in Status)
    raise CliError(ctx.say("cli.bad_status", value=value, valid=valid))


def _plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


#: `--out` names an open file descriptor: `-`, /dev/stdout, /dev/stderr, /dev/fd/N or
#: /proc/self/fd/N.
_DESCRIPTOR = re.compile(r"(?:-|/dev/(?P<std>stdout|stderr)|/(?:dev|proc/self)/fd/(?P<fd>\d+))")


def _descriptor(out: str) -> int | None:
    """The open file descriptor `out` names, or None for a path. The export is written into
    it where it stands (a pipe, a terminal, a file the shell opened with > or >>), never
    renamed over what it points to."""
    named = _DESCRIPTOR.fullmatch(out)
    if named is None:
        return None
    if named["fd"] is not None:
        return int(named["fd"])
    return 2 if named["std"] == "stderr" else 1


def _existing_file(out: Path) -> bool:
    """A regular file is at `out` (or where its symlink points): an export would replace it.
    A stream (a device, a FIFO) is written into, never replaced."""
    try:
        return stat.S_ISREG(os.stat(out).st_mode)
    except (OSError, ValueError):  # missing, or a path the write will refuse in its own words
        return False


def cmd_export(ctx: Context) -> int:
    """Stream the cases to CSV (for Swedish Excel, or RFC 4180), JSON, NDJSON or XLSX."""
    from bot.services.export import DIALECTS, Exporter, ExportStopped, TooManyRows
    from storage.audit import AuditRepository
    from storage.export import Filters, count

    args = ctx.args
    settings = ctx.settings
    deployment = ctx.deployment
    zone = deployment.deployment.timezone
    station = one_station(ctx, args.station) if args.station is not None else None
    out = Path(args.out)
    fd = _descriptor(args.out)
    if fd is None and not args.force and _existing_file(out):
        raise CliError(ctx.say("cli.export_exists", path=str(out)))
    if fd is not None:
        try:
            os.fstat(fd)
        except OSError as exc:
            raise CliError(ctx.say("cli.write_failed", path=args.out, error=exc.strerror)) from None
    if args.dialect is not None and args.format != "csv":
        raise CliError(ctx.say("cli.dialect_csv_only", format=args.format))
    dialect = args.dialect or DIALECTS[0]
    status = _status(ctx, args.status)
    _in_order(ctx, _date(ctx, args.since), _date(ctx, args.until))
    since, until = (_day(ctx, value, zone) for value in (args.since, args.until))
    filters = Filters(station, args.kind, status, since, until)
    asyncio.run(ctx.migrate())
    total = count(settings.database, filters)
    tty = sys.stderr.isatty()

    def progress(done: int) -> None:
        if tty:
            line = ctx.say("cli.export_progress", done=done, total=total)
            print(f"\r{line}", end="", file=sys.stderr, flush=True)

    if fd == 1:
        sys.stdout.flush()  # what was printed before comes before the export
    try:
        written = Exporter(deployment, ctx.catalogs).write(
            args.format,
            settings.database,
            out if fd is None else fd,
            filters,
            progress,
            args.jobs,
            dialect,
            replace=args.force,
        )
    except FileExistsError:  # it appeared while the export was written: left as it is
        raise CliError(ctx.say("cli.export_exists", path=str(out))) from None
    except (OSError, RuntimeError) as exc:  # an OSError's strerror: not the hidden file's name
        error = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
        raise CliError(ctx.say("cli.write_failed", path=str(out), error=error)) from None
    except TooManyRows as many:
        raise CliError(ctx.say("cli.xlsx_too_many", rows=many.rows)) from None
    except ExportStopped as stopped:  # Ctrl-C or SIGTERM: the file at `out` is untouched
        stop = ctx.say("cli.export_stopped", path=str(out))
        print(f"\n{stop}" if tty else stop, file=sys.stderr)
        return 128 + stopped.signum
    if tty:
        print(file=sys.stderr)

    async def audit(db: Database) -> None:
        details = {
            "format": args.format,
            **({"dialect": dialect} if args.format == "csv" else {}),
            "rows": written,
            "out": str(out),
            **{k: v for k, v in vars(filters).items() if v is not None},
        }
        await AuditRepository(db).log(f"cli:{getpass.getuser()}", "export", details)

    ctx.with_database(audit)
    # Exported to stdout: the line goes to stderr, off the data.
    print(ctx.say("cli.export_done", rows=written, path=str(out)), file=_beside(fd))
    return 0


def _beside(fd: int | None) -> TextIO:
    """Where to say what was exported to `fd`: stderr when the data went to stdout."""
    return sys.stderr if fd == 1 else sys.stdout


def cmd_stats(ctx: Context) -> int:
    """Counts per station × category × status, response times, and a weekly PNG chart."""
    from bot.domain.stats import Period, named_period
    from bot.services.stats import Statistics
    from bot.services.trygghet import Trygghet
    from bot.services.trygghet_text import TrygghetText
    from storage.pulse import PulseRepository
    from storage.stats import StatsRepository

    args = ctx.args
    deployment = ctx.deployment
    lang = deployment.deployment.default_language  # operators read the deployment's language

    def t(key: str, **params: object) -> str:
        return _plain(ctx.catalogs.text(lang, key, **params))

    def day(value: str | None) -> dt.date | None:
        try:
            return None if value is None else dt.date.fromisoformat(value)
        except ValueError:
            raise CliError(t("stats.cli.bad_date", value=value)) from None

    stations = some_stations(ctx, args.station) if args.station is not None else None
    since, until = day(args.since), day(args.until)
    _in_order(ctx, since, until)
    asyncio.run(ctx.migrate())

    async def compute(db: Database) -> tuple[list[str], bytes | None]:
        stats = Statistics(deployment, ctx.catalogs, StatsRepository(db))
        if since or until:
            period = Period(since, until)
        else:
            period = named_period(args.period, stats.today())
        report = await stats.report(period, stations)
        chart = stats.chart(report) if args.chart else None
        # The complete months of the period asked for (else the last three complete months).
        trygghet_data = Trygghet(deployment, PulseRepository(db))
        overview = await trygghet_data.overview(stations, since, until)
        trygghet = TrygghetText(deployment, ctx.catalogs, lang).lines(overview)
        return [*stats.terminal(report), "", *(_plain(line) for line in trygghet)], chart

    lines, chart = ctx.with_database(compute)
    for line in lines:
        print(line)
    if chart is not None:
        out = Path(args.chart)
        try:
            out.write_bytes(chart)
        except OSError as exc:
            failed = t("stats.cli.chart_failed", path=out, error=exc.strerror or exc)
            raise CliError(failed) from None
        print(t("stats.cli.chart", path=out))
    return 0
