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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from bot.i18n import Catalogs

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
class Said:
    """A catalog message (`doctor.*`) and its parameters, written out when printed. A
    parameter may be another `Said`, or a tuple of them (and library texts) joined by '; '."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def text(self, catalogs: Catalogs, lang: str) -> str:
        from bot.i18n import Safe

        def value(v: object) -> object:
            if isinstance(v, Said):
                return Safe(v.text(catalogs, lang))
            if isinstance(v, tuple):
                return Safe("; ".join(str(value(part)) for part in v))
            return Safe(v) if isinstance(v, str) else v  # terminal text: nothing escaped

        return catalogs.text(lang, self.key, **{k: value(v) for k, v in self.params.items()})


def said(key: str, **params: object) -> Said:
    return Said(f"doctor.{key}", params)


@dataclass(frozen=True)
class Check:
    """The outcome of one check: its name (`doctor.check.<name>`, spaces as '_'), pass or
    fail, and one line saying why."""

    name: str
    ok: bool
    detail: Said

    def title(self, catalogs: Catalogs, lang: str) -> str:
        return catalogs.text(lang, "doctor.check." + self.name.replace(" ", "_"))


class _Failed(Exception):
    """A check failed; `detail` is its one-line detail."""

    def __init__(self, detail: Said) -> None:
        super().__init__(detail.key)
        self.detail = detail


async def run_checks(settings: Settings, timeout: float = TIMEOUT) -> list[Check]:
    """Run every check (concurrently, each on its own timeout) and return them in order."""
    checks: list[tuple[str, Callable[[], Awaitable[Said]]]] = [
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
    name: str, check: Callable[[], Awaitable[Said]], timeout: float, secrets: list[str]
) -> Check:
    """Run one check; any failure, timeout included, becomes a failed `Check`."""
    try:
        # A second of slack lets the checks' own timeouts report first, with more detail.
        detail = await asyncio.wait_for(check(), timeout + 1)
        return Check(name, True, _redact(detail, secrets))
    except _Failed as exc:
        return Check(name, False, _redact(exc.detail, secrets))
    except TimeoutError:
        return Check(name, False, said("timeout", seconds=round(timeout)))
    except Exception as exc:
        log.debug("Doctor check %s failed unexpectedly", name, exc_info=True)
        detail = said("unexpected", error=f"{type(exc).__name__}: {exc}")
        return Check(name, False, _redact(detail, secrets))


def _redact(detail: Said, secrets: list[str]) -> Said:
    """Error texts from libraries are not ours to trust: never let a secret through."""

    def clean(value: object) -> object:
        if isinstance(value, Said):
            return _redact(value, secrets)
        if isinstance(value, tuple):
            return tuple(clean(part) for part in value)
        if not isinstance(value, str):
            return value
        for secret in sorted(filter(None, secrets), key=len, reverse=True):
            value = value.replace(secret, "<secret>")
        return " ".join(value.split())  # one line

    return replace(detail, params={k: clean(v) for k, v in detail.params.items()})


# ---------------------------------------------------------------------- checks
async def _settings(settings: Settings) -> Said:
    return said(
        "settings.ok",
        deployment=str(settings.deployment.resolve()),
        database=str(settings.database.resolve()),
    )


def _deployment(path: Path, database: Path) -> Said:
    try:
        dep = load_deployment(path)
    except DeploymentError as exc:
        if len(exc.lines) > 1:  # the loader's lines are its own
            more = said("deployment.more", problem=exc.lines[0], count=len(exc.lines) - 1)
            raise _Failed(more) from None
        raise _Failed(said("text", text=exc.lines[0])) from None
    orphans = _open_cases_outside(database, [s.id for s in dep.stations])
    if orphans:
        named: object = ", ".join(f"{ref} ({station})" for ref, station in orphans[:10])
        if len(orphans) > 10:
            named = said("deployment.and_more", named=named, count=len(orphans) - 10)
        raise _Failed(said("deployment.orphans", count=len(orphans), cases=named))
    return said(
        "deployment.ok", name=dep.deployment.name, count=len(dep.stations), staff=len(dep.staff)
    )


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


async def _bot_api(settings: Settings, timeout: float) -> Said:
    quiet_url_loggers()  # request URLs contain the token
    if settings.bot_token is None:
        raise _Failed(said("api.no_token"))
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
        raise _Failed(said("api.refused", where=where)) from None
    except NetworkError as exc:  # TimedOut included
        raise _Failed(said("api.unreachable", where=where, error=exc.message)) from None
    except TelegramError as exc:
        raise _Failed(said("api.failed", where=where, error=exc.message)) from None
    return said("api.ok", username=me.username, id=str(me.id), where=where)


async def _staff_chats(settings: Settings, timeout: float) -> Said:
    """Whether the bot can reach every staff member's chat (getChat): Telegram lets a bot
    write only to someone who has opened it, so a staff member who never did gets no cards."""
    try:
        dep = await asyncio.to_thread(load_deployment, settings.deployment)
    except DeploymentError:
        return said("staff.no_deployment")
    staff = {m.telegram_id: m.name for m in dep.staff if m.telegram_id is not None}
    linked, marked = await asyncio.to_thread(_staff_in_database, settings.database)
    for name, telegram_id in linked:
        staff.setdefault(telegram_id, name)
    mail_only = sum(1 for m in dep.staff if m.telegram_id is None)
    if settings.bot_token is None or not staff:
        return said("staff.no_token" if staff else "staff.no_ids")
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
    problems: dict[int, object] = {
        chat: said("staff.marked", reason=marked[chat]) for chat in staff if chat in marked
    }
    try:
        async with bot:
            reaches = await probe_chats(
                bot, [chat for chat in staff if chat not in marked], STAFF_CONCURRENCY
            )
    except (InvalidToken, NetworkError):
        return said("staff.api_failed")
    except TelegramError as exc:
        raise _Failed(said("staff.failed", error=exc.message)) from None
    for reach in reaches:
        if reach.no_answer is not None:
            problems[reach.chat_id] = said("staff.no_answer", error=reach.no_answer)
        elif reach.refused is not None:
            problems[reach.chat_id] = reach.refused  # Telegram's own words
    unreachable = tuple(
        said("staff.person", name=name, id=str(telegram_id), problem=problems[telegram_id])
        for telegram_id, name in staff.items()
        if telegram_id in problems
    )
    if unreachable:
        count = len(unreachable)
        raise _Failed(said("staff.unreachable", count=count, total=len(staff), people=unreachable))
    if mail_only:
        return said("staff.ok_and_mail", count=len(staff), mail=mail_only)
    return said("staff.ok", count=len(staff))


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


def _database(path: Path, timeout: float) -> Said:
    if path.is_dir():
        raise _Failed(said("database.directory", path=str(path)))
    if not path.exists():
        raise _Failed(said("database.missing", path=str(path)))
    try:
        # mode=rw: never create a database here; the timeout is SQLite's busy timeout.
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT)
    except sqlite3.Error as exc:
        raise _Failed(said("database.unopened", path=str(path), error=str(exc))) from None
    deadline = time.monotonic() + timeout
    # Abort a long quick_check (or anything else) once the time is up.
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    problems: list[object] = []
    try:
        seen = _inspect(conn, problems)
    except sqlite3.Error as exc:
        problems.append(said("database.timed_out") if time.monotonic() > deadline else str(exc))
    finally:
        conn.close()
    free = shutil.disk_usage(path.parent).free
    if free < MIN_FREE_BYTES:
        problems.append(said("database.low_disk", free=_size(free)))
    if problems:
        raise _Failed(said("database.failed", path=str(path), problems=tuple(problems)))
    return said("database.ok", path=str(path), seen=seen, free=_size(free))


def _inspect(conn: sqlite3.Connection, problems: list[object]) -> Said:
    """Schema version, journal mode, write lock and quick_check; append what is wrong."""
    version = schema_version(conn)
    if version < LATEST_VERSION:
        problems.append(said("database.old_schema", version=version, latest=LATEST_VERSION))
    elif version > LATEST_VERSION:
        problems.append(said("database.new_schema", version=version, latest=LATEST_VERSION))
    mode = journal_mode(conn)
    if mode != "wal":
        problems.append(said("database.not_wal", mode=mode))
    try:
        probe_write_lock(conn)
        writable = said("database.writable")
    except sqlite3.OperationalError as exc:
        # A running bot holding the write lock past the busy timeout is not a fault.
        if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            writable = said("database.locked")
        else:
            writable = said("database.read_only")
            problems.append(said("database.unwritable", error=str(exc)))
    integrity = quick_check(conn)
    if integrity != "ok":
        problems.append(said("database.quick_check", result=integrity))
    return said("database.seen", version=version, mode=mode, writable=writable, result=integrity)


def _size(n: int) -> Said:
    """Free space, its number written by Babel ('1,5 GB')."""
    if n >= 1024**3:
        return said("gigabytes", amount=round(n / 1024**3, 1))
    return said("megabytes", amount=round(n / 1024**2))


def _media(path: Path) -> Said:
    from bot.media import dangling_link

    if (dangling := dangling_link(path)) is not None:
        link, target = str(dangling.link), str(dangling.target)
        raise _Failed(said("media.dangling", path=str(path), link=link, target=target))
    if path.exists() and not path.is_dir():
        raise _Failed(said("media.not_directory", path=str(path)))
    # Probe with an anonymous temporary file; the doctor creates nothing that stays.
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise _Failed(said("media.uncreatable", path=str(path), existing=str(existing)))
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        where = path if existing == path else existing
        error = exc.strerror or str(exc)
        raise _Failed(
            said("media.unwritable", path=str(path), where=str(where), error=error)
        ) from None
    if existing == path:
        return said("media.ok", path=str(path))
    return said("media.creatable", path=str(path), existing=str(existing.resolve()))


async def _smtp(settings: Settings, timeout: float) -> Said:
    mailer = Mailer(settings)
    if not mailer.enabled:
        return said("smtp.off")
    where = f"{settings.smtp_host}:{settings.smtp_port} ({settings.smtp_tls})"
    try:
        await mailer.probe(timeout)  # its summary is English: ours is said here
    except (SMTPException, OSError) as exc:
        raise _Failed(said("smtp.failed", where=where, error=str(exc))) from None
    if settings.smtp_user:
        return said("smtp.ok_login", where=where, user=settings.smtp_user)
    return said("smtp.ok", where=where)
