"""Online backup and restore with SQLite's backup API, and the lock a running bot holds.

The backup copies one consistent snapshot (a single backup step under one read transaction)
while the bot keeps writing: WAL readers do not block writers. Restore refuses while a bot
holds the database's lock file, and keeps the database it replaces.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from storage.database import StorageError
from storage.migrations import LATEST_VERSION


class DatabaseInUse(StorageError):
    """Another process (a running bot) holds the database's lock."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


class DatabaseLock:
    """An exclusive advisory lock next to the database, held while a bot runs on it."""

    def __init__(self, handle: IO[bytes], path: Path) -> None:
        self._handle: IO[bytes] | None = handle
        self.path = path

    @classmethod
    def acquire(cls, database: Path) -> DatabaseLock:
        if database.is_dir():
            raise StorageError(f"Cannot open database {database}: it is a directory")
        path = lock_path(database)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("a+b")
        except OSError as exc:
            raise StorageError(f"Cannot open database {database}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DatabaseInUse(
                f"Database {database} is in use by another running bot (lock {path}); stop it first"
            ) from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        return cls(handle, path)

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def in_use(database: Path) -> bool:
    """True if a running bot holds the database's lock."""
    try:
        lock = DatabaseLock.acquire(database)
    except DatabaseInUse:
        return True
    lock.release()
    return False


@dataclass(frozen=True)
class Snapshot:
    path: Path
    schema: int
    cases: int
    size: int


def _inspect(path: Path) -> Snapshot:
    """Check a database file: integrity, schema version, number of cases."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise StorageError(f"{path} is damaged: {check}")
            schema = int(conn.execute("PRAGMA user_version").fetchone()[0])
            has_cases = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cases'"
            ).fetchone()
            cases = (
                int(conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0]) if has_cases else 0
            )
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path} is not a usable Trygghetsboten database: {exc}") from None
    return Snapshot(path, schema, cases, path.stat().st_size)


def _copy(source: Path, target: Path) -> None:
    """Copy with the backup API: one step, so the copy is one consistent snapshot."""
    with (
        contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
        contextlib.closing(sqlite3.connect(target, timeout=30)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = WAL")


def backup(database: Path, target: Path) -> Snapshot:
    """Write a consistent copy of `database` to `target` (a file, or a directory for it)."""
    if not database.exists():
        raise StorageError(f"Database {database} does not exist")
    if target.is_dir():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = target / f"trygghetsbot-{stamp}.sqlite3"
    if target.exists():
        raise StorageError(f"{target} exists already; choose a new file name")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(database, partial)
        snapshot = _inspect(partial)
        partial.rename(target)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise StorageError(f"Cannot write the backup {target}: {exc}") from None
    finally:
        for suffix in ("-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
    return Snapshot(target, snapshot.schema, snapshot.cases, target.stat().st_size)


def restore(source: Path, database: Path) -> tuple[Snapshot, Path | None]:
    """Replace `database` with the backup `source`; returns it and where the old one was kept.

    Refused while a bot runs on `database`. The bot migrates an older backup at start-up.
    """
    if not source.is_file():
        raise StorageError(f"Backup {source} does not exist")
    snapshot = _inspect(source)
    if snapshot.schema > LATEST_VERSION:
        raise StorageError(
            f"Backup {source} has schema version {snapshot.schema}, newer than this program "
            f"({LATEST_VERSION}): upgrade Trygghetsboten first"
        )
    lock = DatabaseLock.acquire(database)  # raises DatabaseInUse while the bot runs
    try:
        kept = None
        if database.exists():
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            kept = database.with_name(f"{database.name}.before-restore-{stamp}")
            _copy(database, kept)
        _copy(source, database)
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"Cannot restore into {database}: {exc}") from None
    finally:
        lock.release()
    return _inspect(database), kept
