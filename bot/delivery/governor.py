"""The one send budget of the process: Telegram's 30 a second, served by priority.

Every message the bot sends takes a slot here (through BotLimiter, bot.delivery.pacing):
the handlers' replies, and the outbox worker's cards, notifications and broadcasts. When
sends wait for a slot, the next one goes to a reply to the update being handled, then to a
card or notification, and only then to a broadcast or digest: a broadcast fills only what the
others leave. Within one priority, first come first served.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import IntEnum

#: Telegram's free rate for the bot as a whole; paid broadcasts (allow_paid_broadcast) go
#: faster, but every send counts against these 30 too.
FREE_RATE = 30


class Priority(IntEnum):
    """Who is served first when sends wait (lower first)."""

    REPLY = 0  # to the update being handled: the bot's own calls
    CARD = 1  # outbox: cards and answers to staff, notifications and alerts
    BROADCAST = 2  # outbox: updates to a station's followers, monthly digests


@dataclass(frozen=True)
class Ticket:
    """An outbox send's `rate_limit_args`: its priority. The worker keeps each chat's and
    group's pace and handles a 429 itself, so BotLimiter only takes its global slot."""

    priority: Priority


class _Send:
    """One slot given: when it started, and when its request came back (None: in flight)."""

    __slots__ = ("ended", "started")

    def __init__(self, started: float, ended: float | None) -> None:
        self.started = started
        self.ended = ended


class _Turn:
    """A chat's sends, one at a time: the lock, and how many hold it or wait for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class Governor:
    """Never more than `rate` sends in any one-second window, spaced evenly, by priority.

    Two rules, as Telegram counts: slots are 1.5 % wider than 1/rate, and a send waits until
    the one `rate` sends before it has come back from Telegram more than a second (plus a
    margin) ago. Telegram counts a request somewhere between its start and its answer, so
    the answer's time is the safe bound: timed from their starts, requests that waited in a
    busy event loop or on the network reached Telegram late and bunched into one window (a
    burst of 2,000 /start met 1,795 429s so). A send still in flight holds the one `rate`
    after it. `sending` times a send; `wait` alone counts it as back when its slot is given.
    A `paid` send (allow_paid_broadcast) is held to `paid_rate` instead; a free one still to
    `rate`, paid sends counted in. `pause` holds every slot after a 429.

    One serving task gives each slot, when it opens, to the best send waiting at that moment;
    it ends when nobody waits. `clock` and `sleep` are the loop's unless a test gives its own.
    """

    MARGIN = 0.985
    WINDOW = 1.005  # seconds: Telegram's one-second window, from the answers' times
    #: A slot given this late (seconds) still counts from when it was due, so the next one is
    #: not pushed back: the loop's timers wake a millisecond late (epoll rounds up), which
    #: alone held 1,000/s to about 800. The one-second window above still bounds every second.
    LATE = 0.005
    CHATS_KEPT = 4096  # answer times kept per chat before the old ones are dropped

    def __init__(
        self,
        rate: float,
        *,
        paid_rate: float | None = None,
        chat_rate: float = 1.0,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.rate = rate
        self.paid_rate = max(rate, paid_rate or rate)
        #: A chat's next message waits this long after the answer to its last one.
        self.chat_gap = 1.0 / chat_rate + (self.WINDOW - 1.0)
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._sends: deque[_Send] = deque(maxlen=max(1, int(self.paid_rate)))
        self._last = float("-inf")
        self._paused_until = float("-inf")
        self._chats: dict[object, _Turn] = {}  # a chat's sends, one at a time
        self._chat_back: dict[object, float] = {}  # when a chat's last send came back
        self._back: asyncio.Event | None = None  # set when a send in flight comes back
        self._waiting: list[tuple[int, int, bool, bool, asyncio.Future[_Send]]] = []
        self._order = itertools.count()
        self._server: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """How many sends wait for a slot now."""
        return sum(1 for *_, future in self._waiting if not future.done())

    async def wait(self, priority: Priority, *, paid: bool = False) -> None:
        """Return when the caller may send; the caller sends at once (counted as back)."""
        await self._take(priority, paid, timed=False)

    @asynccontextmanager
    async def sending(
        self, priority: Priority, *, paid: bool = False, chat: object = None
    ) -> AsyncIterator[None]:
        """`async with governor.sending(priority): await request()`: a slot, then the
        request, timed until it comes back (or fails).

        With `chat` (a message to that chat), also Telegram's one a second per chat
        (`chat_rate`): sends to one chat go one at a time, each `chat_gap` after the answer
        to the one before, whoever sent it (a handler's reply, the outbox's notice to the
        same resident).
        """
        if chat is None:
            send = await self._take(priority, paid, timed=True)
            try:
                yield
            finally:
                self._came_back(send)
            return
        turn = self._chats.setdefault(chat, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                ready = self._chat_back.get(chat, float("-inf")) + self.chat_gap
                now = self._now()
                if ready > now:
                    await self._sleep(ready - now)
                send = await self._take(priority, paid, timed=True)
                try:
                    yield
                finally:
                    self._came_back(send)
                    self._chat_back[chat] = send.ended or self._now()
        finally:
            turn.users -= 1
            if not turn.users:
                del self._chats[chat]
            self._forget_chats()

    def _forget_chats(self) -> None:
        """Drop the answer times that no longer hold a chat back (now and then)."""
        if len(self._chat_back) < self.CHATS_KEPT:
            return
        old = self._now() - self.chat_gap
        self._chat_back = {c: t for c, t in self._chat_back.items() if t > old}

    def pause(self, seconds: float) -> None:
        """Telegram answered 429 "retry after `seconds`": no slot is given until then."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    async def _take(self, priority: Priority, paid: bool, *, timed: bool) -> _Send:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_Send] = loop.create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), paid, timed, future))
        if self._server is None or self._server.done():
            self._server = loop.create_task(self._serve(), name="send governor")
        try:
            return await future  # cancelled while waiting: the server skips it
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # given, but never used
                self._came_back(future.result())
            raise

    def _came_back(self, send: _Send) -> None:
        send.ended = self._now()
        if self._back is not None:
            self._back.set()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def _gap(self, paid: bool) -> float:
        """The spacing of sends of this kind."""
        return 1.0 / ((self.paid_rate if paid else self.rate) * self.MARGIN)

    def _slot(self, paid: bool, now: float) -> float | None:
        """When a send of this kind may start, given the slots given so far; None: not
        before a send in flight comes back."""
        rate = self.paid_rate if paid else self.rate
        slot = max(now, self._paused_until, self._last + self._gap(paid))
        limit = max(1, int(rate))
        if len(self._sends) >= limit:
            ended = self._sends[-limit].ended
            if ended is None:
                return None
            slot = max(slot, ended + self.WINDOW)
        return slot

    async def _serve(self) -> None:
        while self._waiting:
            _, _, paid, timed, future = self._waiting[0]
            if future.done():  # its caller was cancelled
                heapq.heappop(self._waiting)
                continue
            now = self._now()
            slot = self._slot(paid, now)
            if slot is None:
                self._back = back = asyncio.Event()
                await back.wait()
                continue
            if slot > now:
                await self._sleep(slot - now)
                continue  # a better send may have come meanwhile: it takes this slot
            heapq.heappop(self._waiting)
            send = _Send(now, None if timed else now)
            self._sends.append(send)
            due = self._last + self._gap(paid)
            self._last = due if now - due <= self.LATE else now
            future.set_result(send)
