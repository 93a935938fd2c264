"""Intake: simulated residents file full reports through the emulator, against an echo bot.

The emulator, the bot (or the echo bot, see bench/botproc.py) and the residents each run in a
process of their own; the bot long-polls the emulator over HTTP, as it would poll Telegram.
Each resident is a concurrent client of the emulator's control API: it sends a message or
presses a button, waits for the bot's answer, and goes on as a person would (station,
consent, category, "me too" if offered, place, time of day, description, no photo, send).
The emulator measures every reply time: from the resident's action to the bot's next message
or edit in that chat.

Both bots run without a binding outbound limit (the bot's TRYGG_RATE_PER_SECOND at its
maximum and TRYGG_RATE_PER_CHAT at 1,000, the echo bot has none): with Telegram's 30
messages/s and one a second per chat both would only measure that; bench/burst.py and the
broadcast's residents measure replies at Telegram's limits, against the strict emulator.
"""

from __future__ import annotations

import asyncio
import logging
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.emulator import RemoteEmulator
from bench.report import Figure, at_least, at_most, growth, info, must_be
from bot.domain.deployment import Deployment
from bot.i18n import Catalogs

log = logging.getLogger(__name__)

NAME = "intake"
REFERENCE = re.compile(r"\b[A-Z]{3}-\d{4}\b")
#: Steps of one report; the echo bot's residents send as many messages.
REPORT_STEPS = 11
#: The bot's messages in one completed first report (ba04fb4: the privacy thanks above the
#: next question), edits not counted (8 more); each takes a slot of Telegram's 30 a second.
MESSAGES_PER_REPORT = 12
NETWORK_DELAY = 0.05  # seconds added to every Bot API request for the processor comparison
STEP_TIMEOUT = 120.0

View = dict[str, Any]
Predicate = Callable[[View], bool]


class Resident:
    """One person at the keyboard, acting through the emulator's control API."""

    def __init__(self, emulator: RemoteEmulator, user_id: int) -> None:
        self.emulator = emulator
        self.id = user_id
        self.messages: list[View] = []
        self.actions = 0

    async def _act(self, path: str, body: dict[str, Any], expect: Predicate) -> View:
        """Do something, then wait for a new or edited bot message that `expect` accepts."""
        seen = {m["message_id"]: m["edits"] for m in self.messages}
        await self.emulator.post(path, body)
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                shown = [m["text"][:60] for m in self.messages[-3:]]
                raise RuntimeError(f"resident {self.id}: no expected reply; last: {shown}")
            waited = await self.emulator.get(
                f"/control/chats/{self.id}/wait", after=self.actions, timeout=min(remaining, 20)
            )
            self.actions = int(waited["actions"])
            self.messages = waited["messages"]
            for message in reversed(self.messages):
                fresh = seen.get(message["message_id"]) != message["edits"]
                if message["outgoing"] and fresh and expect(message):
                    return message

    async def say(self, text: str, expect: Predicate) -> View:
        return await self._act(f"/control/users/{self.id}/messages", {"text": text}, expect)

    async def tap(self, message: View, label: str, expect: Predicate) -> View:
        data = button(message, label)
        if data is None:
            raise RuntimeError(f"resident {self.id}: no button {label!r} in {message['text']!r}")
        body = {"message_id": message["message_id"], "data": data}
        return await self._act(f"/control/users/{self.id}/press", body, expect)


def button(message: View, label: str) -> str | None:
    for row in message["buttons"]:
        for candidate in row:
            if label in candidate["text"] and candidate["data"]:
                return str(candidate["data"])
    return None


def has(label: str) -> Predicate:
    return lambda message: button(message, label) is not None


def shows(text: str) -> Predicate:
    return lambda message: bool(message["text"] == text)


@dataclass(frozen=True)
class Script:
    """What a resident types and presses, in Swedish, from the catalogs and the deployment."""

    t: Callable[[str], str]
    stations: list[str]
    categories: list[str]

    @classmethod
    def load(cls, deployment: Deployment) -> Script:
        catalogs = Catalogs.load(deployment.deployment.languages)
        return cls(
            t=lambda key: catalogs.text("sv", key),
            stations=[s.name for s in deployment.stations],
            categories=[c.name["sv"] for c in deployment.categories[:4]],
        )

    async def report(self, resident: Resident, n: int) -> int:
        """One report; returns the steps it took beyond the plain path (the "me too" question,
        asked when similar reports are open: one more message)."""
        t = self.t
        station = self.stations[n % len(self.stations)]
        category = self.categories[n % len(self.categories)]
        shown = await resident.say("/rapport", has(station))
        shown = await resident.tap(shown, station, has(t("privacy.agree")))
        shown = await resident.tap(shown, t("privacy.agree"), has(category))
        shown = await resident.tap(shown, category, has(t("nav.cancel")))
        extra = 0
        if button(shown, t("metoo.new")) is not None:  # similar open reports: "me too"?
            shown = await resident.tap(shown, t("metoo.new"), has(t("nav.cancel")))
            extra = 1
        place = f"Vid trappan upp till perrong {n % 3 + 1}"
        shown = await resident.say(place, has(t("nav.continue")))
        shown = await resident.tap(shown, t("nav.continue"), has(t("times.evening")))
        shown = await resident.tap(shown, t("times.evening"), has(t("nav.done")))
        await resident.tap(shown, t("nav.done"), has(t("nav.cancel")))
        shown = await resident.say(
            "Lamporna vid trappan har varit trasiga i flera veckor och det är mörkt.",
            has(t("nav.skip")),
        )
        shown = await resident.tap(shown, t("nav.skip"), has(t("summary.send")))
        await resident.tap(shown, t("summary.send"), lambda m: bool(REFERENCE.search(m["text"])))
        return extra

    @staticmethod
    async def echo(resident: Resident, n: int) -> None:
        for step in range(REPORT_STEPS):
            text = f"Hej {n}, meddelande {step}"
            await resident.say(text, shows(text))


@dataclass(frozen=True)
class Run:
    residents: int
    completed: int
    seconds: float
    replies: list[float]
    messages: int = 0  # the bot's messages in the chats of those who completed
    edits: int = 0  # and its edits of them
    extra_steps: int = 0  # "me too" questions those who completed were asked

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds

    def per_report(self, count: int) -> float:
        """The bot's messages (or edits) a resident saw, per completed report."""
        return count / self.completed if self.completed else 0.0

    def percentile(self, p: float) -> float:
        if len(self.replies) < 2:
            return self.replies[0] if self.replies else 0.0
        return statistics.quantiles(self.replies, n=100, method="inclusive")[int(p) - 1]


async def drive(
    emulator: RemoteEmulator,
    residents: int,
    first_id: int,
    flow: Callable[[Resident, int], Any],
) -> Run:
    """All residents at once, each through its flow; the emulator's reply times."""
    await emulator.reset()
    people = [Resident(emulator, first_id + n) for n in range(residents)]
    started = time.perf_counter()
    results = await asyncio.gather(
        *(flow(person, n) for n, person in enumerate(people)), return_exceptions=True
    )
    seconds = time.perf_counter() - started
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        log.warning("intake: %d residents did not finish, e.g. %s", len(failures), failures[0])
    stats = await emulator.stats()
    # Up to the message a resident's flow ended on (the reference, or the echo's last).
    sent = [
        m
        for person, result in zip(people, results, strict=True)
        if not isinstance(result, BaseException)
        for m in person.messages
        if m["outgoing"]
    ]
    return Run(
        residents,
        residents - len(failures),
        seconds,
        list(stats["reply_seconds"]),
        len(sent),
        sum(int(m["edits"]) for m in sent),
        sum(r for r in results if isinstance(r, int)),
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def compare(bot: Run, echo: Run) -> list[Figure]:
    size = f"{bot.residents:,} residents"
    allowed = MESSAGES_PER_REPORT + bot.per_report(bot.extra_steps)
    return [
        must_be(NAME, "residents who completed a report", size, bot.completed, bot.residents),
        must_be(NAME, "echo residents who finished", size, echo.completed, echo.residents),
        Figure(
            NAME,
            "bot messages per completed report",
            size,
            f"{bot.per_report(bot.messages):.2f}",
            f"{allowed:.2f}",
            bot.per_report(bot.messages) / allowed,
            f"≤ {MESSAGES_PER_REPORT} (+1 with me too)",
            bot.per_report(bot.messages) <= allowed,
            note=(
                f"{MESSAGES_PER_REPORT} a plain report (ba04fb4), one more for the "
                f"{bot.extra_steps} asked 'me too'; and {bot.per_report(bot.edits):.1f} edits, "
                "each taking a slot of the 30/s"
            ),
        ),
        info(
            NAME,
            "completed reports/s (echo: flows/s)",
            size,
            f"{bot.per_second:.1f}/s",
            f"{echo.per_second:.1f}/s",
            bot.per_second / echo.per_second,
        ),
        info(
            NAME,
            "p50 reply time vs echo bot",
            size,
            _ms(bot.percentile(50)),
            _ms(echo.percentile(50)),
            bot.percentile(50) / echo.percentile(50),
        ),
        at_most(
            NAME,
            "p99 reply time vs echo bot",
            size,
            _ms(bot.percentile(99)),
            _ms(echo.percentile(99)),
            bot.percentile(99) / echo.percentile(99),
            3.0,
        ),
    ]


async def _run(deployment: Deployment, quick: bool) -> list[Figure]:
    sizes = (5, 50) if quick else (100, 1_000)
    # Quick: one size; one update at a time with the network delay is slow by design.
    processor_sizes = (8,) if quick else (10, 100)
    script = Script.load(deployment)
    figures: list[Figure] = []
    first = 30_000_000
    async with RemoteEmulator() as emulator:
        runs: list[Run] = []
        for residents in sizes:
            with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
                async with emulator.bot("bot", Path(tmp)):
                    bot = await drive(emulator, residents, first, script.report)
                first += residents
                async with emulator.bot("echo", Path(tmp)):
                    echo = await drive(emulator, residents, first, script.echo)
                first += residents
            log.info(
                "intake: %d residents: %.1f reports/s, p99 %s; echo %.1f/s, p99 %s",
                residents,
                bot.per_second,
                _ms(bot.percentile(99)),
                echo.per_second,
                _ms(echo.percentile(99)),
            )
            figures += compare(bot, echo)
            runs.append(bot)
        figures.append(
            growth(
                NAME,
                "time per report",
                f"{sizes[0]:,}",
                f"{sizes[1]:,}",
                (runs[1].seconds / runs[1].completed) / (runs[0].seconds / runs[0].completed),
            )
        )
        await emulator.latency(NETWORK_DELAY)
        for residents in processor_sizes:
            results: list[Run] = []
            for mode in ("bot", "sequential"):
                with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
                    async with emulator.bot(mode, Path(tmp)):
                        results.append(await drive(emulator, residents, first, script.report))
                first += residents
            per_chat, sequential = results
            log.info(
                "intake: %d residents, +%s per request: per-chat %.2f reports/s, one at a time"
                " %.2f reports/s",
                residents,
                _ms(NETWORK_DELAY),
                per_chat.per_second,
                sequential.per_second,
            )
            size = f"{residents:,} residents, +{_ms(NETWORK_DELAY)}/request"
            figures.append(
                must_be(
                    NAME,
                    "reports completed (both processors)",
                    size,
                    per_chat.completed + sequential.completed,
                    2 * residents,
                )
            )
            figures.append(
                at_least(
                    NAME,
                    "throughput per-chat vs concurrent_updates=1",
                    size,
                    f"{per_chat.per_second:.2f}/s",
                    f"{sequential.per_second:.2f}/s",
                    per_chat.per_second / sequential.per_second,
                    5.0,
                )
            )
        await emulator.latency(0.0)
    return figures


def run(deployment: Deployment, quick: bool) -> list[Figure]:
    return asyncio.run(_run(deployment, quick))
