"""Promise state and timeline, and the residents who follow a station."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.domain.deployment import CommitmentStatus, Deployment
from bot.domain.promises import DEFAULT_PROGRESS, CommitmentState
from storage.database import Database, marks, utcnow
from storage.outbox import OutboxItem, enqueue


@dataclass(frozen=True)
class Update:
    id: int
    commitment_id: str
    status: str | None
    progress: int | None
    text: str
    photo: str | None
    actor_id: str | None
    created_at: str


class PromiseRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def seed(self, deployment: Deployment) -> int:
        """Add commitments the database does not know yet; never overwrite a stored status,
        so editing the deployment file keeps the timeline. Returns how many were added."""
        added = 0
        now = utcnow()
        async with self._db.transaction() as conn:
            for promise in deployment.promises:
                for c in promise.commitments:
                    async with conn.execute(
                        "INSERT INTO commitment_state (commitment_id, promise_id, status, progress,"
                        " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        (c.id, promise.id, c.status.value, DEFAULT_PROGRESS[c.status], now),
                    ) as cur:
                        added += cur.rowcount
        return added

    async def states(self) -> dict[str, CommitmentState]:
        rows = await self._db.fetchall("SELECT * FROM commitment_state")
        return {
            r["commitment_id"]: CommitmentState(
                r["commitment_id"], CommitmentStatus(r["status"]), int(r["progress"])
            )
            for r in rows
        }

    async def latest_updates(self) -> dict[str, Update]:
        rows = await self._db.fetchall(
            "SELECT * FROM commitment_updates WHERE id IN"
            " (SELECT MAX(id) FROM commitment_updates GROUP BY commitment_id)"
        )
        return {r["commitment_id"]: _update(r) for r in rows}

    async def updates_between(self, start: str, end: str) -> list[Update]:
        rows = await self._db.fetchall(
            "SELECT * FROM commitment_updates WHERE created_at >= ? AND created_at < ? ORDER BY id",
            (start, end),
        )
        return [_update(r) for r in rows]

    async def publish(
        self,
        commitment_id: str,
        status: CommitmentStatus | None,
        progress: int | None,
        text: str,
        photo: str | None,
        actor_id: str | None,
        staff_id: int | None,
        items: list[OutboxItem],
        token: str | None = None,
    ) -> bool:
        """The timeline entry, the new current state and every message about it, at once.

        With a token (the pending update's), at most once: False, with nothing stored or
        queued, when an update with this token exists (checked and written in one transaction;
        commitment_updates.token is UNIQUE)."""
        now = utcnow()
        async with self._db.transaction() as conn:
            if token is not None:
                async with conn.execute(
                    "SELECT 1 FROM commitment_updates WHERE token = ?", (token,)
                ) as cur:
                    if await cur.fetchone() is not None:
                        return False
            await conn.execute(
                "INSERT INTO commitment_updates (commitment_id, status, progress, text, photo,"
                " actor_id, staff_id, created_at, token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    commitment_id,
                    status.value if status else None,
                    progress,
                    text,
                    photo,
                    actor_id,
                    staff_id,
                    now,
                    token,
                ),
            )
            if status is not None:
                await conn.execute(
                    "UPDATE commitment_state SET status = ?, progress = ?, updated_at = ?"
                    " WHERE commitment_id = ?",
                    (
                        status.value,
                        progress if progress is not None else DEFAULT_PROGRESS[status],
                        now,
                        commitment_id,
                    ),
                )
            await enqueue(conn, items)
        return True

    async def enqueue(self, items: list[OutboxItem]) -> None:
        async with self._db.transaction() as conn:
            await enqueue(conn, items)

    # ------------------------------------------------------------------ follows
    async def follow(self, resident_id: int, station_id: str) -> bool:
        async with (
            self._db.transaction() as conn,
            conn.execute(
                "INSERT INTO station_follows (resident_id, station_id, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (resident_id, station_id, utcnow()),
            ) as cur,
        ):
            return cur.rowcount > 0

    async def unfollow(self, resident_id: int, station_id: str) -> bool:
        """Stop following a station, and so its trygghetsmätning question (storage.pulse)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM pulse_consents WHERE resident_id = ? AND station_id = ?",
                (resident_id, station_id),
            )
            async with conn.execute(
                "DELETE FROM station_follows WHERE resident_id = ? AND station_id = ?",
                (resident_id, station_id),
            ) as cur:
                return cur.rowcount > 0

    async def followed(self, resident_id: int) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT station_id FROM station_follows WHERE resident_id = ? ORDER BY created_at",
            (resident_id,),
        )
        return [r["station_id"] for r in rows]

    async def followers(self, station_ids: list[str]) -> list[tuple[int, str | None]]:
        """(chat id, language) of active residents following any of these stations."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT r.chat_id, r.language FROM station_follows f"
            " JOIN residents r ON r.id = f.resident_id"
            f" WHERE f.station_id IN ({marks(station_ids)}) AND r.chat_id NOT IN"
            " (SELECT chat_id FROM chats WHERE active = 0) ORDER BY r.id",
            tuple(station_ids),
        )
        return [(int(r["chat_id"]), r["language"]) for r in rows]

    async def linked_reporters(self, commitment_id: str) -> list[tuple[int, str | None, str]]:
        """(chat id, language, reference) of residents whose cases are linked to a commitment:
        the resident's language, else the one the case was written in (as the desk's answers)."""
        rows = await self._db.fetchall(
            "SELECT r.chat_id, COALESCE(r.language, c.language) AS language, c.reference"
            " FROM cases c"
            " JOIN residents r ON r.id = c.resident_id WHERE c.commitment_id = ?"
            " AND r.chat_id NOT IN (SELECT chat_id FROM chats WHERE active = 0)",
            (commitment_id,),
        )
        return [(int(r["chat_id"]), r["language"], r["reference"]) for r in rows]

    async def reports_by_category(self, station_id: str, start: str, end: str) -> dict[str, int]:
        rows = await self._db.fetchall(
            "SELECT COALESCE(category, 'idea') AS category, COUNT(*) AS n FROM cases"
            " WHERE station_id = ? AND created_at >= ? AND created_at < ? GROUP BY 1",
            (station_id, start, end),
        )
        return {r["category"]: int(r["n"]) for r in rows}


def _update(row: aiosqlite.Row) -> Update:
    return Update(
        row["id"],
        row["commitment_id"],
        row["status"],
        row["progress"],
        row["text"],
        row["photo"],
        row["actor_id"],
        row["created_at"],
    )
