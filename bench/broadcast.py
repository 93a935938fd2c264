"""Broadcast: a staff update to every follower of a station, through the real outbox.

The bot runs in this process (services, the outbox worker and its pacer, PTB over HTTP) and
the emulator in another, enforcing Telegram's limits in its strict mode (a sliding second,
no burst allowance, 1,000/s for paid broadcasts): a 429 is a failure, and every follower
must get the update exactly once. The achieved rate is the emulator's: messages accepted
over the time from the first to the last, with the edits the residents writing meanwhile
get (the governor gives an edit a slot of the 30/s as it does a message). In the 30/s
broadcast to the most followers, 20 residents write meanwhile (bench.burst.Writers): their
replies' p99 and their reports.

The restart check (`restart`, at 200/s: 1,000 followers in quick mode, 3,000 and 10,000 in
the full run; tests/test_promises.py keeps the same rule with 60 followers at 50/s): a third
of the way through the broadcast the bot stops, and a new one starts on the same database.
The bot hands its requests straight to an emulator in this process (bot.emulator.inprocess),
whose clock sees every accepted message. Correctness figures: the update is queued to every
follower; the restart comes in the middle (some sent before, not all); no 429; never more
than the rate in any one second, across the restart too; every follower gets it exactly
once, except one who blocked the bot (the bot learns it from the 403) and gets nothing,
whose chat is marked inactive; nothing left pending.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from bench.burst import Writers
from bench.emulator import RemoteEmulator, bench_settings
from bench.report import Figure, at_least, growth, holds, must_be
from bot.app import ALLOWED_UPDATES, build_application, running
from bot.context import BotApp
from bot.delivery.outbox import OutboxWorker
from bot.domain.deployment import CommitmentStatus, Deployment
from bot.emulator import Emulator, Event
from bot.emulator.inprocess import EmulatorRequest, InProcessBot
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)

NAME = "broadcast"
STATION = "floda"
FREE_RATE, PAID_RATE = 30, 1000
WRITERS = 20  # residents writing during the 30/s broadcast to the most followers (bench.burst)
TARGETS = {FREE_RATE: 0.95, PAID_RATE: 0.80}


@dataclass(frozen=True)
class Result:
    followers: int
    rate: int
    seconds: float  # first to last accepted message, as the emulator saw them
    sent: int
    flood_errors: int
    duplicates: int
    lost: int
    replies: tuple[float, ...] = ()  # reply times to residents writing meanwhile, if any
    edited: int = 0  # edits in their chats: they take a slot of the budget as a send does

    @property
    def achieved(self) -> float:
        """Sends per second the budget gave out: messages, and the writers' edits."""
        sends = self.sent + self.edited
        return (sends - 1) / self.seconds if self.seconds > 0 else 0.0


async def add_followers(services: Services, first: int, count: int) -> None:
    now = "2026-01-01T00:00:00+00:00"
    async with services.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO residents (chat_id, language, created_at, last_seen_at)"
            " VALUES (?, 'sv', ?, ?)",
            [(first + i, now, now) for i in range(count)],
        )
        await conn.execute(
            "INSERT INTO station_follows (resident_id, station_id, created_at)"
            " SELECT id, ?, ? FROM residents WHERE chat_id >= ? AND chat_id < ?",
            (STATION, now, first, first + count),
        )


async def publish(services: Services) -> int:
    """What a partner's /uppdatera does at its end: store the update, queue it to followers."""
    for spec in services.deployment.staff:
        member = await services.staff.by_telegram(spec.telegram_id) if spec.telegram_id else None
        if member is None:
            continue
        for choice in services.updates.choices(member):
            stations = choice.commitment.stations or choice.promise.stations
            if STATION in stations:
                return await services.updates.publish(
                    member,
                    choice,
                    CommitmentStatus.IN_PROGRESS,
                    "Trygghetsvärdar finns nu på plats varje kväll mellan 18 och 23.",
                    None,
                )
    raise RuntimeError(f"no staff member can publish an update for {STATION}")


@asynccontextmanager
async def in_process(
    emulator: Emulator, settings: Settings, deployment: Deployment
) -> AsyncIterator[BotApp]:
    """The bot with its Bot API calls handed straight to this emulator (no sockets)."""
    request = EmulatorRequest(emulator.world, emulator.token)
    app = build_application(settings, deployment, request=request)
    async with InProcessBot(app, emulator.world, list(ALLOWED_UPDATES), wait_outbox=False):
        yield app


async def finished(worker: OutboxWorker | None, seconds: float) -> None:
    """Until the outbox worker finds nothing due (a row backing off from a 429 is not due:
    it shows as pending). Not by counting pending rows: a read on the bot's connection
    while its worker writes can see a row in no status at all."""
    if worker is None:
        raise RuntimeError("the bot has no outbox worker")
    try:
        await asyncio.wait_for(worker.idle(), seconds)
    except TimeoutError:
        raise RuntimeError("the broadcast did not finish in time") from None


async def broadcast(
    emulator: RemoteEmulator,
    deployment: Deployment,
    followers: int,
    rate: int,
    first: int,
    writers: Writers | None = None,
) -> Result:
    await emulator.reset()
    await emulator.flood(True, strict=True)  # Telegram's 30/s, or 1,000/s paid: no burst
    ids = list(range(first, first + followers))
    await emulator.start_users(ids)
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp:
        settings = emulator.settings(
            Path(tmp), rate_per_second=rate, paid_broadcast=rate > FREE_RATE
        )
        app = build_application(settings, deployment)
        async with running(app, poll_timeout=1):
            services = app.bot_data.services
            assert services is not None
            await add_followers(services, first, followers)
            queued = await publish(services)
            if queued != followers:
                raise RuntimeError(f"the update was queued to {queued}, not {followers}")
            during: AbstractAsyncContextManager[object] = writers or nullcontext()
            async with during:
                await finished(app.bot_data.worker, followers / rate * 2 + 60)
    stats = await emulator.stats()
    received = await emulator.received()
    counts = [received.get(i, 0) for i in ids]
    seconds = (stats["last_sent"] or 0.0) - (stats["first_sent"] or 0.0)
    return Result(
        followers,
        rate,
        seconds,
        int(stats["sent"]),
        int(stats["flood_errors"]),
        sum(n - 1 for n in counts if n > 1),
        counts.count(0),
        tuple(stats["reply_seconds"]),
        int(stats.get("edited", 0)),
    )


def figures(result: Result) -> list[Figure]:
    size = f"{result.followers:,} followers @ {result.rate}/s"
    target = TARGETS[result.rate]
    return [
        at_least(
            NAME,
            "achieved rate vs limit",
            size,
            f"{result.achieved:.1f}/s",
            f"{result.rate}/s",
            result.achieved / result.rate,
            target,
        ),
        must_be(NAME, "429 responses", size, result.flood_errors, 0),
        must_be(NAME, "duplicate messages", size, result.duplicates, 0),
        must_be(NAME, "followers without the update", size, result.lost, 0),
    ]


#: The restart check's rate: the test's, which one event loop holding both ends keeps up with.
RESTART_RATE = 200
#: Its followers in quick mode (True) and in the full run.
RESTART_SIZES = {True: (1_000,), False: (3_000, 10_000)}


@dataclass(frozen=True)
class Restart:
    followers: int
    rate: int
    queued: int
    before: int  # messages accepted before the restart
    flood_errors: int
    busiest_second: int  # the most messages accepted in any one second
    exactly_once: int  # followers with exactly one message
    duplicates: int
    blocked_received: int
    blocked_inactive: bool
    pending: int  # outbox rows still pending at the end


def busiest_second(times: list[float]) -> int:
    """The most of these (sorted) times in any window shorter than one second."""
    best, start = 0, 0
    for end in range(len(times)):
        while times[end] - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def restart(deployment: Deployment, followers: int, rate: int = RESTART_RATE) -> Restart:
    """A broadcast stopped a third of the way through, finished by a new bot (a new
    Application on the same database, as after a restart)."""
    first = 3_000_000
    blocked = first + 7
    sent_times: list[float] = []
    a_third = asyncio.Event()

    def on_sent(event: Event) -> None:
        if event.kind == "sent":
            sent_times.append(time.monotonic())
            if len(sent_times) >= followers // 3:
                a_third.set()

    async with Emulator() as emulator:
        world = emulator.world
        world.flood.enabled = True
        world.flood.global_per_second = rate  # exactly the bot's configured rate
        for i in range(followers):
            world.user(first + i).started = True
        # This follower blocked the bot; it learns so from the 403 of its send.
        world.user(blocked).blocked = True
        world.watch(on_sent)
        with tempfile.TemporaryDirectory(prefix="bench-restart-") as tmp:
            settings = bench_settings(
                emulator.token,
                emulator.base_url,
                emulator.file_url,
                Path(tmp),
                rate_per_second=rate,
            )
            async with in_process(emulator, settings, deployment) as app:
                services = app.bot_data.services
                assert services is not None
                await add_followers(services, first, followers)
                queued = await publish(services)
                await asyncio.wait_for(a_third.wait(), followers / rate + 60)
            before = len(sent_times)
            log.info("broadcast: restarting after %d of %d messages", before, followers)
            async with in_process(emulator, settings, deployment) as app:
                await finished(app.bot_data.worker, followers / rate * 2 + 60)
            with sqlite3.connect(settings.database) as conn:
                row = conn.execute("SELECT active FROM chats WHERE chat_id = ?", (blocked,))
                active = row.fetchone()
                row = conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
                pending = int(row.fetchone()[0])
        received = [len(world.received(first + i)) for i in range(followers)]
    return Restart(
        followers,
        rate,
        queued,
        before,
        world.flood_errors,
        busiest_second(sent_times),
        received.count(1),
        sum(n - 1 for n in received if n > 1),
        received[blocked - first],
        active is not None and active[0] == 0,
        pending,
    )


def restart_figures(result: Restart) -> list[Figure]:
    size = f"{result.followers:,} followers @ {result.rate}/s"
    followers = result.followers
    return [
        must_be(NAME, "restart: followers the update is queued to", size, result.queued, followers),
        holds(
            NAME,
            "restart: messages before the restart",
            size,
            f"{result.before:,}",
            f"0 < n < {followers:,}",
            0 < result.before < followers,
        ),
        must_be(NAME, "restart: 429 responses", size, result.flood_errors, 0),
        holds(
            NAME,
            "restart: most messages in one second",
            size,
            f"{result.busiest_second:,}",
            f"≤ {result.rate:,}",
            result.busiest_second <= result.rate,
        ),
        must_be(
            NAME,
            "restart: followers with it exactly once",
            size,
            result.exactly_once,
            followers - 1,
        ),
        must_be(NAME, "restart: duplicate messages", size, result.duplicates, 0),
        must_be(NAME, "restart: messages to the one who blocked", size, result.blocked_received, 0),
        must_be(
            NAME,
            "restart: blocked chat marked inactive",
            size,
            int(result.blocked_inactive),
            1,
        ),
        must_be(NAME, "restart: outbox rows left pending", size, result.pending, 0),
    ]


async def _run(deployment: Deployment, quick: bool) -> list[Figure]:
    sizes = (
        {FREE_RATE: (30, 300), PAID_RATE: (100, 1_000)}
        if quick
        else {
            FREE_RATE: (1_000, 10_000),
            PAID_RATE: (1_000, 10_000),
        }
    )
    out: list[Figure] = []
    first = 10_000_000
    async with RemoteEmulator() as emulator:
        for rate, (small, large) in sizes.items():
            results = []
            for followers in (small, large):
                log.info("broadcast: %d followers at %d/s", followers, rate)
                writers = None
                if rate == FREE_RATE and followers == large:
                    spread = min(followers / rate / 2, 60)
                    writers = Writers(emulator, deployment, WRITERS, spread, report=not quick)
                result = await broadcast(emulator, deployment, followers, rate, first, writers)
                log.info(
                    "broadcast: %.1f/s over %.1f s, %d x 429",
                    result.achieved,
                    result.seconds,
                    result.flood_errors,
                )
                first += followers
                results.append(result)
                out += figures(result)
                if writers is not None:
                    size = f"{followers:,} followers @ {rate}/s"
                    out += writers.figures(NAME, size, list(result.replies))
            per_message = [r.seconds / max(1, r.sent - 1) for r in results]
            out.append(
                growth(
                    NAME,
                    f"time per message @ {rate}/s",
                    f"{small:,}",
                    f"{large:,}",
                    per_message[1] / per_message[0],
                )
            )
    for followers in RESTART_SIZES[quick]:
        log.info("broadcast: %d followers at %d/s with a restart", followers, RESTART_RATE)
        out += restart_figures(await restart(deployment, followers))
    return out


def promises_running(deployment: Deployment) -> Deployment:
    """The deployment with its promises running today: the bundled seeds' promises have
    ended, and an ended promise takes no staff updates (bot.services.updates.PromiseEnded)."""
    today, year = dt.date.today(), dt.timedelta(days=365)
    promises = [
        p.model_copy(update={"start": today - year, "end": today + year})
        for p in deployment.promises
    ]
    return deployment.model_copy(update={"promises": promises})


def run(deployment: Deployment, quick: bool) -> list[Figure]:
    return asyncio.run(_run(promises_running(deployment), quick))
