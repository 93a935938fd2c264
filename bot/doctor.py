"""`trygghetsbot doctor`: check the token, staff chats, database, deployment file, media folder
and SMTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiosmtplib import SMTPException
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.request import HTTPXRequest

from bot.app import quiet_url_loggers
from bot.config import DeploymentError, load_deployment
from bot.delivery.email import Mailer
from bot.reach import probe_chats
from bot.settings import Settings
from storage.cases import open_outside
from storage.chats import unreachable as unreachable_chats
from storage.health import journal_mode, probe_write_lock, quick_check, schema_version
from storage.migrations import LATEST_VERSION
from storage.staff import linked_by_code

log = logging.getLogger(__name__)

#: Seconds each check may take before it is reported as failed.
TIMEOUT = 10.0
#: Below this much free space next to the database, the check fails.
MIN_FREE_BYTES = 100 * 1024 * 1024
#: How long the write probe waits for a running bot's write transaction to end.
BUSY_TIMEOUT = 3.0
#: Staff chats checked at once (getChat).
STAFF_CONCURRENCY = 8


@dataclass(frozen=True)
class Check:
    """The outcome of one check: a name, pass or fail, and one line saying why."""

    name: str
    ok: bool
    detail: str


class _Failed(Exception):
    """A check failed; the message is its one-line detail."""


async def run_checks(settings: Settings, timeout: float = TIMEOUT) -> list[Check]:
    """Run every check (concurrently, each on its own timeout) and return them in order."""
    checks: list[tuple[str, Callable[[], Awaitable[str]]]] = [
        ("settings", lambda: _settings(settings)),
        (
            "deployment",
            lambda: asyncio.to_thread(_deployment, settings.deployment, settings.database),
        ),
        ("bot api", lambda: _bot_api(settings, timeout)),
        ("staff chats", lambda: _staff_chats(settings, timeout)),
        ("database", lambda: asyncio.to_thread(_database, settings.database, timeout)),
        ("media", lambda: asyncio.to_thread(_media, settings.media_dir)),
        ("smtp", lambda: _smtp(settings, timeout)),
    ]
    # The token, its secret part on its own, and the SMTP password never reach the output.
    secrets = []
    if settings.bot_token:
        token = settings.bot_token.get_secret_value()
        secrets += [token, token.partition(":")[2]]
    if settings.smtp_password:
        secrets.append(settings.smtp_password.get_secret_value())
    results = await asyncio.gather(*(_run(name, check, timeout, secrets) for name, check in checks))
    return list(results)


async def _run(
    name: str, check: Callable[[], Awaitable[str]], timeout: float, secrets: list[str]
) -> Check:
    """Run one check; any failure, timeout included, becomes a failed `Check`."""
    try:
        # A second of slack lets the checks' own timeouts report first, with more detail.
        detail = await asyncio.wait_for(check(), timeout + 1)
        return Check(name, True, _redact(detail, secrets))
    except _Failed as exc:
        return Check(name, False, _redact(str(exc), secrets))
    except TimeoutError:
        return Check(name, False, f"no answer within {timeout:.0f} s")
    except Exception as exc:
        log.debug("Doctor check %s failed unexpectedly", name, exc_info=True)
        return Check(name, False, _redact(f"{type(exc).__name__}: {exc}", secrets))


def _redact(text: str, secrets: list[str]) -> str:
    """Error texts from libraries are not ours to trust: never let a secret through."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "<secret>")
    return " ".join(text.split())  # one line


# ---------------------------------------------------------------------- checks
async def _settings(settings: Settings) -> str:
    return f"deployment {settings.deployment.resolve()}, database {settings.database.resolve()}"


def _deployment(path: Path, database: Path) -> str:
    try:
        dep = load_deployment(path)
    except DeploymentError as exc:
        more = f" (and {len(exc.lines) - 1} more problems)" if len(exc.lines) > 1 else ""
        raise _Failed(exc.lines[0] + more) from None
    orphans = _open_cases_outside(database, [s.id for s in dep.stations])
    if orphans:
        named = ", ".join(f"{ref} ({station})" for ref, station in orphans[:10])
        more = f" and {len(orphans) - 10} more" if len(orphans) > 10 else ""
        raise _Failed(
            f"{len(orphans)} open case{'s' if len(orphans) > 1 else ''} at stations the file no"
            f" longer has, which nobody is reminded of: {named}{more}; put the stations back"
            " until the cases are closed"
        )
    return f"{dep.deployment.name}: {len(dep.stations)} stations, {len(dep.staff)} staff"


def _open_cases_outside(database: Path, stations: list[str]) -> list[tuple[str, str]]:
    """Open cases at stations not in the file; none when the database cannot be read (the
    database check says why)."""
    if not database.is_file():
        return []
    try:
        uri = f"{database.resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT)) as conn:
            return open_outside(conn, stations)
    except sqlite3.Error:
        return []


async def _bot_api(settings: Settings, timeout: float) -> str:
    quiet_url_loggers()  # request URLs contain the token
    if settings.bot_token is None:
        raise _Failed("TRYGG_BOT_TOKEN is not set")
    bot = Bot(
        settings.bot_token.get_secret_value(),
        base_url=settings.api_base_url,
        base_file_url=settings.api_file_url,
        request=HTTPXRequest(connect_timeout=timeout, read_timeout=timeout),
    )
    where = settings.api_base_url
    try:
        async with bot:  # initialising calls getMe
            me = bot.bot
    except InvalidToken:
        raise _Failed(f"token refused by {where} (Unauthorized or Not Found)") from None
    except NetworkError as exc:  # TimedOut included
        raise _Failed(f"cannot reach {where}: {exc.message}") from None
    except TelegramError as exc:
        raise _Failed(f"getMe failed at {where}: {exc.message}") from None
    return f"@{me.username} ({me.id}) at {where}"


async def _staff_chats(settings: Settings, timeout: float) -> str:
    """Whether the bot can reach every staff member's chat (getChat): Telegram lets a bot
    write only to someone who has opened it, so a staff member who never did gets no cards."""
    try:
        dep = await asyncio.to_thread(load_deployment, settings.deployment)
    except DeploymentError:
        return "skipped: the deployment file has problems (see the deployment check)"
    staff = {m.telegram_id: m.name for m in dep.staff if m.telegram_id is not None}
    linked, marked = await asyncio.to_thread(_staff_in_database, settings.database)
    for name, telegram_id in linked:
        staff.setdefault(telegram_id, name)
    mail_only = sum(1 for m in dep.staff if m.telegram_id is None)
    if settings.bot_token is None or not staff:
        return "skipped: " + ("no token" if staff else "no staff member has a Telegram id")
    quiet_url_loggers()
    bot = Bot(
        settings.bot_token.get_secret_value(),
        base_url=settings.api_base_url,
        base_file_url=settings.api_file_url,
        request=HTTPXRequest(
            connect_timeout=timeout, read_timeout=timeout, connection_pool_size=STAFF_CONCURRENCY
        ),
    )
    # A chat the bot already found unreachable stays so until the person writes to the bot
    # (getChat may well succeed for a user who blocked it): not asked again.
    problems = {chat: f"marked unreachable: {marked[chat]}" for chat in staff if chat in marked}
    try:
        async with bot:
            reaches = await probe_chats(
                bot, [chat for chat in staff if chat not in marked], STAFF_CONCURRENCY
            )
    except (InvalidToken, NetworkError):
        return "skipped: the bot api check failed"
    except TelegramError as exc:
        raise _Failed(f"getChat failed: {exc.message}") from None
    for reach in reaches:
        if reach.problem is not None:
            problems[reach.chat_id] = reach.problem
    unreachable = [
        f"{name} ({telegram_id}): {problems[telegram_id]}"
        for telegram_id, name in staff.items()
        if telegram_id in problems
    ]
    if unreachable:
        raise _Failed(
            f"{len(unreachable)} of {len(staff)} staff cannot be reached on Telegram: "
            + "; ".join(unreachable)
            + ". They get no cards there until they open the bot and press Start"
        )
    more = f"; {mail_only} by e-mail only" if mail_only else ""
    return f"all {len(staff)} staff with a Telegram id can be reached{more}"


def _staff_in_database(database: Path) -> tuple[list[tuple[str, int]], dict[int, str]]:
    """Staff linked by an invite code, and the chats the bot found unreachable (with why);
    none when the database cannot be read (the database check says why)."""
    if not database.is_file():
        return [], {}
    try:
        uri = f"{database.resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT)) as conn:
            return linked_by_code(conn), unreachable_chats(conn)
    except sqlite3.Error:
        return [], {}


def _database(path: Path, timeout: float) -> str:
    if path.is_dir():
        raise _Failed(f"{path} is a directory")
    if not path.exists():
        raise _Failed(f"{path} does not exist; `trygghetsbot migrate` creates it (run does too)")
    try:
        # mode=rw: never create a database here; the timeout is SQLite's busy timeout.
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT)
    except sqlite3.Error as exc:
        raise _Failed(f"cannot open {path}: {exc}") from None
    deadline = time.monotonic() + timeout
    # Abort a long quick_check (or anything else) once the time is up.
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    problems: list[str] = []
    try:
        seen = _inspect(conn, problems)
    except sqlite3.Error as exc:
        problems.append("timed out" if time.monotonic() > deadline else str(exc))
    finally:
        conn.close()
    free = shutil.disk_usage(path.parent).free
    if free < MIN_FREE_BYTES:
        problems.append(f"only {_size(free)} free on disk")
    if problems:
        raise _Failed(f"{path}: " + "; ".join(problems))
    return f"{path}: {seen}, {_size(free)} free"


def _inspect(conn: sqlite3.Connection, problems: list[str]) -> str:
    """Schema version, journal mode, write lock and quick_check; append what is wrong."""
    version = schema_version(conn)
    if version < LATEST_VERSION:
        problems.append(f"schema {version}, current {LATEST_VERSION}: run trygghetsbot migrate")
    elif version > LATEST_VERSION:
        problems.append(
            f"schema {version} is newer than this program ({LATEST_VERSION}): "
            "upgrade Trygghetsboten"
        )
    mode = journal_mode(conn)
    if mode != "wal":
        problems.append(f"journal mode {mode}, not wal")
    try:
        probe_write_lock(conn)
        writable = "writable"
    except sqlite3.OperationalError as exc:
        # A running bot holding the write lock past the busy timeout is not a fault.
        if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            writable = "locked by another writer (a running bot?)"
        else:
            writable = "not writable"
            problems.append(f"not writable: {exc}")
    integrity = quick_check(conn)
    if integrity != "ok":
        problems.append(f"quick_check: {integrity}")
    return f"schema {version}, {mode}, {writable}, quick_check {integrity}"


def _size(n: int) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def _media(path: Path) -> str:
    if path.exists() and not path.is_dir():
        raise _Failed(f"{path} is not a directory")
    # Probe with an anonymous temporary file; the doctor creates nothing that stays.
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise _Failed(f"{path} cannot be created: {existing} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        where = path if existing == path else existing
        raise _Failed(f"{path}: cannot write in {where}: {exc.strerror or exc}") from None
    if existing == path:
        return f"{path} is writable"
    return f"{path} does not exist yet; it can be created in {existing.resolve()}"


async def _smtp(settings: Settings, timeout: float) -> str:
    mailer = Mailer(settings)
    if not mailer.enabled:
        return "skipped: TRYGG_SMTP_HOST is not set, e-mail is off"
    try:
        return await mailer.probe(timeout)
    except (SMTPException, OSError) as exc:
        where = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_tls})"
        raise _Failed(f"{where}: {exc}") from None
