"""Broadcast: a staff update to every follower of a station, through the real outbox.

The bot runs in this process (services, the outbox worker and its pacer, PTB over HTTP) and
the emulator in another, enforcing Telegram's limits: a 429 is a failure, and every follower
must get the update exactly once. The achieved rate is the emulator's: messages accepted
over the time from the first to the last.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.emulator import RemoteEmulator
from bench.report import Figure, at_least, growth, must_be
from bot.app import build_application, running
from bot.domain.deployment import CommitmentStatus, Deployment
from bot.services import Services

log = logging.getLogger(__name__)

NAME = "broadcast"
STATION = "floda"
FREE_RATE, PAID_RATE = 30, 1000
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

    @property
    def achieved(self) -> float:
        return (self.sent - 1) / self.seconds if self.seconds > 0 else 0.0


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


async def broadcast(
    emulator: RemoteEmulator, deployment: Deployment, followers: int, rate: int, first: int
) -> Result:
    await emulator.reset()
    await emulator.flood(True, global_per_second=rate)
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
            deadline = time.monotonic() + followers / rate * 2 + 60
            while (await services.outbox.counts()).get("pending", 0):
                if time.monotonic() > deadline:
                    raise RuntimeError("the broadcast did not finish in time")
                await asyncio.sleep(0.05)
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
                result = await broadcast(emulator, deployment, followers, rate, first)
                log.info(
                    "broadcast: %.1f/s over %.1f s, %d x 429",
                    result.achieved,
                    result.seconds,
                    result.flood_errors,
                )
                first += followers
                results.append(result)
                out += figures(result)
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
    return out


def run(deployment: Deployment, quick: bool) -> list[Figure]:
    return asyncio.run(_run(deployment, quick))
