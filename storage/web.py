"""Web sign-in: one-time links and sessions, both stored as hashes of their tokens."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database


@dataclass(frozen=True)
class Link:
    staff_id: int
    expires_at: str
    used_at: str | None


class WebRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_link(
        self,
        token_hash: str,
        staff_id: int,
        now: str,
        expires_at: str,
        *,
        window_start: str,
        limit: int,
    ) -> bool:
        """Store a new link and void the member's earlier unused ones (as used now), unless
        they got `limit` links since `window_start`: then False and nothing changes."""
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT COUNT(*) FROM web_links WHERE staff_id = ? AND created_at > ?",
                (staff_id, window_start),
            ) as cur:
                row = await cur.fetchone()
            if row is not None and int(row[0]) >= limit:
                return False
            await conn.execute(
                "UPDATE web_links SET used_at = ? WHERE staff_id = ? AND used_at IS NULL",
                (now, staff_id),
            )
            await conn.execute(
                "INSERT INTO web_links (token_hash, staff_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_hash, staff_id, now, expires_at),
            )
        return True

    async def link(self, token_hash: str) -> Link | None:
        row = await self._db.fetchone(
            "SELECT staff_id, expires_at, used_at FROM web_links WHERE token_hash = ?",
            (token_hash,),
        )
        return Link(row["staff_id"], row["expires_at"], row["used_at"]) if row else None

    async def consume_link(self, token_hash: str, now: str) -> int | None:
        """Mark an unused, unexpired link used, in one statement: its staff id, or None
        (unknown, used or expired). Two requests with one link: only one gets the id."""
        async with (
            self._db.transaction() as conn,
            conn.execute(
                "UPDATE web_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
                " AND expires_at > ? RETURNING staff_id",
                (now, token_hash, now),
            ) as cur,
        ):
            rows = list(await cur.fetchall())
        return int(rows[0][0]) if rows else None

    async def add_session(self, session_hash: str, staff_id: int, now: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO web_sessions (session_hash, staff_id, created_at, last_seen)"
                " VALUES (?, ?, ?, ?)",
                (session_hash, staff_id, now, now),
            )

    async def touch_session(
        self, session_hash: str, now: str, idle_since: str, born_since: str
    ) -> int | None:
        """A live session's staff id, its last request now: None when it ended, was idle
        since before `idle_since`, was created before `born_since` (too old however busy),
        or its staff member no longer has access."""
        async with (
            self._db.transaction() as conn,
            conn.execute(
                "UPDATE web_sessions SET last_seen = ? WHERE session_hash = ?"
                " AND ended_at IS NULL AND last_seen > ? AND created_at > ?"
                " AND staff_id IN (SELECT id FROM staff WHERE active = 1) RETURNING staff_id",
                (now, session_hash, idle_since, born_since),
            ) as cur,
        ):
            rows = list(await cur.fetchall())
        return int(rows[0][0]) if rows else None

    async def end_session(self, session_hash: str, now: str) -> int | None:
        """End a session: its staff id, or None when it had already ended."""
        async with (
            self._db.transaction() as conn,
            conn.execute(
                "UPDATE web_sessions SET ended_at = ? WHERE session_hash = ?"
                " AND ended_at IS NULL RETURNING staff_id",
                (now, session_hash),
            ) as cur,
        ):
            rows = list(await cur.fetchall())
        return int(rows[0][0]) if rows else None
