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
from contextvars import ContextVar
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


class Started:
    """Whether a send of the task that set this up has been given its slot (its request may
    have begun): until then the task may be cancelled without anything reaching Telegram."""

    __slots__ = ("given",)

    def __init__(self) -> None:
        self.given = False


_started: ContextVar[Started | None] = ContextVar("governor_started", default=None)


def watch_sends() -> Started:
    """Set up the current task's Started flag, which its sends will set (call it first)."""
    started = Started()
    _started.set(started)
    return started


def _given() -> None:
    started = _started.get()
    if started is not None:
        started.given = True


class _Send:
    """One slot given: when its request came back (None: in flight)."""

    __slots__ = ("ended",)

    def __init__(self, ended: float | None) -> None:
        self.ended = ended


class _Turn:
    """A chat's sends, one at a time: the lock, and how many hold it or wait for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class Governor:
    """Never more than `rate` sends in any one-second window, spaced evenly, by priority.

    Two rules, as Telegram counts: slots are 1.5 % wider than 1/rate, and a send takes one
    of the `rate` places of the window from its start until a second (plus a margin) after
    its answer; it waits while all `rate` are taken. Telegram counts a request somewhere
    between its start and its answer, so the answer's time is the safe bound: timed from
    their starts, requests that waited in a busy event loop or on the network reached
    Telegram late and bunched into one window (a burst of 2,000 /start met 1,795 429s so).
    A send in flight keeps its one place until it answers, however long that takes (an
    admin's export upload: minutes); it does not hold up the sends after it beyond that.
    `sending` times a send; `wait` alone counts it as back when its slot is given. A `paid`
    send (allow_paid_broadcast) is held to `paid_rate` places instead; a free one still to
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
    #: A wait longer than this (seconds: a 429's pause, a full window) ends early when a pause
    #: changes or a waiting send leaves; shorter ones (the spacing of slots) just sleep.
    NAP = 0.05
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
        self._flying = 0  # sends given a slot whose request has not come back
        self._answers: deque[float] = deque()  # when sends came back, oldest first
        self._last = float("-inf")
        self._paused_until = float("-inf")
        self._chats: dict[object, _Turn] = {}  # a chat's sends, one at a time
        self._chat_back: dict[object, float] = {}  # when a chat's last send came back
        self._back: asyncio.Event | None = None  # set when a send in flight comes back
        self._nap: asyncio.Future[None] | None = None  # the serving task's wait for a slot
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
            _given()
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
                _given()
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

    @property
    def paused_for(self) -> float:
        """Seconds until a 429's pause ends (0: not paused)."""
        return max(0.0, self._paused_until - self._now())

    def pause(self, seconds: float) -> None:
        """Telegram answered 429 "retry after `seconds`": no slot is given until then."""
        until = self._now() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._wake()

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
            self._wake()  # nobody else waiting: the server ends now, not after its nap
            raise

    def _came_back(self, send: _Send) -> None:
        if send.ended is not None:
            return
        send.ended = now = self._now()
        self._flying -= 1
        self._answers.append(now)
        if self._back is not None:
            self._back.set()

    def _wake(self) -> None:
        """The serving task looks again now (a pause changed, a waiting send left)."""
        if self._nap is not None and not self._nap.done():
            self._nap.cancel()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def _gap(self, paid: bool) -> float:
        """The spacing of sends of this kind."""
        return 1.0 / ((self.paid_rate if paid else self.rate) * self.MARGIN)

    def _slot(self, paid: bool, now: float) -> float | None:
        """When a send of this kind may start, given the slots given so far; None: not
        before a send in flight comes back (all the places are in flight)."""
        answers = self._answers
        while answers and answers[0] + self.WINDOW <= now:
            answers.popleft()  # no longer in any window a send from now on can share
        slot = max(now, self._paused_until, self._last + self._gap(paid))
        limit = max(1, int(self.paid_rate if paid else self.rate))
        taken = self._flying + len(answers)
        if taken >= limit:
            # The place opens when enough answers are a window old; in flight ones stay.
            free = taken - limit  # answers that must leave the window, less one
            if free >= len(answers):
                return None
            slot = max(slot, answers[free] + self.WINDOW)
        return slot

    async def _nap_for(self, seconds: float) -> None:
        """Sleep, unless `_wake` cuts it short."""
        self._nap = nap = asyncio.ensure_future(self._sleep(seconds))
        try:
            await nap
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not nap.cancelled() or (task is not None and task.cancelling()):
                raise  # the serving task itself is cancelled
        finally:
            self._nap = None

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
                if slot - now > self.NAP:
                    await self._nap_for(slot - now)
                else:
                    await self._sleep(slot - now)
                continue  # a better send may have come meanwhile: it takes this slot
            heapq.heappop(self._waiting)
            if timed:
                send = _Send(None)
                self._flying += 1
            else:
                send = _Send(now)
                self._answers.append(now)
            due = self._last + self._gap(paid)
            self._last = due if now - due <= self.LATE else now
            future.set_result(send)
