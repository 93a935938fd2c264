"""The bot's one send budget: Telegram's 30 messages a second, shared by handlers and outbox."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]

#: True while the outbox worker sends (in its own tasks only): see BotLimiter.
_sending: ContextVar[bool] = ContextVar("outbox_sending", default=False)


def mark_sending() -> None:
    """In the outbox worker's task: its sends took their slot already, they pass BotLimiter."""
    _sending.set(True)  # this task's context only


class BotLimiter(AIORateLimiter):
    """PTB's rate limiter for what handlers send; the outbox worker's sends pass straight on.

    Telegram's 30 messages a second are for the bot as a whole: every send to a chat, the
    handlers' and the outbox worker's alike, takes its slot from the one `pacer` (the worker
    gets it, see bot.app). PTB's own overall limiter is off (a leaky bucket, it lets a burst
    of 30 through on top of the steady 30 a second).

    The worker paces itself otherwise (one a second per chat, 20 a minute per group) and backs
    off from a 429 per chat. Through AIORateLimiter, a group's 20 a minute would make the
    worker wait inside one send, and a 429 makes it sleep retry_after while holding back
    every other request, private cards and residents' replies included.
    """

    def __init__(self, rate_per_second: float, max_retries: int = 0) -> None:
        super().__init__(overall_max_rate=0, max_retries=max_retries)
        #: The bot's one global budget, shared with the outbox worker.
        self.pacer = Pacer(rate_per_second)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if _sending.get():
            return await callback(*args, **kwargs)  # the worker took its slot (_paced)
        if data.get("chat_id") is not None:  # what PTB's overall limiter would count
            await self.pacer.wait()
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


class Pacer:
    """Never more than `rate` sends in any one-second window, spaced evenly.

    Two rules: slots are 1.5 % wider than 1/rate, and a send waits until the one `rate` sends
    before it left more than a second (plus a margin) ago, counted on the times sends really
    started. Planned slots alone are not enough: a send that leaves late (a busy event loop)
    followed by ones on time would put more than `rate` into one second at Telegram.
    """

    MARGIN = 0.985
    WINDOW = 1.015  # seconds: Telegram's one-second window, with room for network jitter

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / (rate * self.MARGIN)
        self._next = 0.0
        self._started: deque[float] = deque(maxlen=max(1, int(rate)))
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return when the caller may send; the caller sends at once."""
        loop = asyncio.get_running_loop()
        async with self._lock:  # one caller at a time takes the next slot
            while True:
                now = loop.time()
                slot = max(now, self._next)
                if len(self._started) == self._started.maxlen:
                    slot = max(slot, self._started[0] + self.WINDOW)
                if slot <= now:
                    break
                await asyncio.sleep(slot - now)
            self._started.append(now)
            self._next = now + self._interval
