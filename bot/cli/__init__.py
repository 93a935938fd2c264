"""The `trygghetsbot` command: the parser and `main`, which builds the one Context every
command gets. The commands live in modules per group: run (serving), checks, database, staff,
promises, reports (export, stats) and privacy."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence

from bot import __version__
from bot.cli.checks import cmd_check_config, cmd_doctor
from bot.cli.context import EXIT_USAGE, CliError, Context
from bot.cli.database import cmd_backup, cmd_migrate, cmd_restore
from bot.cli.lagesbild import cmd_lagesbild
from bot.cli.poster import cmd_poster
from bot.cli.privacy import cmd_audit, cmd_purge
from bot.cli.promises import cmd_digest
from bot.cli.reports import cmd_export, cmd_stats
from bot.cli.run import cmd_api, cmd_emulator, cmd_run, cmd_shell, cmd_start, cmd_webhook
from bot.cli.staff import cmd_invite
from bot.cli.web import cmd_web
from bot.config import DeploymentError
from bot.settings import SettingsError
from storage import StorageError

__all__ = ["EXIT_USAGE", "CliError", "Context", "build_parser", "cmd_run", "main"]

Command = Callable[[Context], int]
Overrides = Callable[[argparse.Namespace], Mapping[str, object]]


def _no_overrides(args: argparse.Namespace) -> Mapping[str, object]:
    return {}


def _shell_settings(args: argparse.Namespace) -> Mapping[str, object]:
    return {"log_level": args.log_level}


def _api_settings(args: argparse.Namespace) -> Mapping[str, object]:
    overrides = {"open311_listen": args.listen, "open311_port": args.port}
    return {k: v for k, v in overrides.items() if v is not None}


def _web_settings(args: argparse.Namespace) -> Mapping[str, object]:
    overrides = {"web_listen": args.listen, "web_port": args.port}
    return {k: v for k, v in overrides.items() if v is not None}


def build_parser() -> argparse.ArgumentParser:
    from bot.services.export import DIALECTS, FORMATS, default_jobs

    parser = argparse.ArgumentParser(
        prog="trygghetsbot",
        description="Trygghetsboten: a Telegram bot for medborgarlöften.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, func: Command, help_: str, settings: Overrides = _no_overrides
    ) -> argparse.ArgumentParser:
        """A command; `settings` maps its options to settings they override."""
        command = sub.add_parser(name, help=help_, description=help_)
        command.set_defaults(func=func, settings=settings)
        return command

    add("run", cmd_run, "Run the bot with long polling against TRYGG_API_BASE_URL.")
    add("webhook", cmd_webhook, "Run the bot in webhook mode (TRYGG_WEBHOOK_URL, _SECRET).")
    add("start", cmd_start, "Run the bot if TRYGG_BOT_TOKEN is set, else the local shell.")
    shell = add(
        "shell",
        cmd_shell,
        "Chat with the bot in the terminal through the emulator.",
        _shell_settings,
    )
    shell.add_argument("--database", help="keep the shell's data in this SQLite file")
    shell.add_argument("--log-level", default="WARNING", help="log level (default WARNING)")
    check = add("check-config", cmd_check_config, "Validate a deployment file and summarise it.")
    check.add_argument("path", nargs="?", help="deployment file (default TRYGG_DEPLOYMENT)")
    migrate = add("migrate", cmd_migrate, "Create or upgrade the database schema.")
    migrate.add_argument("--database", help="SQLite file (default TRYGG_DATABASE)")
    invite = add("invite", cmd_invite, "Create a one-time invite code for a staff member.")
    invite.add_argument("--actor", required=True, help="actor id from the deployment file")
    invite.add_argument(
        "--stations",
        default="",
        help="station ids or names, comma separated (an admin without: all)",
    )
    invite.add_argument("--role", default="partner", help="kommunpolis, partner or admin")
    digest = add("digest", cmd_digest, "Queue a station's monthly 'you said, we did' digest.")
    digest.add_argument("--station", required=True, help="station id or name")
    digest.add_argument("--month", required=True, help="YYYY-MM")
    poster = add("poster", cmd_poster, "Make a station's A4 poster with a QR code (PDF).")
    poster.add_argument("--station", required=True, help="station id or name")
    poster.add_argument("--out", required=True, help="PDF file to write")
    poster.add_argument(
        "--force", action="store_true", help="replace the file at --out if there is one"
    )
    add("purge", cmd_purge, "Apply the deployment's retention rules now.")
    export = add(
        "export", cmd_export, "Export cases (pseudonymised) as CSV, JSON, XLSX or GeoJSON."
    )
    export.add_argument(
        "--format",
        choices=FORMATS,
        default="csv",
        help="csv (see --dialect); json: one JSON document, an object with the export's"
        " metadata and its rows, which json.load reads; ndjson: one JSON object a line;"
        " json and ndjson keep codes and ISO times, for programs; xlsx: for Excel; geojson:"
        " for GIS (QGIS, ArcGIS), a point per pinned case, without personal data",
    )
    export.add_argument(
        "--dialect",
        choices=DIALECTS,
        help="CSV only. excel-sv (the default): for Swedish Excel, UTF-8 with BOM, ';',"
        " CRLF, Swedish headings, labels instead of codes, local times '2026-10-03 21:15',"
        " decimal comma; rfc4180: commas, codes, ISO times, English column names",
    )
    export.add_argument("--out", required=True, help="file to write")
    export.add_argument(
        "--force", action="store_true", help="replace the file at --out if there is one"
    )
    export.add_argument("--station", help="station id or name")
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
        help="processes writing a big CSV, JSON or NDJSON export at once (default: 2 on 2+ cores)",
    )
    stats = add("stats", cmd_stats, "Statistics: counts, response times and a weekly chart.")
    stats.add_argument("--period", choices=("30d", "90d", "year", "all"), default="all")
    stats.add_argument("--since", help="YYYY-MM-DD (from this day, local time)")
    stats.add_argument("--until", help="YYYY-MM-DD (before this day, local time)")
    stats.add_argument("--station", help="station ids or names, comma separated (default: all)")
    stats.add_argument("--chart", help="write the weekly chart as PNG to this file")
    lagesbild = add("lagesbild", cmd_lagesbild, "Write a month's lägesbild as a PDF.")
    area = lagesbild.add_mutually_exclusive_group(required=True)
    area.add_argument("--station", help="a station's id or name")
    area.add_argument("--kommun", help="a kommun's name: all its stations")
    lagesbild.add_argument("--month", required=True, help="YYYY-MM")
    lagesbild.add_argument("--out", required=True, help="the PDF file to write")
    audit = add("audit", cmd_audit, "List the audit log (exports and staff views).")
    audit.add_argument("--limit", type=int, default=100)
    api = add(
        "api",
        cmd_api,
        "Serve the Open311 GeoReport v2 read API (public case data).",
        _api_settings,
    )
    api.add_argument("--listen", help="address (default TRYGG_OPEN311_LISTEN, 127.0.0.1)")
    api.add_argument("--port", type=int, help="port (default TRYGG_OPEN311_PORT, 8080)")
    web_cmd = add(
        "web", cmd_web, "Serve the staff web pages (sign-in via /webb in the bot).", _web_settings
    )
    web_cmd.add_argument("--listen", help="address (default TRYGG_WEB_LISTEN, 127.0.0.1)")
    web_cmd.add_argument("--port", type=int, help="port (default TRYGG_WEB_PORT, 8088)")
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
    ctx = Context(args, args.settings(args))
    try:
        result: int = args.func(ctx)
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
