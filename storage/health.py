"""What `trygghetsbot doctor` asks a database file, on a plain sqlite3 connection."""

from __future__ import annotations

import sqlite3


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def journal_mode(conn: sqlite3.Connection) -> str:
    return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def probe_write_lock(conn: sqlite3.Connection) -> None:
    """Take the write lock and give it back at once; sqlite3.OperationalError if it cannot
    (SQLITE_BUSY: another writer holds it past the busy timeout)."""
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("ROLLBACK")


def quick_check(conn: sqlite3.Connection) -> str:
    """SQLite's quick_check: "ok", or the first problem it found."""
    return str(conn.execute("PRAGMA quick_check").fetchone()[0])
