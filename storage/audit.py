"""The audit log: who exported what, who looked at which case, and when."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from storage.database import Database, utcnow


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def log(self, who: str, action: str, details: dict[str, Any]) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO audit (who, action, details, created_at) VALUES (?, ?, ?, ?)",
                (who, action, json.dumps(details, ensure_ascii=False, sort_keys=True), utcnow()),
            )

    async def recent(self, limit: int = 100) -> list[aiosqlite.Row]:
        return await self._db.fetchall("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))

    async def page(self, offset: int, limit: int) -> list[aiosqlite.Row]:
        """Entries newest first, `limit` of them after the newest `offset`."""
        return await self._db.fetchall(
            "SELECT * FROM audit ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
        )
