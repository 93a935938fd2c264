"""What a crash leaves behind, for tests of updates Telegram delivers again.

python-telegram-bot writes its persistence (drafts, conversation states) about once a second;
a bot killed in between comes back with the state from before. `snapshot` and `restore` put
that state back by hand, so an in-process test can replay the crash exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

PTB_TABLES = ("ptb_user_data", "ptb_chat_data", "ptb_conversations")
Rows = dict[str, list[tuple[object, ...]]]


def snapshot(database: Path) -> Rows:
    """What PTB's persistence has written (user data, conversation states), as rows."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in PTB_TABLES}


def restore(database: Path, rows: Rows) -> None:
    """Put persistence back as it was: what a crash within its ~1 s flush interval leaves."""
    with contextlib.closing(sqlite3.connect(database)) as conn, conn:
        for table, table_rows in rows.items():
            conn.execute(f"DELETE FROM {table}")
            if table_rows:
                marks = ", ".join("?" for _ in table_rows[0])
                conn.executemany(f"INSERT INTO {table} VALUES ({marks})", table_rows)


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait for a condition of the database or of another process (nothing wakes us on
    those, so it is checked every few milliseconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)
