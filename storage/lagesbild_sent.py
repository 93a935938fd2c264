"""Which monthly lägesbild each admin was sent (bot.services.lagesbild_send), recorded in the
same transaction as its outbox row: once recorded, never queued again, unless its row died
because the chat could not be reached (`forget_dead`).

Each such row carries the flag `lagesbild` in its payload: {"month", "staff", "area"}."""

from __future__ import annotations

import json

from storage.database import Database, utcnow
from storage.outbox import OutboxItem, enqueue


class LagesbildSentRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def sent(self, month: str, staff_id: int) -> set[str]:
        """The areas whose lägesbild of `month` this staff member was sent."""
        rows = await self._db.fetchall(
            "SELECT area FROM lagesbild_sent WHERE month = ? AND staff_id = ?", (month, staff_id)
        )
        return {str(row["area"]) for row in rows}

    async def send(self, month: str, staff_id: int, area: str, item: OutboxItem) -> bool:
        """Queue `item` and record it as this month's lägesbild of `area` for this member,
        together; False (nothing queued) if it was recorded already."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO lagesbild_sent (month, staff_id, area, sent_at)"
                " VALUES (?, ?, ?, ?)",
                (month, staff_id, area, utcnow()),
            )
            if cursor.rowcount != 1:
                return False
            await enqueue(conn, [item])
        return True

    async def forget_dead(self, month: str) -> int:
        """Forget the lägesbild of `month` whose rows died because the chat could not be
        reached (storage.outbox: `dead`), so they are sent again; each such row loses its flag,
        so it is forgotten once. The number forgotten."""
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT id, json_extract(payload, '$.lagesbild.staff') AS staff,"
                " json_extract(payload, '$.lagesbild.area') AS area FROM outbox"
                " WHERE status = 'dead' AND json_extract(payload, '$.lagesbild.month') = ?",
                (month,),
            ) as cursor:
                rows = list(await cursor.fetchall())
            for row in rows:
                await conn.execute(
                    "DELETE FROM lagesbild_sent WHERE month = ? AND staff_id = ? AND area = ?",
                    (month, row["staff"], row["area"]),
                )
                await conn.execute(
                    "UPDATE outbox SET payload = json_remove(payload, '$.lagesbild') WHERE id = ?",
                    (row["id"],),
                )
        return len(rows)

    async def pending_files(self) -> set[str]:
        """The files (relative to the media directory) that pending documents and e-mails are
        still to send."""
        rows = await self._db.fetchall(
            "SELECT payload FROM outbox WHERE status = 'pending' AND kind IN ('document', 'email')"
        )
        found: set[str] = set()
        for row in rows:
            payload = json.loads(row["payload"])
            found.update(str(p) for p in payload.get("photos", []))
            if "path" in payload:
                found.add(str(payload["path"]))
        return found
