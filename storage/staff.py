"""Staff: officers and partners from the deployment file or linked by an invite code."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
from dataclasses import dataclass

import aiosqlite

from bot.domain.deployment import Role
from bot.domain.models import AlreadyStaff, InviteError, Staff
from storage.database import Database, utcnow

__all__ = [
    "AlreadyStaff",
    "InviteError",
    "Staff",
    "StaffEntry",
    "StaffRepository",
    "linked_by_code",
]

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed by hand


@dataclass(frozen=True)
class StaffEntry:
    """A staff member as the deployment file lists them."""

    name: str
    role: str
    actor_id: str
    stations: tuple[str, ...]
    telegram_id: int | None
    email: str | None

    @property
    def key(self) -> str:
        return f"tg:{self.telegram_id}" if self.telegram_id else f"mail:{self.email}"


#: A staff row's columns with their own language choice in the bot (the residents' row of
#: their chat, when /sprak set it: a language taken from Telegram there is no choice):
#: read as `_staff` expects, `s` being the staff table.
COLUMNS = (
    "s.*, (SELECT r.language FROM residents r WHERE r.chat_id = s.telegram_id"
    " AND r.language_chosen = 1) AS chosen_language"
)


def _staff(row: aiosqlite.Row) -> Staff:
    keys = row.keys()
    return Staff(
        id=row["id"],
        telegram_id=row["telegram_id"],
        name=row["name"],
        role=Role(row["role"]),
        actor_id=row["actor_id"],
        stations=tuple(json.loads(row["stations"])),
        email=row["email"],
        source=row["source"],
        active=bool(row["active"]),
        chosen_language=row["chosen_language"] if "chosen_language" in keys else None,
        telegram_language=row["telegram_language"] if "telegram_language" in keys else None,
    )


def linked_by_code(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """(name, Telegram id) of active staff linked by an invite code, not by the file.

    Synchronous, on the caller's connection: `trygghetsbot doctor` reads the file read-only.
    """
    rows = conn.execute(
        "SELECT name, telegram_id FROM staff WHERE active = 1 AND source = 'invite'"
        " AND telegram_id IS NOT NULL ORDER BY name"
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


class StaffRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def sync_deployment(self, entries: list[StaffEntry]) -> None:
        """Make the deployment file the truth for everyone it lists or listed.

        A listed person's row becomes a file row (whatever linked it first), so taking them
        out of the file ends their access; staff only ever linked by a code stay.
        """
        now = utcnow()
        keys = [e.key for e in entries]
        async with self._db.transaction() as conn:
            for e in entries:
                await conn.execute(
                    "INSERT INTO staff (key, telegram_id, name, role, actor_id, stations, email,"
                    " source, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'deployment', 1, ?)"
                    " ON CONFLICT (key) DO UPDATE SET name = excluded.name, role = excluded.role,"
                    " actor_id = excluded.actor_id, stations = excluded.stations,"
                    " email = excluded.email, source = 'deployment', active = 1,"
                    " revoked_at = NULL",
                    (
                        e.key,
                        e.telegram_id,
                        e.name,
                        e.role,
                        e.actor_id,
                        json.dumps(list(e.stations)),
                        e.email,
                        now,
                    ),
                )
            marks = ", ".join("?" for _ in keys)  # empty: everyone (NOT IN (NULL) is no one)
            await conn.execute(
                f"UPDATE staff SET active = 0, revoked_at = ? WHERE source = 'deployment'"
                f" AND active = 1 AND key NOT IN ({marks})",
                (now, *keys),
            )

    async def by_telegram(self, telegram_id: int) -> Staff | None:
        row = await self._db.fetchone(
            f"SELECT {COLUMNS} FROM staff s WHERE telegram_id = ? AND active = 1", (telegram_id,)
        )
        return _staff(row) if row else None

    async def get(self, staff_id: int) -> Staff | None:
        row = await self._db.fetchone(f"SELECT {COLUMNS} FROM staff s WHERE id = ?", (staff_id,))
        return _staff(row) if row else None

    async def active(self) -> list[Staff]:
        rows = await self._db.fetchall(
            f"SELECT {COLUMNS} FROM staff s WHERE active = 1 ORDER BY name"
        )
        return [_staff(r) for r in rows]

    async def note_telegram_language(self, staff_id: int, code: str | None) -> None:
        """Remember the language Telegram reports for a staff member (only a change writes)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE staff SET telegram_language = ? WHERE id = ?"
                " AND telegram_language IS NOT ?",
                (code, staff_id, code),
            )

    async def unreachable(self) -> set[int]:
        """Telegram ids of active staff whose chat Telegram refused (storage.chats): they
        never opened the bot, blocked it or deleted their account, until they write again."""
        rows = await self._db.fetchall(
            "SELECT chat_id FROM chats WHERE active = 0 AND chat_id IN"
            " (SELECT telegram_id FROM staff WHERE active = 1 AND telegram_id IS NOT NULL)"
        )
        return {int(r[0]) for r in rows}

    async def revoke(self, staff_id: int) -> bool:
        """End an invited member's access; the file's staff are removed from the file."""
        async with (
            self._db.transaction() as conn,
            conn.execute(
                "UPDATE staff SET active = 0, revoked_at = ? WHERE id = ? AND active = 1"
                " AND source = 'invite'",
                (utcnow(), staff_id),
            ) as cur,
        ):
            return cur.rowcount > 0

    async def create_invite(
        self, role: str, actor_id: str, stations: list[str], created_by: int | None, hours: int
    ) -> tuple[str, str]:
        """A one-time code and its expiry (ISO, UTC)."""
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        now = dt.datetime.now(dt.UTC)
        expires = (now + dt.timedelta(hours=hours)).isoformat(timespec="seconds")
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO invites (code, role, actor_id, stations, created_by, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (code, role, actor_id, json.dumps(stations), created_by, utcnow(), expires),
            )
        return code, expires

    async def redeem(self, code: str, telegram_id: int, name: str) -> Staff:
        """Link a Telegram account with a valid, unused invite code.

        Someone who already has access keeps exactly that: a code never widens or replaces
        an active row (nor takes a row out of the deployment file), and stays unused.
        """
        now = utcnow()
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT * FROM staff WHERE telegram_id = ? AND active = 1", (telegram_id,)
            ) as cur:
                current = await cur.fetchone()
            if current is not None:
                raise AlreadyStaff(_staff(current))
            async with conn.execute(
                "SELECT * FROM invites WHERE code = ? AND used_at IS NULL AND expires_at > ?",
                (code.strip().upper(), now),
            ) as cur:
                invite = await cur.fetchone()
            if invite is None:
                raise InviteError(code)
            await conn.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE code = ?",
                (telegram_id, now, invite["code"]),
            )
            await conn.execute(
                "INSERT INTO staff (key, telegram_id, name, role, actor_id, stations, source,"
                " active, created_at) VALUES (?, ?, ?, ?, ?, ?, 'invite', 1, ?)"
                " ON CONFLICT (key) DO UPDATE SET name = excluded.name, role = excluded.role,"
                " actor_id = excluded.actor_id, stations = excluded.stations, active = 1,"
                " revoked_at = NULL, source = 'invite'",
                (
                    f"tg:{telegram_id}",
                    telegram_id,
                    name,
                    invite["role"],
                    invite["actor_id"],
                    invite["stations"],
                    now,
                ),
            )
        staff = await self.by_telegram(telegram_id)
        assert staff is not None
        return staff
