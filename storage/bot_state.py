"""Conversation states and per-user/per-chat data of the bot, stored as JSON."""

from __future__ import annotations

import json
from typing import Any

from storage.database import Database

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
            if data:
                await conn.execute(
                    f"INSERT INTO {table} ({column}, data) VALUES (?, ?)"
                    f" ON CONFLICT ({column}) DO UPDATE SET data = excluded.data",
                    (key, json.dumps(data)),
                )
            else:
                await conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (key,))

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
