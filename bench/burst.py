"""Bursts: many residents press /start at once; residents write while a broadcast goes out.

Both against the emulator in a process of its own, in its strict mode (Telegram's 30 a
second in a sliding window, one a second per chat, no burst allowance: a 429 is a failure),
with the bot in this process polling it over HTTP at Telegram's free 30/s.

- `starts` (registered as the benchmark "burst"): N new residents each send /start at the
  same moment. Each gets one message; the last of them cannot get it before (N - 1)/30 s.
  The figure is the p99 first reply (from a resident's /start to the bot's first message in
  that chat, as the emulator sees it) against the floor for the p99 resident, (0.99·N - 1)/30
  s: target within 1.2 of it. Zero 429, everybody answered, nobody twice.
- `Writers` (used by bench/broadcast.py in its 30/s broadcast to the most followers): while
  the update goes out, residents file a report, then now and then open the menu, thinking a
  second or two before each step. Their reply times (the emulator's: from each message or
  press to the bot's next message or edit in that chat) must stay under 1.5 s at the p99,
  with zero 429; broadcast.py checks that every follower got the update once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.emulator import RemoteEmulator
from bench.intake import Predicate, Resident, Script
from bench.report import Figure, at_most, info, must_be
from bot.app import build_application, running
from bot.domain.deployment import Deployment

log = logging.getLogger(__name__)

NAME = "burst"
RATE = 30  # Telegram's free rate: what a resident's first reply waits for
START_SIZES = {True: (50,), False: (200, 2_000)}
START_TARGET = 1.2  # p99 first reply over the floor
REPLY_TARGET = 1.5  # seconds: p99 reply to a resident writing during a broadcast
FIRST_RESIDENT = 50_000_000


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile: the value that p % of them are at or below."""
    if not values:
        return math.inf
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------------- /start at once
@dataclass(frozen=True)
class Starts:
    residents: int
    replies: list[float]  # the first reply's time, one per answered resident
    flood_errors: int
    unanswered: int
    answered_twice: int
    messages: int  # the bot's messages to the residents in all

    @property
    def floor(self) -> float:
        """When Telegram's 30/s lets the p99 resident's one message go at the earliest."""
        return max(0.99 * self.residents - 1, 0) / RATE

    @property
    def p99(self) -> float:
        return percentile(self.replies, 99)


async def until_answered(emulator: RemoteEmulator, residents: int, seconds: float) -> None:
    """Until the emulator has seen a reply in every resident's chat."""
    deadline = time.monotonic() + seconds
    while len((await emulator.stats())["reply_seconds"]) < residents:
        if time.monotonic() > deadline:
            return  # the unanswered show in the figures
        await asyncio.sleep(0.25)


async def starts(emulator: RemoteEmulator, deployment: Deployment, residents: int) -> Starts:
    """`residents` new people send /start at once to the bot at 30/s."""
    await emulator.reset()
    await emulator.flood(True, strict=True)
    ids = [FIRST_RESIDENT + residents * 10 + i for i in range(residents)]  # new each run
    with tempfile.TemporaryDirectory(prefix="bench-burst-") as tmp:
        settings = emulator.settings(Path(tmp), rate_per_second=RATE)
        app = build_application(settings, deployment)
        async with running(app, poll_timeout=1):
            await asyncio.gather(
                *(emulator.post(f"/control/users/{i}/messages", {"text": "/start"}) for i in ids)
            )
            await until_answered(emulator, residents, residents / RATE * 3 + 30)
            await emulator.get("/control/idle", timeout=10)  # anything more it sends
    stats = await emulator.stats()
    received = await emulator.received()
    counts = [received.get(i, 0) - 1 for i in ids]  # minus the resident's own /start
    return Starts(
        residents,
        list(stats["reply_seconds"]),
        int(stats["flood_errors"]),
        counts.count(0),
        sum(1 for n in counts if n > 1),
        sum(counts),
    )


def start_figures(result: Starts) -> list[Figure]:
    size = f"{result.residents:,} × /start"
    return [
        at_most(
            NAME,
            "p99 first reply vs floor (0.99·N − 1)/30 s",
            size,
            f"{result.p99:.2f} s",
            f"{result.floor:.2f} s",
            result.p99 / result.floor if result.floor else 0.0,
            START_TARGET,
        ),
        at_most(
            NAME,
            "messages per /start",
            size,
            f"{result.messages / result.residents:.2f}",
            "1",
            result.messages / result.residents,
            1.0,
        ),
        must_be(NAME, "429 responses", size, result.flood_errors, 0),
        must_be(NAME, "residents without an answer", size, result.unanswered, 0),
        must_be(NAME, "residents answered more than once", size, result.answered_twice, 0),
    ]


async def _run(deployment: Deployment, quick: bool) -> list[Figure]:
    out: list[Figure] = []
    async with RemoteEmulator() as emulator:
        for residents in START_SIZES[quick]:
            log.info("burst: %d residents send /start at once", residents)
            result = await starts(emulator, deployment, residents)
            log.info(
                "burst: p99 first reply %.2f s (floor %.2f s), %d x 429",
                result.p99,
                result.floor,
                result.flood_errors,
            )
            out += start_figures(result)
    return out


def run(deployment: Deployment, quick: bool) -> list[Figure]:
    return asyncio.run(_run(deployment, quick))


# ---------------------------------------------------------------------- during a broadcast
class Thinking(Resident):
    """A resident who reads the answer and thinks a moment before each step."""

    def __init__(self, emulator: RemoteEmulator, user_id: int, rng: random.Random) -> None:
        super().__init__(emulator, user_id)
        self.rng = rng

    async def _act(self, path: str, body: dict[str, Any], expect: Predicate) -> Any:
        await asyncio.sleep(self.rng.uniform(1.0, 2.5))
        return await super()._act(path, body, expect)


def anything(message: dict[str, Any]) -> bool:
    return True


class Writers:
    """Residents writing while a broadcast goes out: `async with Writers(...)` around the
    wait for the broadcast; each files one report, then opens the menu or help now and then,
    until the block ends. Their reply times are the emulator's (see `figures`)."""

    PAUSE = (10.0, 25.0)  # seconds between one errand and the next

    def __init__(
        self,
        emulator: RemoteEmulator,
        deployment: Deployment,
        count: int,
        spread: float,
        *,
        report: bool = True,
    ) -> None:
        self.script = Script.load(deployment)
        self.spread = spread  # the residents start over this many seconds
        self.report = report  # False (quick mode): the first errand is the menu's too
        rng = random.Random(17)
        self.people = [
            Thinking(emulator, FIRST_RESIDENT - 1_000 + i, random.Random(rng.random()))
            for i in range(count)
        ]
        self.reports = 0
        self.errands = 0
        self.failures: list[BaseException] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._filed = [asyncio.Event() for _ in self.people]  # their report, or a failure

    async def _live(self, n: int, person: Thinking) -> None:
        await asyncio.sleep(self.spread * n / len(self.people))
        try:
            if self.report:
                await self.script.report(person, n)
            else:
                await self.errand(person)
            self.reports += 1
        except Exception as exc:
            self.failures.append(exc)
        finally:
            self._filed[n].set()
        try:
            while True:
                await asyncio.sleep(person.rng.uniform(*self.PAUSE))
                await self.errand(person)
        except Exception as exc:
            self.failures.append(exc)

    async def errand(self, person: Thinking) -> None:
        """The menu, then help."""
        await person.say("/start", anything)
        await person.say("/hjalp", anything)
        self.errands += 1

    async def __aenter__(self) -> Writers:
        self._tasks = [
            asyncio.create_task(self._live(n, p), name=f"resident {p.id}")
            for n, p in enumerate(self.people)
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Everyone finishes their report (in a short broadcast, after it); errands stop."""
        filed = asyncio.gather(*(event.wait() for event in self._filed))
        try:
            await asyncio.wait_for(filed, 180)
        except TimeoutError:
            log.warning("burst: some residents never finished their report")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.failures:
            log.warning("burst: %d residents failed, e.g. %s", len(self.failures), self.failures[0])

    def figures(self, benchmark: str, size: str, replies: list[float]) -> list[Figure]:
        """Reply times (every reply the emulator measured in the run: the residents' only,
        followers never write), reports filed."""
        p99 = percentile(replies, 99)
        count = len(self.people)
        who = f"{size}, {count} residents writing"
        return [
            at_most(
                benchmark,
                "p99 reply to residents during it",
                who,
                f"{p99 * 1000:.0f} ms",
                f"{REPLY_TARGET:g} s",
                p99 / REPLY_TARGET,
                1.0,
            ),
            info(
                benchmark,
                "replies measured (p50)",
                who,
                f"{len(replies):,}",
                f"{percentile(replies, 50) * 1000:.0f} ms",
                percentile(replies, 50) / REPLY_TARGET,
            ),
            must_be(
                benchmark,
                "residents who filed a report" if self.report else "residents answered",
                who,
                self.reports,
                count,
            ),
        ]
