"""Issue 15, item 1's principle for promise updates: "Publicera" broadcasts once.

Telegram delivers a press again when the bot dies before confirming it; if the bot also died
before its persistence wrote the pending update away (about once a second), the restarted bot
sees the pending update and the press again. The update is stored and sent once.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from bot.app import build_application, running
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.emulator.markup import parse_html
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.people import Person, db_rows

FOLLOWER = 1002
POLIS_JKB = 100000001
PTB_TABLES = ("ptb_user_data", "ptb_chat_data", "ptb_conversations")
GENERAL = "Nytt om löftet vid Jakobsberg"
COMMITMENT = "Kommunen har trygghetsskapande personal"


def snapshot(database: Path) -> dict[str, list[tuple[object, ...]]]:
    """What PTB's persistence has written (user data, conversation states), as rows."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in PTB_TABLES}


def restore(database: Path, rows: dict[str, list[tuple[object, ...]]]) -> None:
    """Put persistence back as it was: what a crash within its ~1 s flush interval leaves."""
    with contextlib.closing(sqlite3.connect(database)) as conn, conn:
        for table, table_rows in rows.items():
            conn.execute(f"DELETE FROM {table}")
            if table_rows:
                marks = ", ".join("?" for _ in table_rows[0])
                conn.executemany(f"INSERT INTO {table} VALUES ({marks})", table_rows)


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait for a condition of the database (checked every few ms; nothing wakes us on it)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def nothing_pending(settings: Settings) -> bool:
    return not db_rows(settings, "SELECT id FROM outbox WHERE status = 'pending'")


async def test_publicera_delivered_again_after_a_crash_is_published_once(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    world = emulator.world
    world.user(POLIS_JKB).started = True
    follower = Person(world, FOLLOWER, catalogs)
    officer = Person(world, POLIS_JKB, catalogs)
    async with running(build_application(bot_settings, deployment), poll_timeout=1):
        await follower.say("/installningar")
        await follower.tap("Följ en station")
        await follower.tap("Jakobsberg")
        await officer.say("/uppdatera")
        await officer.tap(COMMITMENT)
        await officer.tap("pågår")
        preview = await officer.say("Från och med i måndags finns trygghetsvärdar kl 18–23.")
        assert "Förhandsvisning" in preview[-1].text
    persisted = snapshot(bot_settings.database)  # the pending update, not yet published
    async with running(build_application(bot_settings, deployment), poll_timeout=1):
        published = await officer.tap("Publicera")
        assert "Det skickas till 1 mottagare" in published[-1].text
        query = officer.last_query
        await world.wait_for(FOLLOWER, lambda m: GENERAL in m.text)
    # The process died before persistence wrote the published update away and before it
    # confirmed the press: the next one starts from the preview, and gets the press again.
    restore(bot_settings.database, persisted)
    world.deliver_again(query)
    again = officer.mark()
    already = parse_html(officer.t("update.already"))[0]
    async with running(build_application(bot_settings, deployment), poll_timeout=1):
        reply = await world.wait_for(
            POLIS_JKB, lambda m: already in m.text or "Publicerat" in m.text, after=again
        )
        # Whatever a second publish queued would be in the outbox by now (it is written with
        # the update, before the answer to staff): wait until the outbox has sent everything.
        await until(lambda: nothing_pending(bot_settings))
    assert sum(GENERAL in m.text for m in world.received(FOLLOWER)) == 1
    (update,) = db_rows(bot_settings, "SELECT * FROM commitment_updates")
    assert update["token"]
    assert reply.text == already
