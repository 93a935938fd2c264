"""Report commands: export (cases to CSV, JSON, NDJSON or XLSX) and stats (counts, times, a
chart)."""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import html
import re
import sys
from pathlib import Path

from bot.cli.context import CliError, Context
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


def _plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def cmd_export(ctx: Context) -> int:
    """Stream the cases to CSV (for Swedish Excel, or RFC 4180), JSON, NDJSON or XLSX."""
    from bot.services.export import DIALECTS, Exporter
    from storage.audit import AuditRepository
    from storage.export import Filters, count

    args = ctx.args
    settings = ctx.settings
    deployment = ctx.deployment
    zone = deployment.deployment.timezone
    known = sorted(s.id for s in deployment.stations)
    if args.station and args.station not in known:
        raise CliError(
            ctx.say("stats.cli.unknown_station", stations=args.station, known=", ".join(known))
        )
    if args.dialect is not None and args.format != "csv":
        raise CliError(ctx.say("cli.dialect_csv_only", format=args.format))
    dialect = args.dialect or DIALECTS[0]
    since, until = (_day(ctx, value, zone) for value in (args.since, args.until))
    filters = Filters(args.station, args.kind, args.status, since, until)
    asyncio.run(ctx.migrate())
    out = Path(args.out)
    total = count(settings.database, filters)
    tty = sys.stderr.isatty()

    def progress(done: int) -> None:
        if tty:
            line = ctx.say("cli.export_progress", done=done, total=total)
            print(f"\r{line}", end="", file=sys.stderr, flush=True)

    try:
        written = Exporter(deployment, ctx.catalogs).write(
            args.format, settings.database, out, filters, progress, args.jobs, dialect
        )
    except (OSError, RuntimeError) as exc:
        raise CliError(ctx.say("cli.write_failed", path=str(out), error=str(exc))) from None
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
    print(ctx.say("cli.export_done", rows=written, path=str(out)))
    return 0


def cmd_stats(ctx: Context) -> int:
    """Counts per station × category × status, response times, and a weekly PNG chart."""
    from bot.domain.stats import Period, named_period
    from bot.services.stats import Statistics
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

    known = {s.id for s in deployment.stations}
    stations = [s for s in (args.station or "").split(",") if s] or None
    bad = sorted(set(stations or []) - known)
    if bad:
        raise CliError(
            t("stats.cli.unknown_station", stations=", ".join(bad), known=", ".join(sorted(known)))
        )
    since, until = day(args.since), day(args.until)
    asyncio.run(ctx.migrate())

    async def compute(db: Database) -> tuple[list[str], bytes | None]:
        stats = Statistics(deployment, ctx.catalogs, StatsRepository(db))
        if since or until:
            period = Period(since, until)
        else:
            period = named_period(args.period, stats.today())
        report = await stats.report(period, stations)
        chart = stats.chart(report) if args.chart else None
        return stats.terminal(report), chart

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
