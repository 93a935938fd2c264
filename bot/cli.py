"""The `trygghetsbot` command: run, shell, start, check-config, migrate, emulator."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.config import DeploymentError, load_deployment
from bot.domain.deployment import Deployment, Role
from bot.domain.routing import unstaffed_routes
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from storage import Database, StorageError
from storage.backup import DatabaseLock

if TYPE_CHECKING:
    from bot.context import BotApp

EXIT_USAGE = 2


class CliError(Exception):
    """A problem to report as one line (or a few) without a traceback."""


def _secrets(settings: Settings) -> list[str]:
    return [settings.bot_token.get_secret_value()] if settings.bot_token else []


async def _migrate(path: Path) -> tuple[int, list[int]]:
    db = await Database.open(path, migrate=False)
    try:
        applied = await db.migrate()
        return await db.user_version(), applied
    finally:
        await db.close()


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (call inside the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


# ---------------------------------------------------------------------- commands
def _telegram_refusals(dep: Deployment) -> list[str]:
    """What in the file Telegram would refuse (bot.domain.telegram_limits)."""
    from bot.domain.telegram_limits import telegram_refusals
    from bot.i18n import Catalogs

    catalogs = Catalogs.load(dep.deployment.languages)
    version = dep.privacy.notice_version
    headers = {
        lang: catalogs.text(lang, "privacy.header", version=version)
        for lang in dep.deployment.languages
    }
    return [str(refusal) for refusal in telegram_refusals(dep, headers)]


def cmd_check_config(args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else load_settings().deployment
    dep = load_deployment(path)
    refused = _telegram_refusals(dep)
    if refused:
        for line in refused:
            print(f"{path}: {line}", file=sys.stderr)
        print(f"{path}: Telegram would refuse {len(refused)} thing(s) above", file=sys.stderr)
        return 1
    print(f"{path}: OK: {dep.deployment.name}")
    staff_total = len(dep.staff)
    print(
        f"  {len(dep.stations)} stations, {len(dep.promises)} promises, "
        f"{dep.commitment_count()} commitments, {len(dep.actors)} actors, "
        f"{len(dep.categories)} categories, {staff_total} staff"
    )
    print("  Stations:")
    for station in dep.stations:
        staff = dep.staff_at(station.id)
        police = sum(1 for s in staff if s.role is Role.KOMMUNPOLIS)
        promises = [p.id for p in dep.promises if station.id in p.stations]
        print(
            f"    {station.code:<5} {station.name} ({station.kommun}): {len(staff)} staff "
            f"({police} kommunpolis); promises: {', '.join(promises) or 'none'}"
        )
        if not police:
            print(f"          warning: no kommunpolis at {station.name}")
    actors = {a.id: a.name for a in dep.actors}
    for station_id, actor_id in unstaffed_routes(dep):
        print(
            f"  warning: reports at {dep.station(station_id).name} go to"
            f" {actors.get(actor_id, actor_id)}, which has no staff there in this file: they"
            " reach nobody of theirs (staff linked by an invite code are not counted)"
        )
    for promise in dep.promises:
        print(
            f"  Promise {promise.id}: {promise.title} ({promise.start} – {promise.end}), "
            f"{len(promise.commitments)} commitments"
        )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = load_settings()
    path = Path(args.database) if args.database else settings.database
    version, applied = asyncio.run(_migrate(path))
    if applied:
        print(f"{path}: migrated to schema version {version} (applied {applied})")
    else:
        print(f"{path}: schema version {version}, up to date")
    return 0


def _prepare(settings: Settings) -> Deployment:
    configure_logging(settings.log_level, _secrets(settings), settings.log_format)
    return load_deployment(settings.deployment)


async def _reach(app: BotApp, settings: Settings, stop: asyncio.Event) -> bool:
    """Wait until the Bot API answers getMe, an outage logged by `bot.connection`; False if
    stopped first. A rejected token raises TokenRejectedError: one line, without the token."""
    from bot.connection import reach_bot_api

    outage = app.bot_data.outage
    reach = asyncio.ensure_future(reach_bot_api(app.bot, settings.api_base_url, outage))
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait((reach, stopped), return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not reach.done():
        reach.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reach
        await app.bot.shutdown()
        return False
    try:
        reach.result()
    except BaseException:
        await app.bot.shutdown()
        raise
    return True


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import ALLOWED_UPDATES, build_application

    settings = load_settings()
    deployment = _prepare(settings)
    app = build_application(settings, deployment)  # fails early without a token
    # Check the database before connecting to Telegram: a bad path is one clear line. The lock
    # comes first: a second bot must not migrate the schema under a running one.
    app.bot_data.lock = DatabaseLock.acquire(settings.database)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(_migrate(settings.database))

    async def reach() -> bool:
        stop = _stop_on_signals()
        try:
            return await _reach(app, settings, stop)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().remove_signal_handler(sig)

    if not loop.run_until_complete(reach()):
        return 0  # stopped while the Bot API could not be reached
    app.run_polling(
        allowed_updates=ALLOWED_UPDATES,
        bootstrap_retries=-1,  # Telegram unreachable at boot: keep trying
        stop_signals=(signal.SIGINT, signal.SIGTERM),
        close_loop=True,
    )
    return 0


def cmd_webhook(args: argparse.Namespace) -> int:
    from bot.app import build_application
    from bot.webhook import serve_webhook

    settings = load_settings()
    deployment = _prepare(settings)
    app = build_application(settings, deployment)
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise CliError(
            "Webhook mode needs TRYGG_WEBHOOK_URL (the public https URL) and "
            "TRYGG_WEBHOOK_SECRET (1-256 characters A-Z, a-z, 0-9, _ and -)"
        )

    app.bot_data.lock = DatabaseLock.acquire(settings.database)

    async def serve() -> None:
        await _migrate(settings.database)
        stop = _stop_on_signals()
        if await _reach(app, settings, stop):
            await serve_webhook(app, settings, stop)

    asyncio.run(serve())
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    from bot.emulator.shell import run_shell

    settings = load_settings(log_level=args.log_level)
    deployment = _prepare(settings)
    database = Path(args.database) if args.database else None
    if database is not None:
        asyncio.run(_migrate(database))  # a bad path fails here, in one line
    asyncio.run(run_shell(settings, deployment, database=database))
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.bot_token is not None:
        print("TRYGG_BOT_TOKEN is set: starting the bot against the Bot API.", file=sys.stderr)
        return cmd_run(args)
    print("No TRYGG_BOT_TOKEN: starting the local shell (emulator).", file=sys.stderr)
    args.database = None
    args.log_level = "WARNING"
    return cmd_shell(args)


def cmd_invite(args: argparse.Namespace) -> int:
    """A one-time staff invite code, for when no admin is in Telegram yet."""
    from bot.domain.deployment import Role
    from storage.staff import StaffRepository

    settings = load_settings()
    deployment = load_deployment(settings.deployment)
    stations = [s for s in args.stations.split(",") if s]
    known_actors = {a.id for a in deployment.actors}
    known_stations = {s.id for s in deployment.stations}
    if args.actor not in known_actors:
        raise CliError(f"Unknown actor {args.actor!r}; one of: {', '.join(sorted(known_actors))}")
    bad = [s for s in stations if s not in known_stations]
    # An admin code without stations is for an admin of every station, as in the file.
    if bad or (not stations and args.role != Role.ADMIN.value):
        raise CliError(
            f"Unknown or missing station {', '.join(bad) or '(none)'}; "
            f"one of: {', '.join(sorted(known_stations))}"
        )
    if args.role not in {r.value for r in Role}:
        raise CliError(f"Unknown role {args.role!r}; one of: kommunpolis, partner, admin")

    async def create() -> tuple[str, str]:
        async with await Database.open(settings.database) as db:
            return await StaffRepository(db).create_invite(
                args.role, args.actor, stations, None, deployment.deployment.invite_hours
            )

    code, expires = asyncio.run(create())
    print(f"Invite code {code} for {args.role} at {args.actor} ({', '.join(stations) or '*'}),")
    print(f"valid until {expires} (UTC). The person sends: /start {code}")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    """Queue a station's monthly digest; the running bot's outbox sends it."""
    import re

    from bot.i18n import Catalogs
    from bot.services.updates import Updates
    from storage.promises import PromiseRepository
    from storage.residents import ResidentRepository

    settings = load_settings()
    deployment = load_deployment(settings.deployment)
    if args.station not in {s.id for s in deployment.stations}:
        raise CliError(f"Unknown station {args.station!r}")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise CliError(f"Month must look like 2026-10, not {args.month!r}")

    async def queue() -> int:
        async with await Database.open(settings.database) as db:
            updates = Updates(
                deployment,
                Catalogs.load(deployment.deployment.languages),
                PromiseRepository(db),
                ResidentRepository(db),
            )
            return await updates.digest(args.station, args.month)

    count = asyncio.run(queue())
    print(f"Digest {args.month} for {args.station} queued to {count} followers.")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Apply the retention rules now (the running bot also does it daily)."""
    from bot.i18n import Catalogs
    from bot.services import Services

    settings = load_settings()
    deployment = _prepare(settings)

    async def purge() -> dict[str, int]:
        catalogs = Catalogs.load(deployment.deployment.languages)
        # Only the running bot applies the file's staff: this process may name another file.
        services = await Services.open(settings, deployment, catalogs, sync_staff=False)
        try:
            return await services.purge()
        finally:
            await services.close()

    counts = asyncio.run(purge())
    print("Purged: " + ", ".join(f"{count} {what}" for what, count in counts.items()))
    return 0


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(f"Dates look like 2026-10-01, not {value!r}") from None


def _day(value: str | None, zone: str) -> str | None:
    """YYYY-MM-DD (local midnight) to the ISO UTC form stored in the database."""
    from bot.domain.stats import local_midnight_utc

    return local_midnight_utc(_date(value), zone)


def cmd_export(args: argparse.Namespace) -> int:
    """Stream the cases to CSV, newline-delimited JSON or XLSX."""
    import getpass

    from bot.export import Exporter
    from storage.audit import AuditRepository
    from storage.export import Filters, count

    settings = load_settings()
    deployment = load_deployment(settings.deployment)
    zone = deployment.deployment.timezone
    if args.station and args.station not in {s.id for s in deployment.stations}:
        raise CliError(f"Unknown station {args.station!r}")
    filters = Filters(
        args.station, args.kind, args.status, _day(args.since, zone), _day(args.until, zone)
    )
    asyncio.run(_migrate(settings.database))
    out = Path(args.out)
    total = count(settings.database, filters)
    tty = sys.stderr.isatty()

    def progress(done: int) -> None:
        if tty:
            print(f"\r{done:,} / {total:,} rows", end="", file=sys.stderr, flush=True)

    try:
        written = Exporter(deployment).write(
            args.format, settings.database, out, filters, progress, jobs=args.jobs
        )
    except (OSError, RuntimeError) as exc:
        raise CliError(f"Cannot write {out}: {exc}") from None
    if tty:
        print(file=sys.stderr)

    async def audit() -> None:
        async with await Database.open(settings.database) as db:
            details = {
                "format": args.format,
                "rows": written,
                "out": str(out),
                **{k: v for k, v in vars(filters).items() if v is not None},
            }
            await AuditRepository(db).log(f"cli:{getpass.getuser()}", "export", details)

    asyncio.run(audit())
    print(f"{written} rows written to {out}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """Counts per station × category × status, response times, and a weekly PNG chart."""
    from bot.domain.stats import Period, named_period
    from bot.i18n import Catalogs
    from bot.stats import Statistics
    from storage.stats import StatsRepository

    settings = load_settings()
    deployment = load_deployment(settings.deployment)
    known = {s.id for s in deployment.stations}
    stations = [s for s in (args.station or "").split(",") if s] or None
    bad = sorted(set(stations or []) - known)
    if bad:
        raise CliError(f"Unknown station {', '.join(bad)}; one of: {', '.join(sorted(known))}")
    asyncio.run(_migrate(settings.database))

    async def compute() -> tuple[list[tuple[str, str, str, int]], list[str], bytes | None]:
        async with await Database.open(settings.database) as db:
            stats = Statistics(
                deployment, Catalogs.load(deployment.deployment.languages), StatsRepository(db)
            )
            if args.since or args.until:
                period = Period(_date(args.since), _date(args.until))
            else:
                period = named_period(args.period, stats.today())
            report = await stats.report(period, stations)
            summary = [
                f"Period {period.label()}: {report.total} cases",
                _plain(stats.wait_line("stats.to_ack", report.to_acknowledge)),
                _plain(stats.wait_line("stats.to_resolve", report.to_resolve)),
            ]
            chart = stats.chart(report) if args.chart else None
            return stats.table(report), summary, chart

    table, summary, chart = asyncio.run(compute())
    if table:
        width = max(len(row[0]) for row in table)
        cat_width = max(len(row[1]) for row in table)
        print(f"{'station':<{width}}  {'category':<{cat_width}}  {'status':<15} count")
        for station, category, status, n in table:
            print(f"{station:<{width}}  {category:<{cat_width}}  {status:<15} {n:>5}")
    for line in summary:
        print(line)
    if chart is not None:
        out = Path(args.chart)
        try:
            out.write_bytes(chart)
        except OSError as exc:
            raise CliError(f"Cannot write {out}: {exc.strerror or exc}") from None
        print(f"Chart (cases per week per category) written to {out}")
    return 0


def _plain(html_text: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def cmd_audit(args: argparse.Namespace) -> int:
    from storage.audit import AuditRepository

    settings = load_settings()

    async def recent() -> list[tuple[str, str, str, str]]:
        async with await Database.open(settings.database) as db:
            rows = await AuditRepository(db).recent(args.limit)
            return [(r["created_at"], r["who"], r["action"], r["details"]) for r in rows]

    for when, who, action, details in asyncio.run(recent()):
        print(f"{when}  {who:<24} {action:<10} {details}")
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    """Serve the Open311 read API until SIGINT or SIGTERM."""
    from bot.open311 import serve_open311

    overrides = {"open311_listen": args.listen, "open311_port": args.port}
    settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    key = settings.open311_api_key
    configure_logging(
        settings.log_level,
        _secrets(settings) + ([key.get_secret_value()] if key else []),
        settings.log_format,
    )
    deployment = load_deployment(settings.deployment)

    async def serve() -> None:
        await _migrate(settings.database)
        stop = _stop_on_signals()
        await serve_open311(settings, deployment, stop)

    try:
        asyncio.run(serve())
    except OSError as exc:  # the port is taken, or the address is not ours
        where = f"{settings.open311_listen}:{settings.open311_port}"
        raise CliError(f"Cannot serve the Open311 API on {where}: {exc.strerror or exc}") from None
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """One PASS/FAIL line per check; exit status 0 only if all passed."""
    from bot.doctor import run_checks

    try:
        settings = load_settings()
    except SettingsError as exc:
        for line in exc.lines:
            print(f"FAIL  settings: {line}")
        print("Settings could not be read, so nothing else was checked.")
        return 1
    password = settings.smtp_password
    configure_logging(
        settings.log_level, _secrets(settings) + ([password.get_secret_value()] if password else [])
    )
    checks = asyncio.run(run_checks(settings))
    for check in checks:
        print(f"{'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    failed = [check.name for check in checks if not check.ok]
    if failed:
        print(f"{len(failed)} of {len(checks)} checks failed: {', '.join(failed)}.")
        return 1
    print(f"All {len(checks)} checks passed.")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """An online, consistent copy of the database, safe while the bot runs."""
    from storage.backup import backup

    settings = load_settings()
    target = Path(args.path)
    if args.path.endswith(("/", os.sep)) and not target.is_dir():
        raise CliError(f"Folder {args.path} does not exist: create it first (mkdir -p {args.path})")
    snapshot = backup(settings.database, target)
    print(
        f"Backup of {settings.database} written to {snapshot.path}: schema {snapshot.schema}, "
        f"{snapshot.cases} cases, {snapshot.size:,} bytes, integrity ok."
    )
    print(f"Photos are not in the backup: copy {settings.media_dir} as well.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the database with a backup; refused while the bot runs."""
    from storage.backup import restore

    settings = load_settings()
    snapshot, kept = restore(Path(args.path), settings.database)
    print(
        f"Restored {args.path} into {settings.database}: schema {snapshot.schema}, "
        f"{snapshot.cases} cases, integrity ok."
    )
    if kept is not None:
        print(f"The database it replaced is kept as {kept}.")
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    from bot.emulator.server import Emulator

    configure_logging(args.log_level, [])

    async def serve() -> None:
        stop = _stop_on_signals()
        async with Emulator(port=args.port) as emulator:
            emulator.world.member_updates = True  # my_chat_member on /block and /unblock
            print(f"TRYGG_API_BASE_URL={emulator.base_url}")
            print(f"TRYGG_API_FILE_URL={emulator.file_url}")
            print(f"TRYGG_BOT_TOKEN={emulator.token}")
            print(f"Control API: {emulator.url}/control/", flush=True)
            await stop.wait()

    asyncio.run(serve())
    return 0


# ---------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from bot.export import default_jobs

    parser = argparse.ArgumentParser(
        prog="trygghetsbot",
        description="Trygghetsboten: a Telegram bot for medborgarlöften.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_, description=help_)
        command.set_defaults(func=func)
        return command

    add("run", cmd_run, "Run the bot with long polling against TRYGG_API_BASE_URL.")
    add("webhook", cmd_webhook, "Run the bot in webhook mode (TRYGG_WEBHOOK_URL, _SECRET).")
    add("start", cmd_start, "Run the bot if TRYGG_BOT_TOKEN is set, else the local shell.")
    shell = add("shell", cmd_shell, "Chat with the bot in the terminal through the emulator.")
    shell.add_argument("--database", help="keep the shell's data in this SQLite file")
    shell.add_argument("--log-level", default="WARNING", help="log level (default WARNING)")
    check = add("check-config", cmd_check_config, "Validate a deployment file and summarise it.")
    check.add_argument("path", nargs="?", help="deployment file (default TRYGG_DEPLOYMENT)")
    migrate = add("migrate", cmd_migrate, "Create or upgrade the database schema.")
    migrate.add_argument("--database", help="SQLite file (default TRYGG_DATABASE)")
    invite = add("invite", cmd_invite, "Create a one-time invite code for a staff member.")
    invite.add_argument("--actor", required=True, help="actor id from the deployment file")
    invite.add_argument(
        "--stations", default="", help="station ids, comma separated (an admin without: all)"
    )
    invite.add_argument("--role", default="partner", help="kommunpolis, partner or admin")
    digest = add("digest", cmd_digest, "Queue a station's monthly 'you said, we did' digest.")
    digest.add_argument("--station", required=True, help="station id")
    digest.add_argument("--month", required=True, help="YYYY-MM")
    add("purge", cmd_purge, "Apply the deployment's retention rules now.")
    export = add("export", cmd_export, "Export cases (pseudonymised) as CSV, JSON or XLSX.")
    export.add_argument("--format", choices=("csv", "json", "xlsx"), default="csv")
    export.add_argument("--out", required=True, help="file to write")
    export.add_argument("--station", help="station id")
    export.add_argument("--kind", choices=("idea", "report"))
    export.add_argument("--status", help="new, acknowledged, in_progress, resolved, ...")
    export.add_argument("--since", help="YYYY-MM-DD (from this day, local time)")
    export.add_argument("--until", help="YYYY-MM-DD (before this day, local time)")
    export.add_argument(
        "--jobs",
        type=int,
        choices=range(1, 9),
        metavar="N",
        default=default_jobs(),
        help="processes writing a big CSV or JSON export at once (default: 2 on 2+ cores)",
    )
    stats = add("stats", cmd_stats, "Statistics: counts, response times and a weekly chart.")
    stats.add_argument("--period", choices=("30d", "90d", "year", "all"), default="all")
    stats.add_argument("--since", help="YYYY-MM-DD (from this day, local time)")
    stats.add_argument("--until", help="YYYY-MM-DD (before this day, local time)")
    stats.add_argument("--station", help="station ids, comma separated (default: all)")
    stats.add_argument("--chart", help="write the weekly chart as PNG to this file")
    audit = add("audit", cmd_audit, "List the audit log (exports and staff views).")
    audit.add_argument("--limit", type=int, default=100)
    api = add("api", cmd_api, "Serve the Open311 GeoReport v2 read API (public case data).")
    api.add_argument("--listen", help="address (default TRYGG_OPEN311_LISTEN, 127.0.0.1)")
    api.add_argument("--port", type=int, help="port (default TRYGG_OPEN311_PORT, 8080)")
    add("doctor", cmd_doctor, "Check the token, database, deployment file, media and SMTP.")
    backup = add("backup", cmd_backup, "Copy the database (online, safe while the bot runs).")
    backup.add_argument("path", help="file to write, or a directory for a dated file")
    restore = add("restore", cmd_restore, "Replace the database with a backup (bot stopped).")
    restore.add_argument("path", help="the backup file")
    emulator = add("emulator", cmd_emulator, "Serve the local Bot API emulator on its own.")
    emulator.add_argument("--port", type=int, default=8081, help="port (default 8081)")
    emulator.add_argument("--log-level", default="INFO")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; every expected failure is a short message and exit status 2."""
    # PTB: opt in to timedelta values (else RetryAfter.retry_after warns on every access).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
        return result
    except (SettingsError, DeploymentError) as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
    except (StorageError, CliError) as exc:
        print(str(exc), file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except Exception as exc:
        from bot.app import MissingTokenError
        from bot.connection import TokenRejectedError

        if not isinstance(exc, MissingTokenError | TokenRejectedError):
            raise
        print(str(exc), file=sys.stderr)
    return EXIT_USAGE
