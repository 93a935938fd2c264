"""Everything stored about one resident: export it, or erase it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.lifecycle import NOTIFY_RESIDENT
from storage.database import Database
from storage.outbox import erase_staff_copies

#: A resident's (month, pseudonym) pairs of the months whose pulse key is kept, by chat id.
PulseOf = Callable[[int], Sequence[tuple[str, str]]]

#: The case events whose note is the resident's words or was written to the resident: their
#: answers, and the officers' messages to them (a question, the closing note of a resolved or
#: set-aside case), which often quote the resident's place or words. Forwarding and linking
#: note an actor's or a commitment's id: those stay.
RESIDENT_NOTES = ("answer", *sorted(a.value for a in NOTIFY_RESIDENT))


@dataclass(frozen=True)
class Erased:
    """What an erasure did: cases unlinked, and the photo files to delete from disk."""

    cases: int
    photos: tuple[str, ...] = ()


class PrivacyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def export(self, chat_id: int) -> dict[str, Any]:
        """Every row that concerns this resident, as plain data."""
        db = self._db
        resident = await db.fetchone("SELECT * FROM residents WHERE chat_id = ?", (chat_id,))
        out: dict[str, Any] = {"chat_id": chat_id}
        if resident is None:
            return out | {"profile": None}
        rid = resident["id"]

        async def rows(sql: str, *params: object) -> list[dict[str, Any]]:
            return [dict(r) for r in await db.fetchall(sql, params)]

        out["profile"] = dict(resident)
        out["consents"] = await rows(
            "SELECT notice_version, given_at FROM consents WHERE resident_id = ?", rid
        )
        out["cases"] = await rows(
            "SELECT reference, kind, station_id, category, status, place_text, lat, lon, times,"
            " description, language, created_at FROM cases WHERE resident_id = ?",
            rid,
        )
        out["supported_cases"] = await rows(
            "SELECT c.reference, s.created_at FROM case_supporters s"
            " JOIN cases c ON c.id = s.case_id WHERE s.resident_id = ?",
            rid,
        )
        out["answers"] = await rows(
            "SELECT c.reference, e.note, e.created_at FROM case_events e"
            " JOIN cases c ON c.id = e.case_id WHERE e.action = 'answer' AND c.resident_id = ?",
            rid,
        )
        out["messages_to_you"] = await rows(
            "SELECT kind, payload, status, created_at, sent_at FROM outbox WHERE recipient = ?",
            str(chat_id),
        )
        for message in out["messages_to_you"]:
            message["payload"] = json.loads(message["payload"])
        out["followed_stations"] = await rows(
            "SELECT station_id, created_at FROM station_follows WHERE resident_id = ?", rid
        )
        drafts = await db.fetchone("SELECT data FROM ptb_user_data WHERE user_id = ?", (chat_id,))
        out["draft"] = json.loads(drafts["data"]) if drafts else None
        return out

    async def erase(
        self, chat_id: int, keep_text: bool, pulse: Sequence[tuple[str, str]] = ()
    ) -> Erased:
        """Remove the resident's identity and personal data; cases stay, unlinked.

        With `keep_text=False` their cases lose the free text, place, pin and photos too, and
        so do their answers, the officers' messages to them (RESIDENT_NOTES) and the copies
        sent to staff. `pulse`: the resident's (month, pseudonym) pairs of the months whose
        key is kept; their trygghetsmätning answers go in the same transaction.
        """
        async with self._db.transaction() as conn:
            await conn.executemany(
                "DELETE FROM pulse_answers WHERE month = ? AND pseudonym = ?", list(pulse)
            )
            async with conn.execute(
                "SELECT id FROM residents WHERE chat_id = ?", (chat_id,)
            ) as cur:
                row = await cur.fetchone()
            cases = 0
            photos: list[str] = []
            if row is not None:
                rid = row[0]
                if not keep_text:
                    mine = "case_id IN (SELECT id FROM cases WHERE resident_id = ?)"
                    async with conn.execute(
                        f"SELECT path FROM case_photos WHERE {mine}", (rid,)
                    ) as cur:
                        photos = [r[0] for r in await cur.fetchall()]
                    await conn.execute(f"DELETE FROM case_photos WHERE {mine}", (rid,))
                    await erase_staff_copies(conn, rid)
                    actions = ", ".join("?" * len(RESIDENT_NOTES))
                    await conn.execute(
                        f"UPDATE case_events SET note = NULL WHERE action IN ({actions}) AND"
                        " case_id IN (SELECT id FROM cases WHERE resident_id = ?)",
                        (*RESIDENT_NOTES, rid),
                    )
                    await conn.execute(
                        "UPDATE cases SET description = '', place_text = NULL, lat = NULL,"
                        " lon = NULL WHERE resident_id = ?",
                        (rid,),
                    )
                async with conn.execute(
                    "UPDATE cases SET resident_id = NULL WHERE resident_id = ?", (rid,)
                ) as cur:
                    cases = cur.rowcount
                for table in (
                    "station_follows",
                    "case_supporters",
                    "consents",
                    "pulse_consents",
                    "pulse_asked",
                ):
                    await conn.execute(f"DELETE FROM {table} WHERE resident_id = ?", (rid,))
                await conn.execute("DELETE FROM residents WHERE id = ?", (rid,))
            await conn.execute("DELETE FROM outbox WHERE recipient = ?", (str(chat_id),))
            await conn.execute("DELETE FROM chats WHERE chat_id = ?", (chat_id,))
            await conn.execute("DELETE FROM ptb_user_data WHERE user_id = ?", (chat_id,))
            await conn.execute("DELETE FROM ptb_chat_data WHERE chat_id = ?", (chat_id,))
            await conn.execute(
                "DELETE FROM ptb_conversations WHERE EXISTS"
                " (SELECT 1 FROM json_each(ptb_conversations.key) WHERE value = ?)",
                (chat_id,),
            )
        return Erased(cases, tuple(photos))

    async def case_photos_among(self, paths: list[str]) -> set[str]:
        """Which of these photo files belong to a case (and stay when a draft expires)."""
        if not paths:
            return set()
        marks = ", ".join("?" * len(paths))
        rows = await self._db.fetchall(
            f"SELECT path FROM case_photos WHERE path IN ({marks})", tuple(paths)
        )
        return {r["path"] for r in rows}

    async def purge(
        self,
        identity_before: str,
        photo_before: str,
        case_before: str,
        outbox_before: str,
        keep_text: bool,
        pulse_of: PulseOf | None = None,
    ) -> tuple[dict[str, int], list[str]]:
        """Apply retention; returns counts and the photo files to delete from disk. An idle
        resident is erased as /radera does, their pulse answers (`pulse_of`) included."""
        idle = await self._db.fetchall(
            "SELECT chat_id FROM residents WHERE last_seen_at < ?", (identity_before,)
        )
        erased: list[str] = []
        for row in idle:
            chat_id = int(row["chat_id"])
            pulse = pulse_of(chat_id) if pulse_of is not None else ()
            erased += (await self.erase(chat_id, keep_text, pulse)).photos
        photos = await self._db.fetchall(
            "SELECT path FROM case_photos WHERE created_at < ?", (photo_before,)
        )
        files = erased + [r["path"] for r in photos]
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM case_photos WHERE created_at < ?", (photo_before,))
            await conn.execute(
                "UPDATE case_events SET note = NULL WHERE note IS NOT NULL AND case_id IN"
                " (SELECT id FROM cases WHERE created_at < ?)",
                (case_before,),
            )
            async with conn.execute(
                "UPDATE cases SET description = '', place_text = NULL, lat = NULL, lon = NULL,"
                " resident_id = NULL WHERE created_at < ? AND (description != ''"
                " OR place_text IS NOT NULL OR lat IS NOT NULL OR resident_id IS NOT NULL)",
                (case_before,),
            ) as cur:
                cases = cur.rowcount
            async with conn.execute(
                "DELETE FROM outbox WHERE status != 'pending' AND created_at < ?", (outbox_before,)
            ) as cur:
                messages = cur.rowcount
        counts = {
            "identities": len(idle),
            "photos": len(files),
            "cases": cases,
            "messages": messages,
        }
        return counts, files
