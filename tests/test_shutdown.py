"""SIGTERM under load: updates in flight finish, the outbox stops cleanly, nothing is lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
import time
from pathlib import Path

from bot.domain.commands import help_text
from bot.emulator import Emulator
from bot.i18n import Catalogs
from storage import Database
from storage.outbox import OutboxItem, OutboxRepository
from tests.processes import bot_env, start_bot

FOLLOWERS = range(7_000_000, 7_000_300)  # 300 queued messages: 1.5 s at 200 messages/s
RESIDENTS = range(8_000_000, 8_000_040)  # 40 residents writing while the bot stops


async def queue_broadcast(database: Path) -> None:
    async with await Database.open(database) as db:
        await OutboxRepository(db).add(
            [
                OutboxItem("telegram", str(chat), "text", {"text": f"Uppdatering till {chat}"})
                for chat in FOLLOWERS
            ]
        )


async def read_all(process: asyncio.subprocess.Process) -> str:
    """Keep reading the bot's log, so that a full pipe never blocks it; return it all."""
    assert process.stderr is not None
    assert process.stdin is not None
    process.stdin.close()
    chunks = []
    while chunk := await process.stderr.read(65536):
        chunks.append(chunk)
    return b"".join(chunks).decode()


def outbox_statuses(database: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())


async def wait_for_replies(emulator: Emulator, chats: range, count: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(len(emulator.world.received(chat)) >= count for chat in chats):
            return
        await asyncio.sleep(0.02)


async def test_sigterm_under_load_then_restart_loses_and_repeats_nothing(
    emulator: Emulator, tmp_path: Path, catalogs: Catalogs
) -> None:
    world = emulator.world
    env = bot_env(
        emulator,
        tmp_path,
        TRYGG_RATE_PER_SECOND="200",  # 300 rows and 120 answers outlast the stop, not 20 s
        TRYGG_LOG_FORMAT="json",
        TRYGG_LOG_LEVEL="INFO",
    )
    database = Path(env["TRYGG_DATABASE"])
    await queue_broadcast(database)
    for chat in FOLLOWERS:
        world.user(chat).started = True
    for chat in RESIDENTS:
        world.user(chat, f"Resident {chat}")

    process = await start_bot(env)
    logs = asyncio.create_task(read_all(process))
    try:
        # The outbox is busy; 40 residents write; SIGTERM arrives in the middle of it.
        await world.wait_for(FOLLOWERS[0], timeout=30)
        for chat in RESIDENTS:
            world.send_text(chat, "/start")
            world.send_text(chat, "/hjalp")
        await asyncio.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        await asyncio.wait_for(process.wait(), 30)
        stopped_in = time.monotonic() - started
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    err = await logs
    assert process.returncode == 0, err[-2000:]
    assert stopped_in < 15, f"stopping took {stopped_in:.1f} s"
    for line in err.splitlines():
        json.loads(line)  # TRYGG_LOG_FORMAT=json: every line is one JSON object
    assert emulator.token.split(":")[1] not in err
    assert "Traceback" not in err

    statuses = outbox_statuses(database)
    assert set(statuses) <= {"pending", "sent"}, statuses  # nothing half-sent or failed
    sent_before = statuses.get("sent", 0)
    delivered = sum(len(world.received(chat)) for chat in FOLLOWERS)
    assert delivered == sent_before  # each message that left is marked sent
    assert 0 < sent_before < len(FOLLOWERS), "the stop came in the middle of the broadcast"

    # Restart: the rest of the broadcast goes out and every resident gets both answers.
    process = await start_bot(env)
    logs = asyncio.create_task(read_all(process))
    try:
        await wait_for_replies(emulator, FOLLOWERS, 1, 60)
        await wait_for_replies(emulator, RESIDENTS, 2, 30)  # welcome with the menu, help
        # Anything repeated would come before the bot has exited: a stop finishes every
        # update fetched and leaves unsent rows pending (both checked below).
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    err = await logs
    assert process.returncode == 0, err[-2000:]
    assert outbox_statuses(database) == {"sent": len(FOLLOWERS)}
    received = [len(world.received(chat)) for chat in FOLLOWERS]
    assert set(received) == {1}, {n: received.count(n) for n in set(received)}  # exactly once
    welcome = catalogs.text("sv", "start.welcome") + "\n\n" + catalogs.text("sv", "menu.prompt")
    helptext = help_text(catalogs.text, "sv")
    for chat in RESIDENTS:
        texts = [m.text for m in world.received(chat)]
        assert sum(t == _plain(welcome) for t in texts) == 1, (chat, texts)
        assert sum(t == _plain(helptext) for t in texts) == 1, (chat, texts)


def _plain(html_text: str) -> str:
    """What a client shows for an HTML message: the text without its tags."""
    from bot.emulator.markup import parse_html

    return parse_html(html_text)[0]
