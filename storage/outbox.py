"""The durable outbox: every outbound message is a row, written with the event causing it."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from storage.database import Database, utcnow

#: The longest a row is ever put off, in seconds (the worker's longest backoff; a longer flood
#: pause is kept in memory only). A row due later than this from now was scheduled while the
#: clock was ahead, and is due now.
MAX_DELAY = 600

#: The payload flag of a broadcast's or digest's row (bot.delivery.messages.BROADCAST): such a
#: row is stored with BROADCAST_PRIORITY and fetched after every other due row.
BROADCAST_FLAG = "broadcast"
#: A row's `priority` column (the governor's bot.delivery.governor.Priority): lower first.
CARD_PRIORITY = 1
BROADCAST_PRIORITY = 2


def priority_of(payload: dict[str, Any]) -> int:
    """The stored priority of a row with this payload."""
    return BROADCAST_PRIORITY if payload.get(BROADCAST_FLAG) else CARD_PRIORITY


@dataclass(frozen=True)
class OutboxItem:
    """A message to send: channel 'telegram' (recipient = chat id) or 'email' (an address)."""

    channel: str
    recipient: str
    kind: str  # text | photo | location | email
    payload: dict[str, Any] = field(default_factory=dict)
    case_id: int | None = None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    channel: str
    recipient: str
    kind: str
    payload: dict[str, Any]
    case_id: int | None
    attempts: int


_COLUMNS = "channel, recipient, kind, payload, case_id, priority, next_attempt_at, created_at"
#: Rows per INSERT in `insert_items` (8 parameters each, well under SQLite's limit).
_ROWS_PER_INSERT = 500


def _values(item: OutboxItem, now: str) -> tuple[object, ...]:
    payload = item.payload
    return (
        item.channel,
        item.recipient,
        item.kind,
        json.dumps(payload),
        item.case_id,
        priority_of(payload),
        now,
        now,
    )


async def enqueue(conn: aiosqlite.Connection, items: list[OutboxItem]) -> None:
    """Add rows inside the caller's transaction (all of them in one call into SQLite)."""
    if not items:
        return
    now = utcnow()
    await conn.executemany(
        f"INSERT INTO outbox ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [_values(i, now) for i in items],
    )


def insert_items(conn: sqlite3.Connection, items: list[OutboxItem]) -> None:
    """`enqueue` on the connection's own thread (inside `Database.write`): one statement for
    up to 500 rows."""
    now = utcnow()
    for start in range(0, len(items), _ROWS_PER_INSERT):
        chunk = items[start : start + _ROWS_PER_INSERT]
        conn.execute(
            f"INSERT INTO outbox ({_COLUMNS}) VALUES "
            + ", ".join("(?, ?, ?, ?, ?, ?, ?, ?)" for _ in chunk),
            [value for item in chunk for value in _values(item, now)],
        )


#: Rows about a resident's cases that went to staff (an e-mail, a staff member's chat, a
#: station group): cards and answers, carrying the resident's text, pin and photos.
_STAFF_COPIES = (
    "case_id IN (SELECT id FROM cases WHERE resident_id = ?) AND (channel = 'email'"
    " OR recipient IN (SELECT CAST(telegram_id AS TEXT) FROM staff WHERE telegram_id IS NOT NULL)"
    " OR recipient NOT IN (SELECT CAST(chat_id AS TEXT) FROM residents))"
)


async def erase_staff_copies(conn: aiosqlite.Connection, resident_id: int) -> None:
    """Inside the caller's transaction: the resident's case texts are erased, so are the copies
    sent to staff. Unsent ones are dropped (escalation re-sends the emptied card); sent ones
    keep their row, empty, so that a reply to a card still finds its case."""
    await conn.execute(
        f"DELETE FROM outbox WHERE status = 'pending' AND {_STAFF_COPIES}", (resident_id,)
    )
    await conn.execute(f"UPDATE outbox SET payload = '{{}}' WHERE {_STAFF_COPIES}", (resident_id,))


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _later(delay: float) -> str:
    """The time `delay` seconds from now (at most MAX_DELAY), as stored."""
    return _iso(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=min(delay, MAX_DELAY)))


_CHAT = (
    "FROM outbox AS e INDEXED BY outbox_recipient WHERE e.recipient = o.recipient"
    " AND e.channel = o.channel AND e.status = 'pending'"
)
_DUE = (
    "o.status = 'pending' AND (o.next_attempt_at <= ? OR o.next_attempt_at = o.created_at"
    " OR o.next_attempt_at > ?)"
)


def due_sql(first_per_chat: bool) -> str:
    """The statement of `OutboxRepository.due`. With `first_per_chat` (the worker's fetch,
    once a pass) it reads no more than it returns, whatever is pending: the first rows of the
    chats with a card pending (found from their cards, through the index outbox_pending),
    then the broadcast rows oldest first (the same index), up to the limit; each part is in
    order of id, so nothing ranks or sorts all the pending rows."""
    if not first_per_chat:
        rank = f"(SELECT MAX(e.priority) {_CHAT} AND e.id <= o.id)"
        return f"SELECT o.* FROM outbox AS o WHERE {_DUE} ORDER BY {rank}, o.id LIMIT ?"
    # A chat with a card pending: its oldest pending row, whatever its priority.
    urgent = (
        f"SELECT {CARD_PRIORITY} AS rank, o.* FROM outbox AS o NOT INDEXED WHERE o.id IN"
        " (SELECT (SELECT MIN(e.id) FROM outbox AS e INDEXED BY outbox_recipient"
        "   WHERE e.recipient = p.recipient"
        "   AND e.channel = p.channel AND e.status = 'pending')"
        f"  FROM outbox AS p WHERE p.status = 'pending' AND p.priority = {CARD_PRIORITY})"
        f" AND {_DUE} ORDER BY o.id LIMIT ?"
    )
    # A chat with only broadcast rows pending: its oldest one.
    broadcasts = (
        f"SELECT {BROADCAST_PRIORITY} AS rank, o.* FROM outbox AS o"
        f" WHERE o.priority = {BROADCAST_PRIORITY} AND {_DUE}"
        f" AND NOT EXISTS (SELECT 1 {_CHAT} AND e.id < o.id)"
        f" AND NOT EXISTS (SELECT 1 {_CHAT} AND e.priority = {CARD_PRIORITY})"
        " ORDER BY o.id LIMIT ?"
    )
    return (
        f"SELECT * FROM (SELECT * FROM ({urgent}) UNION ALL SELECT * FROM ({broadcasts}))"
        " ORDER BY rank, id LIMIT ?"
    )


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, items: list[OutboxItem]) -> None:
        async with self._db.transaction() as conn:
            await enqueue(conn, items)

    async def due(self, limit: int = 50, *, first_per_chat: bool = False) -> list[OutboxRow]:
        """Pending rows whose time has come: cards, notifications and alerts before broadcasts
        and digests, oldest first within each (a chat's messages stay in order). A card queued
        after a broadcast to thousands is in the next batch, not behind the whole broadcast.

        `first_per_chat`: only each recipient's oldest pending row, and only if it is due (what
        the worker may send next). A chat with a long queue, such as a group backing off from
        Telegram's 20 a minute, then neither fills `limit` nor holds up the others. Such a row
        ranks by the most urgent row its chat has pending: a follower's broadcast row with a
        notification behind it goes with the cards, so the notification is not held up by
        the whole broadcast either.

        Without `first_per_chat`, every due row, and a row ranks as the least urgent of its
        chat's pending rows up to it: a chat's later card never overtakes its earlier broadcast.

        Times are the wall clock's, which can step back (NTP, a wrong clock set right): a row
        never tried is due whenever it was written, and a retry is never further off than
        MAX_DELAY, so rows queued while the clock was ahead do not hold up their chat.
        """
        now = dt.datetime.now(dt.UTC)
        when = (_iso(now), _iso(now + dt.timedelta(seconds=MAX_DELAY)))
        if first_per_chat:
            params: tuple[object, ...] = (*when, limit, *when, limit, limit)
        else:
            params = (*when, limit)
        rows = await self._db.fetchall(due_sql(first_per_chat), params)
        return [
            OutboxRow(
                r["id"],
                r["channel"],
                r["recipient"],
                r["kind"],
                json.loads(r["payload"]),
                r["case_id"],
                r["attempts"],
            )
            for r in rows
        ]

    async def sent(self, row_id: int, message_id: int | None) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?,"
                " attempts = attempts + 1 WHERE id = ?",
                (utcnow(), message_id, row_id),
            )

    async def sent_many(self, sent: list[tuple[int, int | None]]) -> None:
        """Mark these rows (id, message id) sent, in one transaction and one statement."""
        if not sent:
            return
        now = utcnow()
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?,"
                " attempts = attempts + 1 WHERE id = ?",
                [(now, message_id, row_id) for row_id, message_id in sent],
            )

    async def retry(self, row_id: int, delay: float, error: str, max_attempts: int) -> None:
        when = _later(delay)
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                " status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END"
                " WHERE id = ?",
                (error[:500], when, max_attempts, row_id),
            )

    async def postpone(self, row_id: int, delay: float) -> None:
        """Flood control: try again later without counting an attempt."""
        when = _later(delay)
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE outbox SET next_attempt_at = ? WHERE id = ?", (when, row_id))

    async def dead(self, recipient: str, reason: str) -> bool:
        """The recipient cannot be reached: drop their pending rows and mark the chat.

        True when this is news: the chat was not already marked unreachable by a refusal (so
        that whoever must hear of it hears once, also across restarts, whether getChat at
        start-up or a card found it first, whatever Telegram's words; a chat that writes to
        the bot again is marked reachable, see storage.chats). A chat marked only by
        Telegram's my_chat_member (bot.services.membership), which tells nobody, is news."""
        now = utcnow()
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT active, reason FROM chats WHERE chat_id = ?", (int(recipient),)
            ) as cursor:
                known = await cursor.fetchone()
            news = known is None or bool(known[0]) or str(known[1]).startswith("my_chat_member")
            await conn.execute(
                "UPDATE outbox SET status = 'dead', last_error = ? WHERE recipient = ?"
                " AND channel = 'telegram' AND status = 'pending'",
                (reason, recipient),
            )
            await conn.execute(
                "INSERT INTO chats (chat_id, active, reason, updated_at) VALUES (?, 0, ?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET active = 0, reason = excluded.reason,"
                " updated_at = excluded.updated_at",
                (int(recipient), reason, now),
            )
        return news

    async def moved(self, old: str, new: str) -> None:
        """A group became a supergroup: pending rows follow it."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET recipient = ? WHERE recipient = ? AND status = 'pending'",
                (new, old),
            )

    async def message_case(self, chat_id: int, message_id: int) -> int | None:
        row = await self._db.fetchone(
            "SELECT case_id FROM outbox WHERE recipient = ? AND message_id = ?",
            (str(chat_id), message_id),
        )
        return int(row[0]) if row and row[0] is not None else None

    async def reference(self, case_id: int | None) -> str | None:
        """The reference of a row's case, to name it in an alert."""
        if case_id is None:
            return None
        row = await self._db.fetchone("SELECT reference FROM cases WHERE id = ?", (case_id,))
        return str(row[0]) if row else None

    async def counts(self) -> dict[str, int]:
        rows = await self._db.fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}
