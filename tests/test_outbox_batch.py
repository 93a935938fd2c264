"""The outbox worker marks accepted rows sent a chunk at a time (bot.delivery.outbox): one
statement for each `concurrency` rows instead of a transaction per message. A crash before a
chunk's mark repeats at most those messages and the ones in flight (fewer than two chunks);
nobody is left out, and the next start sends the rest exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.delivery.outbox import CONCURRENCY, OutboxWorker
from bot.delivery.pacing import BotLimiter
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.settings import Settings
from storage.outbox import OutboxRepository
from tests.bots import in_process
from tests.people import db_rows as rows
from tests.people import publish_update
from tests.test_promises import add_followers


@pytest.fixture
def deployment(running_deployment: Deployment) -> Deployment:
    """The bundled deployment with its promises running: the seeds' promises have ended, and
    these tests publish staff updates, which an ended promise refuses."""
    return running_deployment


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


async def until_true(condition: Any, seconds: float = 10.0) -> None:
    """Wait (in steps of 10 ms, at most `seconds`) until `condition()` holds."""
    for _ in range(int(seconds * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


async def test_a_failing_mark_sends_nothing_again(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database cannot mark accepted rows sent (disk full, busy) three times: the worker
    sends nothing new until a mark succeeds, and nobody gets the update twice (the rows it
    held were still pending: every pass sent them again)."""
    followers, first = 100, 5_200_000
    settings = bot_settings.model_copy(update={"rate_per_second": 1000})
    real = OutboxRepository.sent_many
    failures: list[int] = []

    async def busy(self: OutboxRepository, sent: list[tuple[int, int | None]]) -> None:
        if len(failures) < 3:
            failures.append(len(sent))
            raise sqlite3.OperationalError("database is locked")
        await real(self, sent)

    monkeypatch.setattr(OutboxRepository, "sent_many", busy)
    async with in_process(emulator, settings, deployment) as app:
        services = app.bot_data.services
        assert services is not None
        await add_followers(services, emulator.world, first, followers)
        assert await publish_update(services, "Trygghetsvärdar på plats.") == followers
        assert await emulator.world.wait_idle(timeout=20)
    received = [len(emulator.world.received(first + i)) for i in range(followers)]
    assert received == [1] * followers
    assert len(failures) == 3
    (left,) = rows(settings, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
    assert left["n"] == 0


async def test_stop_does_not_wait_out_a_flood_pause_for_sends_not_yet_made(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> None:
    """SIGTERM while the governor is paused for a 429's retry_after (minutes for a bot that
    keeps flooding): the outbox's sends still waiting for a slot have sent nothing; they are
    cancelled and stay pending, and stop() returns at once (systemd kills after 90 s)."""
    async with in_process(emulator, bot_settings, deployment, wait_outbox=False) as app:
        services = app.bot_data.services
        worker = app.bot_data.worker
        assert services is not None
        assert worker is not None
        limiter = app.bot.rate_limiter
        assert isinstance(limiter, BotLimiter)
        limiter.governor.pause(20)  # a reply met 429 "retry after 20" (in production: minutes)
        await add_followers(services, emulator.world, 6_000_000, 3)
        assert await publish_update(services, "Trygghetsvärdar på plats.") == 3
        await until_true(lambda: limiter.governor.waiting == 3)
        stopping = asyncio.create_task(worker.stop())
        done, _ = await asyncio.wait({stopping}, timeout=5)
        await stopping
        assert done, "worker.stop() waited for the 429 pause to end"
        assert limiter.governor.waiting == 0
    assert all(not emulator.world.received(6_000_000 + i) for i in range(3))
    (left,) = rows(bot_settings, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
    assert left["n"] == 3


async def test_a_429_to_the_outbox_pauses_the_whole_bot(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Telegram's 429 "retry after 30" to an outbox send to a private chat is the bot's limit:
    the handlers' replies wait too (they went on sending into the flood limit)."""
    real = OutboxWorker._send
    refused: list[int] = []

    async def flooded(self: OutboxWorker, row: Any) -> int | None:
        if not refused:
            refused.append(row.id)
            raise RetryAfter(dt.timedelta(seconds=30))
        return await real(self, row)

    monkeypatch.setattr(OutboxWorker, "_send", flooded)
    async with in_process(emulator, bot_settings, deployment, wait_outbox=False) as app:
        services = app.bot_data.services
        assert services is not None
        limiter = app.bot.rate_limiter
        assert isinstance(limiter, BotLimiter)
        await add_followers(services, emulator.world, 6_100_000, 1)
        assert await publish_update(services, "Trygghetsvärdar på plats.") == 1
        await until_true(lambda: bool(refused) and limiter.governor.paused_for > 0, 5)
        assert limiter.governor.paused_for > 25


async def test_the_chats_last_sends_are_forgotten_after_their_second(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker keeps each chat's last send time for its one a second, then drops it: after
    a broadcast to 1,000 followers and a second more, it holds a handful, not 1,000."""
    followers, first = 1000, 6_200_000
    settings = bot_settings.model_copy(update={"rate_per_second": 1000})
    now = [1000.0]  # stands still during the broadcast: every send just happened

    def clock() -> float:
        return now[0]

    real_init = OutboxWorker.__init__

    def with_clock(self: OutboxWorker, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs, clock=clock)

    monkeypatch.setattr(OutboxWorker, "__init__", with_clock)
    async with in_process(emulator, settings, deployment) as app:
        services = app.bot_data.services
        worker = app.bot_data.worker
        assert services is not None
        assert worker is not None
        await add_followers(services, emulator.world, first, followers)
        assert await publish_update(services, "Trygghetsvärdar på plats.") == followers
        assert await emulator.world.wait_idle(timeout=30)
        assert len(worker._last_sent) == followers  # each chat's second still counts
        now[0] += 2.0  # the pacing window has passed
        await worker.idle()  # a fresh pass
        assert len(worker._last_sent) < 10  # it was 1,000, and grew with every broadcast
    received = [len(emulator.world.received(first + i)) for i in range(followers)]
    assert received == [1] * followers
