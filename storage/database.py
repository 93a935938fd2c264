"""The SQLite connection: open, configure, migrate, and run transactions."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import (
    AsyncIterator,
    Callable,
    Collection,
    Coroutine,
    Iterable,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

from storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The most writes `Database.write` runs in one transaction (one commit).
GROUP_LIMIT = 32

#: A write's outcome in its group: (the error it failed with, None) or (None, its result).
_Outcome = tuple[BaseException | None, object]


@dataclass(eq=False)
class _Queued:
    """A write waiting for the write lock; taken once a group holds it."""

    work: Callable[[sqlite3.Connection], object]
    future: asyncio.Future[object]
    taken: bool = False


def _alone(
    conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], object]
) -> list[_Outcome]:
    """One work in its own transaction, as before group commit."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            value = work(conn)
        except BaseException:
            if conn.in_transaction:  # else SQLite rolled back itself (a full disk, say)
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except BaseException as exc:
        _abandon(conn)
        return [(exc, None)]
    return [(None, value)]


def _together(conn: sqlite3.Connection, group: list[_Queued]) -> list[_Outcome]:
    """The group's works in order, each in a savepoint, in one transaction with one COMMIT."""
    outcomes: list[_Outcome] = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        for queued in group:
            conn.execute("SAVEPOINT grouped")
            try:
                value = queued.work(conn)
            except Exception as exc:
                if not conn.in_transaction:
                    # SQLite rolled back the whole transaction: the earlier works are gone.
                    outcomes = [(error or exc, None) for error, _ in outcomes]
                    outcomes.append((exc, None))
                    conn.execute("BEGIN IMMEDIATE")
                    continue
                conn.execute("ROLLBACK TO grouped")
                conn.execute("RELEASE grouped")
                outcomes.append((exc, None))
                continue
            conn.execute("RELEASE grouped")
            outcomes.append((None, value))
        conn.execute("COMMIT")
    except BaseException as exc:
        _abandon(conn)
        # Nothing of the group is stored: every work not failed already fails with this.
        outcomes = [(error or exc, None) for error, _ in outcomes]
        outcomes += [(exc, None)] * (len(group) - len(outcomes))
    return outcomes


def _abandon(conn: sqlite3.Connection) -> None:
    """Roll back what is left of a failed transaction, so the next one can begin."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.exception("ROLLBACK after a failed write transaction failed")


class StorageError(Exception):
    """The database cannot be used; the message is one line for an operator."""


class SchemaTooNewError(StorageError):
    """The database was written by a newer version of Trygghetsboten."""


def where(*conditions: tuple[str, str, object]) -> tuple[str, list[object]]:
    """A WHERE clause (or '') and its parameters from (column, operator, value) conditions.

    A condition whose value is None is left out. With the operator IN the value is a
    sequence, one parameter per item (an empty one matches nothing).
    """
    parts: list[str] = []
    params: list[object] = []
    for column, op, value in conditions:
        if value is None:
            continue
        if op == "IN":
            values = list(cast(Iterable[object], value))
            parts.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
        else:
            parts.append(f"{column} {op} ?")
            params.append(value)
    return (" WHERE " + " AND ".join(parts) if parts else ""), params


def utcnow() -> str:
    """The current time as stored in the database: ISO 8601 in UTC."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def marks(values: Collection[object]) -> str:
    """The placeholders of `IN (...)` for `values`: NULL when there are none (matches none)."""
    return ", ".join("?" for _ in values) or "NULL"


class Database:
    """One aiosqlite connection with WAL, foreign keys and serialised write transactions.

    aiosqlite runs one worker thread per connection and coroutines sharing a connection share
    its transaction, so every write goes through `transaction()` or `write()`, which hold a
    lock (`write()` runs the writes queued behind it together: group commit).
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()
        self._queued: list[_Queued] = []  # writes waiting for the lock, in order (`write`)

    @classmethod
    async def open(
        cls, path: Path, *, migrate: bool = True, migrations: Sequence[str] = MIGRATIONS
    ) -> Database:
        """Open (creating if needed) the database at `path` and bring its schema up to date."""
        path = Path(path)
        if path.is_dir():
            raise StorageError(f"Cannot open database {path}: it is a directory")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Cannot create the folder for database {path}: {exc.strerror}"
            ) from None
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"Cannot open database {path}: {exc}") from None
        db = cls(conn, path)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA busy_timeout = 5000")
            await conn.execute("PRAGMA synchronous = NORMAL")
            # Deleted and overwritten content is zeroed on disk, not left in free space.
            await conn.execute("PRAGMA secure_delete = ON")
            if migrate:
                await db.migrate(migrations)
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise StorageError(f"Cannot use database {path}: {exc}") from None
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        await self._conn.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        """The raw connection, for repositories in this package only."""
        return self._conn

    async def user_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(
        self, migrations: Sequence[str] = MIGRATIONS, target: int | None = None
    ) -> list[int]:
        """Apply the missing steps up to `target` (default: all); return the versions applied."""
        latest = len(migrations) if target is None else target
        current = await self.user_version()
        if current > len(migrations):
            raise SchemaTooNewError(
                f"Database {self.path} has schema version {current}, but this version of "
                f"Trygghetsboten knows only up to {len(migrations)}: upgrade Trygghetsboten "
                "or restore a matching backup"
            )
        applied = []
        for version in range(current + 1, latest + 1):
            script = migrations[version - 1]
            async with self._write_lock:
                try:
                    await self._conn.executescript(
                        f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;"
                    )
                except sqlite3.Error as exc:
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    raise StorageError(
                        f"Database {self.path}: migration to schema version {version} failed "
                        f"and was rolled back: {exc}"
                    ) from exc
            log.info("Database %s migrated to schema version %d", self.path, version)
            applied.append(version)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; commits on success and rolls back on any error."""
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:  # else SQLite rolled back itself (a full disk)
                    await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in a write transaction, whole, on the connection's own thread.

        One round trip to that thread however many statements `work` runs (`transaction()`
        costs one per statement, and the write lock is held across each): for a hot
        transaction whose statements depend on each other's results, such as a submit.
        `work` runs on another thread: it touches only the connection it is given and its
        own arguments.

        Group commit: the works waiting for the write lock when it comes free (up to
        GROUP_LIMIT) run in order in ONE transaction, each inside its own SAVEPOINT, with one
        COMMIT for all: one commit's fsync and WAL pages instead of one per work. A work that
        raises is rolled back to its savepoint alone and its caller gets the exception; a
        later work sees what the earlier ones of its group wrote (a draft sent twice at once
        is stored once). Nobody returns before the COMMIT: a failed COMMIT (or BEGIN) fails
        every caller of the group, and an error after which SQLite dropped the whole
        transaction (a full disk, say) fails the works before it too. A work alone is run as
        BEGIN IMMEDIATE, work, COMMIT (ROLLBACK when it raises), with no savepoint.
        """
        entry = _Queued(work, asyncio.get_running_loop().create_future())
        self._queued.append(entry)
        try:
            async with self._write_lock:
                while not entry.taken:  # not run yet by a group led by an earlier caller
                    group = self._queued[:GROUP_LIMIT]  # in order: the earliest first
                    del self._queued[:GROUP_LIMIT]
                    for queued in group:
                        queued.taken = True
                    # The results reach every caller even if this one is cancelled meanwhile
                    # (a call queued on the thread runs whole anyway).
                    await asyncio.shield(self._run_group(group))
            # Resolved when the group committed (or failed); still pending only when the
            # group's leader was cancelled while the group ran.
            return cast(T, await entry.future)
        except BaseException:
            if not entry.taken:
                self._queued.remove(entry)
            entry.future.cancel()  # its group's outcome, if any, goes nowhere
            raise

    def _run_group(self, group: list[_Queued]) -> asyncio.Future[list[_Outcome]]:
        """Run `group` in one transaction on the thread; resolve its futures when it ends."""

        def whole() -> list[_Outcome]:
            conn = self._conn._conn  # the sqlite3 connection; we are on its thread
            return _alone(conn, group[0].work) if len(group) == 1 else _together(conn, group)

        def resolve(done: asyncio.Future[list[_Outcome]]) -> None:
            if done.cancelled():
                outcomes: list[_Outcome] = [(asyncio.CancelledError(), None)] * len(group)
            elif done.exception() is not None:
                outcomes = [(done.exception(), None)] * len(group)
            else:
                outcomes = done.result()
            for queued, (error, value) in zip(group, outcomes, strict=True):
                if queued.future.done():
                    continue
                if error is not None:
                    queued.future.set_exception(error)
                else:
                    queued.future.set_result(value)

        # aiosqlite's one way into its thread (every public method goes through it).
        into_thread = cast(
            Callable[[Callable[[], list[_Outcome]]], Coroutine[Any, Any, list[_Outcome]]],
            self._conn._execute,
        )
        task = asyncio.ensure_future(into_thread(whole))
        task.add_done_callback(resolve)
        return task

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database file and truncate it, so that erased data leaves
        the files on disk. False when another connection's reader kept part of the WAL."""
        async with self._write_lock, self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            row = await cur.fetchone()
        if row is not None and row[0]:
            log.warning(
                "Database %s: WAL checkpoint blocked by a reader; the next one finishes it",
                self.path,
            )
            return False
        return True

    async def fetchone(self, sql: str, params: Sequence[object] = ()) -> aiosqlite.Row | None:
        async with self._conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[aiosqlite.Row]:
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())
