"""Conversation states and per-user/per-chat data of the bot, stored as JSON.

A user's row also says when its draft (the intake's user_data key DRAFT) last changed
(`draft_changed_at`), for the draft's expiry (bot.drafts): a write that leaves the draft as
it was keeps the time, a write without a draft clears it.
"""

from __future__ import annotations

import json
from typing import Any

from storage.database import Database, utcnow

#: The user_data key of the resident's draft (bot.handlers.intake.DRAFT; a test checks).
DRAFT = "draft"
_TABLES = {"user": ("ptb_user_data", "user_id"), "chat": ("ptb_chat_data", "chat_id")}


class BotStateRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all_data(self, kind: str) -> dict[int, dict[Any, Any]]:
        table, column = _TABLES[kind]
        rows = await self._db.fetchall(f"SELECT {column}, data FROM {table}")
        return {int(r[column]): json.loads(r["data"]) for r in rows}

    async def put_data(self, kind: str, key: int, data: dict[Any, Any]) -> None:
        """Store the data of one user or chat; empty data removes the row."""
        table, column = _TABLES[kind]
        async with self._db.transaction() as conn:
            if data and kind == "user":
                # The draft's time moves only when the draft differs from the stored one.
                changed = utcnow() if isinstance(data.get(DRAFT), dict) else None
                await conn.execute(
                    "INSERT INTO ptb_user_data (user_id, data, draft_changed_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (user_id) DO UPDATE SET data = excluded.data,"
                    " draft_changed_at = CASE WHEN excluded.draft_changed_at IS NULL THEN NULL"
                    "  WHEN json_extract(ptb_user_data.data, '$.draft')"
                    "   IS json_extract(excluded.data, '$.draft')"
                    "  THEN coalesce(ptb_user_data.draft_changed_at, excluded.draft_changed_at)"
                    "  ELSE excluded.draft_changed_at END",
                    (key, json.dumps(data), changed),
                )
            elif data:
                await conn.execute(
                    f"INSERT INTO {table} ({column}, data) VALUES (?, ?)"
                    f" ON CONFLICT ({column}) DO UPDATE SET data = excluded.data",
                    (key, json.dumps(data)),
                )
            else:
                await conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (key,))

    async def stale_drafts(self, before: str) -> list[tuple[int, dict[str, Any]]]:
        """Users whose draft has not changed since `before` (ISO, UTC), with that draft."""
        rows = await self._db.fetchall(
            "SELECT user_id, json_extract(data, '$.draft') AS draft FROM ptb_user_data"
            " WHERE draft_changed_at < ? ORDER BY draft_changed_at",
            (before,),
        )
        return [(int(r["user_id"]), json.loads(r["draft"])) for r in rows if r["draft"]]

    async def conversations(self, name: str) -> dict[tuple[int | str, ...], object]:
        rows = await self._db.fetchall(
            "SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)
        )
        return {tuple(json.loads(r["key"])): json.loads(r["state"]) for r in rows}

    async def put_conversation(
        self, name: str, key: tuple[int | str, ...], state: object | None
    ) -> None:
        async with self._db.transaction() as conn:
            if state is None:
                await conn.execute(
                    "DELETE FROM ptb_conversations WHERE name = ? AND key = ?",
                    (name, json.dumps(list(key))),
                )
            else:
                await conn.execute(
                    "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?)"
                    " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
                    (name, json.dumps(list(key)), json.dumps(state)),
                )
