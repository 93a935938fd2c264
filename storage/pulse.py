"""The trygghetsmätning's rows (bot.domain.pulse): opt-ins, who was asked about which month,
the months' keys, and the answers, which hold a keyed pseudonym instead of any id."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage.database import Database, marks, utcnow
from storage.outbox import OutboxItem, enqueue


@dataclass(frozen=True)
class Candidate:
    """A resident who agreed to the question about a station they follow."""

    resident_id: int
    chat_id: int
    language: str | None
    station_id: str


@dataclass(frozen=True)
class Answer:
    station_id: str
    month: str
    score: int
    category: str | None


class PulseRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ opt-in
    async def give(self, resident_id: int, station_id: str) -> bool:
        """Agree to the monthly question about a station; False if already agreed."""
        async with (
            self._db.transaction() as conn,
            conn.execute(
                "INSERT INTO pulse_consents (resident_id, station_id, given_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (resident_id, station_id, utcnow()),
            ) as cur,
        ):
            return cur.rowcount > 0

    async def withdraw(self, resident_id: int, station_id: str | None = None) -> int:
        """Stop the question about one station (None: every station); the rows removed."""
        sql = "DELETE FROM pulse_consents WHERE resident_id = ?"
        params: tuple[object, ...] = (resident_id,)
        if station_id is not None:
            sql += " AND station_id = ?"
            params += (station_id,)
        async with self._db.transaction() as conn, conn.execute(sql, params) as cur:
            return cur.rowcount

    async def withdraw_chat(self, chat_id: int) -> int:
        """Stop every question to this chat (it blocked the bot, say)."""
        async with (
            self._db.transaction() as conn,
            conn.execute(
                "DELETE FROM pulse_consents WHERE resident_id IN"
                " (SELECT id FROM residents WHERE chat_id = ?)",
                (chat_id,),
            ) as cur,
        ):
            return cur.rowcount

    async def consents(self, resident_id: int) -> list[str]:
        """The stations this resident agreed to be asked about, oldest first."""
        rows = await self._db.fetchall(
            "SELECT station_id FROM pulse_consents WHERE resident_id = ? ORDER BY given_at",
            (resident_id,),
        )
        return [r["station_id"] for r in rows]

    # ------------------------------------------------------------------ asking
    async def not_asked(self, month: str) -> list[Candidate]:
        """Opt-ins not yet asked about `month`: the resident still follows the station and
        their chat is not known to be unreachable."""
        rows = await self._db.fetchall(
            "SELECT p.resident_id, r.chat_id, r.language, p.station_id FROM pulse_consents p"
            " JOIN residents r ON r.id = p.resident_id"
            " JOIN station_follows f ON f.resident_id = p.resident_id"
            "  AND f.station_id = p.station_id"
            " WHERE r.chat_id NOT IN (SELECT chat_id FROM chats WHERE active = 0)"
            " AND NOT EXISTS (SELECT 1 FROM pulse_asked a WHERE a.resident_id = p.resident_id"
            "  AND a.station_id = p.station_id AND a.month = ?)"
            " ORDER BY p.resident_id, p.station_id",
            (month,),
        )
        return [
            Candidate(int(r["resident_id"]), int(r["chat_id"]), r["language"], r["station_id"])
            for r in rows
        ]

    async def ask(
        self, resident_id: int, station_id: str, month: str, items: list[OutboxItem]
    ) -> bool:
        """Record that the resident is asked about `month` and queue the question, in one
        transaction; False, with nothing queued, if they were asked about it before."""
        async with self._db.transaction() as conn:
            async with conn.execute(
                "INSERT INTO pulse_asked (resident_id, station_id, month, asked_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (resident_id, station_id, month, utcnow()),
            ) as cur:
                if cur.rowcount == 0:
                    return False
            await enqueue(conn, items)
        return True

    async def was_asked(self, resident_id: int, station_id: str, month: str) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM pulse_asked WHERE resident_id = ? AND station_id = ? AND month = ?",
            (resident_id, station_id, month),
        )
        return row is not None

    async def asked(self, resident_id: int) -> list[tuple[str, str, str]]:
        """(station, month, asked at) of each question this resident was sent."""
        rows = await self._db.fetchall(
            "SELECT station_id, month, asked_at FROM pulse_asked WHERE resident_id = ?"
            " ORDER BY month, station_id",
            (resident_id,),
        )
        return [(r["station_id"], r["month"], r["asked_at"]) for r in rows]

    # ------------------------------------------------------------------ keys
    async def key(self, month: str) -> bytes:
        """The month's pseudonym key, made (32 random bytes) on first use."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO pulse_keys (month, key) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (month, secrets.token_bytes(32)),
            )
            async with conn.execute("SELECT key FROM pulse_keys WHERE month = ?", (month,)) as cur:
                row = await cur.fetchone()
        assert row is not None
        return bytes(row[0])

    async def keys(self) -> dict[str, bytes]:
        """Every month's key still kept."""
        rows = await self._db.fetchall("SELECT month, key FROM pulse_keys ORDER BY month")
        return {r["month"]: bytes(r["key"]) for r in rows}

    # ------------------------------------------------------------------ answers
    async def answer(self, pseudonym: str, station_id: str, month: str, score: int) -> bool:
        """Store (or change) an answer; True if it is the first for this pseudonym, station
        and month."""
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT 1 FROM pulse_answers WHERE pseudonym = ? AND station_id = ? AND month = ?",
                (pseudonym, station_id, month),
            ) as cur:
                first = await cur.fetchone() is None
            await conn.execute(
                "INSERT INTO pulse_answers (pseudonym, station_id, month, score)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (pseudonym, station_id, month)"
                " DO UPDATE SET score = excluded.score",
                (pseudonym, station_id, month, score),
            )
        return first

    async def set_category(
        self, pseudonym: str, station_id: str, month: str, category: str | None
    ) -> bool:
        """What would make the most difference, on an answer given; False: no such answer."""
        async with (
            self._db.transaction() as conn,
            conn.execute(
                "UPDATE pulse_answers SET category = ? WHERE pseudonym = ? AND station_id = ?"
                " AND month = ?",
                (category, pseudonym, station_id, month),
            ) as cur,
        ):
            return cur.rowcount > 0

    async def answers_of(self, pseudonyms: Iterable[tuple[str, str]]) -> list[Answer]:
        """The answers under these (month, pseudonym) pairs."""
        found: list[Answer] = []
        for month, pseudonym in pseudonyms:
            rows = await self._db.fetchall(
                "SELECT station_id, month, score, category FROM pulse_answers"
                " WHERE pseudonym = ? AND month = ? ORDER BY station_id",
                (pseudonym, month),
            )
            found += [
                Answer(r["station_id"], r["month"], int(r["score"]), r["category"]) for r in rows
            ]
        return found

    async def counts(
        self, station_ids: Sequence[str], first_month: str, last_month: str
    ) -> dict[tuple[str, str], dict[int, int]]:
        """Answers per (station, month) and score, for months first..last (YYYY-MM)."""
        rows = await self._db.fetchall(
            "SELECT station_id, month, score, COUNT(*) AS n FROM pulse_answers"
            f" WHERE station_id IN ({marks(station_ids)}) AND month BETWEEN ? AND ?"
            " GROUP BY station_id, month, score",
            (*station_ids, first_month, last_month),
        )
        out: dict[tuple[str, str], dict[int, int]] = {}
        for r in rows:
            out.setdefault((r["station_id"], r["month"]), {})[int(r["score"])] = int(r["n"])
        return out

    async def categories(
        self, station_ids: Sequence[str], first_month: str, last_month: str
    ) -> dict[str, int]:
        """How often each category was chosen as what would make the most difference."""
        rows = await self._db.fetchall(
            "SELECT category, COUNT(*) AS n FROM pulse_answers"
            f" WHERE station_id IN ({marks(station_ids)}) AND month BETWEEN ? AND ?"
            " AND category IS NOT NULL GROUP BY category",
            (*station_ids, first_month, last_month),
        )
        return {r["category"]: int(r["n"]) for r in rows}

    # ------------------------------------------------------------------ retention
    async def forget_before(self, month: str) -> tuple[int, int]:
        """Delete the keys, and who was asked, of the months before `month`: their answers
        stay as anonymous statistics that nobody can tie to a resident. (keys, asked rows)."""
        async with self._db.transaction() as conn:
            async with conn.execute("DELETE FROM pulse_keys WHERE month < ?", (month,)) as cur:
                keys = cur.rowcount
            async with conn.execute("DELETE FROM pulse_asked WHERE month < ?", (month,)) as cur:
                asked = cur.rowcount
        return keys, asked
