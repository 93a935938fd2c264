"""Chats the bot can or cannot reach: a row in `chats` with active = 0 is one Telegram said
is gone (blocked, kicked, deleted). No row means reachable."""

from __future__ import annotations

import sqlite3

from storage.database import Database, utcnow


class ChatRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def is_active(self, chat_id: int) -> bool:
        row = await self._db.fetchone("SELECT active FROM chats WHERE chat_id = ?", (chat_id,))
        return row is None or bool(row["active"])

    async def set_active(self, chat_id: int, active: bool, reason: str) -> bool:
        """Record whether the bot can reach a chat; True when this changed what was known."""
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT active FROM chats WHERE chat_id = ?", (chat_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if (row is None and active) or (row is not None and bool(row[0]) == active):
                return False
            await conn.execute(
                "INSERT INTO chats (chat_id, active, reason, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET active = excluded.active,"
                " reason = excluded.reason, updated_at = excluded.updated_at",
                (chat_id, int(active), reason, utcnow()),
            )
        return True

    async def reactivate(self, chat_id: int, reason: str) -> bool:
        """An update came from the chat: it is reachable again. Reads first, so the usual
        case (nothing recorded) writes nothing; True when the chat was inactive."""
        if await self.is_active(chat_id):
            return False
        return await self.set_active(chat_id, True, reason)


def unreachable(conn: sqlite3.Connection) -> dict[int, str]:
    """Chats marked unreachable, with the reason recorded (Telegram's refusal, or its
    my_chat_member). Synchronous, on the caller's connection: `trygghetsbot doctor` reads the
    file read-only."""
    rows = conn.execute("SELECT chat_id, reason FROM chats WHERE active = 0").fetchall()
    return {int(r[0]): str(r[1] or "") for r in rows}
