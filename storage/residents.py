"""Residents: the people who report, identified only by their chat id."""

from __future__ import annotations

import aiosqlite

from bot.domain.models import Resident
from storage.database import Database, utcnow


def _resident(row: aiosqlite.Row) -> Resident:
    return Resident(
        id=row["id"],
        chat_id=row["chat_id"],
        language=row["language"],
        home_station=row["home_station"],
        created_at=row["created_at"],
    )


class ResidentRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_by_chat(self, chat_id: int) -> Resident | None:
        row = await self._db.fetchone("SELECT * FROM residents WHERE chat_id = ?", (chat_id,))
        return _resident(row) if row else None

    async def chat_of(self, resident_id: int) -> int | None:
        """The chat id of a resident (None when the row is gone)."""
        row = await self._db.fetchone("SELECT chat_id FROM residents WHERE id = ?", (resident_id,))
        return int(row[0]) if row else None

    async def touch(self, chat_id: int, language: str | None = None) -> Resident:
        """Return the resident for `chat_id`, creating it on first contact."""
        now = utcnow()
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO residents (chat_id, language, created_at, last_seen_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
                (chat_id, language, now, now),
            )
        resident = await self.get_by_chat(chat_id)
        assert resident is not None  # just written
        return resident

    async def set_language(self, resident_id: int, language: str) -> None:
        """The language the resident chose in the bot (/sprak): it counts as chosen, for
        staff too (storage.staff)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE residents SET language = ?, language_chosen = 1 WHERE id = ?",
                (language, resident_id),
            )

    async def assume_language(self, resident_id: int, language: str) -> None:
        """A language to answer the resident in while they have none (Telegram's): not a
        choice, and never over one."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE residents SET language = ? WHERE id = ? AND language IS NULL",
                (language, resident_id),
            )

    async def set_home_station(self, resident_id: int, station_id: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE residents SET home_station = ? WHERE id = ?", (station_id, resident_id)
            )

    async def add_consent(self, resident_id: int, notice_version: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO consents (resident_id, notice_version, given_at) VALUES (?, ?, ?)",
                (resident_id, notice_version, utcnow()),
            )

    async def has_consent(self, resident_id: int, notice_version: str) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM consents WHERE resident_id = ? AND notice_version = ?",
            (resident_id, notice_version),
        )
        return row is not None
