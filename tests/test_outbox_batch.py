"""The outbox worker marks accepted rows sent a chunk at a time (bot.delivery.outbox): one
statement for each `concurrency` rows instead of a transaction per message. A crash before a
chunk's mark repeats at most those messages and the ones in flight (fewer than two chunks);
nobody is left out, and the next start sends the rest exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.delivery.outbox import CONCURRENCY
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.settings import Settings
from storage.outbox import OutboxRepository
from tests.bots import in_process
from tests.people import db_rows as rows
from tests.people import publish_update
from tests.test_promises import add_followers


async def test_a_broadcast_is_marked_sent_in_a_few_statements(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    followers, first = 100, 5_000_000
    settings = bot_settings.model_copy(update={"rate_per_second": 1000})
    marks: list[int] = []
    real = OutboxRepository.sent_many

    async def counted(self: OutboxRepository, sent: list[tuple[int, int | None]]) -> None:
        marks.append(len(sent))
        await real(self, sent)

    monkeypatch.setattr(OutboxRepository, "sent_many", counted)
    async with in_process(emulator, settings, deployment) as app:
        services = app.bot_data.services
        assert services is not None
        await add_followers(services, emulator.world, first, followers)
        assert await publish_update(services, "Trygghetsvärdar på plats.") == followers
        assert await emulator.world.wait_idle(timeout=20)
    received = [len(emulator.world.received(first + i)) for i in range(followers)]
    assert received == [1] * followers
    assert sum(marks) == followers  # every row marked once ...
    assert len(marks) <= followers // CONCURRENCY + 2, marks  # ... in chunks, not one by one
    (left,) = rows(settings, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
    assert left["n"] == 0


async def test_a_crash_before_a_chunk_is_marked_repeats_at_most_two_chunks(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The process dies as it marks its first chunk: the database as it was then (a copy
    taken at that instant) is what the next start finds. The messages Telegram accepted but
    the database did not record go again, fewer than two chunks; everybody gets it."""
    followers, first = 80, 5_100_000
    settings = bot_settings.model_copy(update={"rate_per_second": 1000})
    after_crash = settings.model_copy(update={"database": tmp_path / "after-crash.sqlite3"})
    world = emulator.world
    crashed = asyncio.Event()
    release = asyncio.Event()
    real = OutboxRepository.sent_many

    async def dies(self: OutboxRepository, sent: list[tuple[int, int | None]]) -> None:
        if crashed.is_set():
            raise RuntimeError("the process is gone")
        # What a restart finds: the committed database, this chunk's mark not in it.
        with (
            sqlite3.connect(settings.database) as live,
            sqlite3.connect(after_crash.database) as copy,
        ):
            live.backup(copy)
        crashed.set()
        await release.wait()
        raise RuntimeError("the process is gone")

    monkeypatch.setattr(OutboxRepository, "sent_many", dies)
    async with in_process(emulator, settings, deployment, wait_outbox=False) as app:
        services = app.bot_data.services
        worker = app.bot_data.worker
        assert services is not None
        assert worker is not None
        await add_followers(services, world, first, followers)
        assert await publish_update(services, "Trygghetsvärdar på plats.") == followers
        await asyncio.wait_for(crashed.wait(), 20)
        stopping = asyncio.create_task(worker.stop())  # nothing new starts; in flight goes on
        release.set()
        await stopping
    before = sum(len(world.received(first + i)) for i in range(followers))
    assert 0 < before < followers, "the crash comes in the middle of the broadcast"
    monkeypatch.setattr(OutboxRepository, "sent_many", real)
    async with in_process(emulator, after_crash, deployment):
        assert await world.wait_idle(timeout=20)
    received = [len(world.received(first + i)) for i in range(followers)]
    assert min(received) == 1  # nobody left out
    assert max(received) <= 2
    assert 0 < received.count(2) < 2 * CONCURRENCY, received.count(2)
    (left,) = rows(after_crash, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
    assert left["n"] == 0
