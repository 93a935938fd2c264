"""The outbox worker: sends pending rows, retries with backoff, honours retry_after.

Rows are written in the same transaction as the event that causes them, so nothing confirmed
is lost; a row is marked sent right after Telegram accepted it, so a restart resumes with what
is still pending. (A crash in the instant between the two can repeat one message: delivery is
at least once.)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter

from bot.delivery.email import Mailer
from bot.metrics import Metrics
from storage.outbox import MAX_DELAY, OutboxRepository, OutboxRow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
#: Telegram's window for a group's limit (`group_per_minute`), in seconds.
GROUP_WINDOW = 60.0

JSONDict = dict[str, Any]

#: True while the outbox worker sends (in its own tasks only): see BotLimiter.
_sending: ContextVar[bool] = ContextVar("outbox_sending", default=False)
GONE = ("chat not found", "user not found", "bot was blocked", "user is deactivated", "kicked")


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


class Refusals(Protocol):
    """Who hears of a message that cannot be delivered for good (bot.services.refusals)."""

    async def gone(self, row: OutboxRow, reason: str, news: bool) -> None: ...
    async def refused(self, row: OutboxRow, reason: str) -> None: ...


def is_group(row: OutboxRow) -> bool:
    """A Telegram group or supergroup (negative chat id): 20 messages a minute of its own."""
    return row.channel == "telegram" and row.recipient.startswith("-")


def backoff(attempts: int) -> float:
    """Seconds before the next try: 2, 4, 8, ... capped at ten minutes."""
    return float(min(MAX_DELAY, 2 ** (attempts + 1)))


def markup(buttons: list[list[list[str]]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
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


class OutboxWorker:
    """One background task; `wake()` after enqueuing, `stop()` finishes the current send."""

    def __init__(
        self,
        bot: Bot,
        outbox: OutboxRepository,
        mailer: Mailer,
        media_dir: Path,
        *,
        poll_seconds: float = 1.0,
        rate_per_second: float = 30,
        rate_per_chat: float = 1.0,
        group_per_minute: int = 20,
        paid_broadcast: bool = False,
        concurrency: int = 16,
        metrics: Metrics | None = None,
        refusals: Refusals | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._metrics = metrics
        self._refusals = refusals
        self._bot = bot
        #: The global budget; the bot's BotLimiter.pacer, so that cards and replies share it.
        self._pacer = pacer or Pacer(rate_per_second)
        self._chat_gap = 1.0 / rate_per_chat
        self._paid = paid_broadcast
        self._concurrency = concurrency
        self._last_sent: dict[tuple[str, str], float] = {}
        self._outbox = outbox
        self._mailer = mailer
        self._media_dir = media_dir
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # set while nothing is due and the worker waits
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._paused_until = 0.0
        #: Groups backing off from a 429 (Telegram's 20 a minute per group): until when.
        self._group_paused: dict[str, float] = {}
        #: Each group's sends in the last GROUP_WINDOW seconds, at most `group_per_minute`.
        self._group_sent: dict[str, deque[float]] = {}
        self._group_limit = group_per_minute

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox")

    def wake(self) -> None:
        self._idle.clear()
        self._wake.set()

    @property
    def is_idle(self) -> bool:
        return self._idle.is_set()

    async def idle(self) -> None:
        """Wait until a fresh pass found nothing due now and the worker waits for work (an
        in-process test's exact "done"; rows postponed to later do not count)."""
        self.wake()
        await self._idle.wait()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the pass: a wake during the pass (a row enqueued after `due`
            # looked) brings another pass at once instead of waiting for the poll.
            self._wake.clear()
            try:
                sent_any = await self.drain_once()
            except Exception:
                log.exception("Outbox pass failed; trying again")
                sent_any = False
            if self._stopping:
                break
            if not sent_any and not self._wake.is_set():
                self._idle.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)

    async def drain_once(self) -> bool:
        """Send what is due now, several chats at a time; True if anything was attempted."""
        loop = asyncio.get_running_loop()
        wait = self._paused_until - loop.time()
        if wait > 0:
            await asyncio.sleep(min(wait, self._poll))
            return True
        # Each chat's oldest pending row only, and only when due: one message per chat per
        # pass keeps each chat's order (an older row backing off holds up the ones after it).
        rows = await self._outbox.due(limit=500, first_per_chat=True)
        batch: list[OutboxRow] = []
        for row in rows:
            key = (row.channel, row.recipient)
            if loop.time() - self._last_sent.get(key, -1e9) < self._chat_gap:
                continue  # Telegram's 1 message per second per chat
            if is_group(row) and not self._group_may_send(row.recipient, loop.time()):
                continue  # this group had its 20 a minute, or is backing off; others go on
            batch.append(row)
        attempted = False
        for start in range(0, len(batch), self._concurrency):
            if self._stopping or self._paused_until > loop.time():
                break
            chunk = batch[start : start + self._concurrency]
            await asyncio.gather(*(self._paced(row) for row in chunk))
            attempted = True
        if not attempted and rows:
            await asyncio.sleep(min(self._chat_gap, self._poll) / 4)  # waiting on spacing
            return True
        return attempted

    def _group_may_send(self, chat: str, now: float) -> bool:
        if self._group_paused.get(chat, 0.0) > now:
            return False
        sent = self._group_sent.get(chat)
        while sent and now - sent[0] >= GROUP_WINDOW:
            sent.popleft()
        return not sent or len(sent) < self._group_limit

    async def _paced(self, row: OutboxRow) -> None:
        if row.channel == "telegram":
            await self._pacer.wait()
        if self._stopping:
            return  # not started: it stays pending for the next start
        now = asyncio.get_running_loop().time()
        if is_group(row):
            self._group_sent.setdefault(row.recipient, deque()).append(now)
        await self._deliver(row)
        self._last_sent[(row.channel, row.recipient)] = asyncio.get_running_loop().time()

    async def _deliver(self, row: OutboxRow) -> bool:
        try:
            message_id = await self._send(row)
        except RetryAfter as exc:
            wait = exc.retry_after  # a timedelta with PTB_TIMEDELTA=true
            delay = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            until = asyncio.get_running_loop().time() + delay
            self._failed(row, "flood")
            await self._outbox.postpone(row.id, delay)
            if is_group(row):
                # A group's own limit (20 a minute): only that group waits.
                self._group_paused[row.recipient] = until
                log.warning("Flood control: pausing one group chat for %.0f s", delay)
            else:
                self._paused_until = until
                log.warning("Flood control: pausing the outbox for %.0f s", delay)
            return False
        except ChatMigrated as exc:
            self._failed(row, "migrated")
            await self._outbox.moved(row.recipient, str(exc.new_chat_id))
            return False
        except Forbidden as exc:
            self._failed(row, "gone")
            await self._gone(row, exc.message)
            return False
        except BadRequest as exc:
            self._failed(row, "refused")
            if any(reason in exc.message.lower() for reason in GONE):
                await self._gone(row, exc.message)
            else:
                # Refused as it is (too long, bad HTML): sending it again changes nothing.
                log.warning(
                    "Outbox row %d (%s) refused by Telegram, not sent again: %s",
                    row.id,
                    row.kind,
                    exc.message,
                )
                await self._outbox.retry(row.id, backoff(row.attempts), exc.message, 1)
                if self._refusals is not None:
                    await self._refusals.refused(row, exc.message)
            return False
        except (TelegramError, OSError, Exception) as exc:  # network, SMTP, anything transient
            last = row.attempts + 1 >= MAX_ATTEMPTS
            log.warning(
                "Outbox row %d failed (attempt %d%s): %s",
                row.id,
                row.attempts + 1,
                ", the last: not sent again" if last else "",
                exc,
            )
            self._failed(row, "error")
            await self._outbox.retry(row.id, backoff(row.attempts), str(exc), MAX_ATTEMPTS)
            if last and self._refusals is not None:
                await self._refusals.refused(row, str(exc))
            return False
        await self._outbox.sent(row.id, message_id)
        if self._metrics is not None:
            self._metrics.deliveries.labels(row.channel).inc()
        return True

    async def _gone(self, row: OutboxRow, reason: str) -> None:
        """Telegram cannot reach the chat: drop its pending rows, mark it, say so."""
        news = await self._outbox.dead(row.recipient, reason)
        # No chat id at INFO: it is a resident's (the row id leads to it, for whoever may).
        log.info(
            "Outbox row %d: the chat is gone (%s); its pending messages are dropped",
            row.id,
            reason,
        )
        if self._refusals is not None:
            await self._refusals.gone(row, reason, news)

    def _failed(self, row: OutboxRow, reason: str) -> None:
        if self._metrics is not None:
            self._metrics.delivery_failures.labels(row.channel, reason).inc()

    async def _send(self, row: OutboxRow) -> int | None:
        _sending.set(True)  # this task's context only: past PTB's rate limiter (BotLimiter)
        payload: dict[str, Any] = row.payload
        if row.channel == "email":
            if not self._mailer.enabled:
                raise RuntimeError("e-mail is not configured (TRYGG_SMTP_HOST)")
            files = [self._media_dir / p for p in payload.get("photos", [])]
            await self._mailer.send(
                row.recipient,
                payload["subject"],
                payload["body"],
                [f for f in files if f.is_file()],
            )
            return None
        chat_id = int(row.recipient)
        sent: Message
        if row.kind == "text":
            sent = await self._bot.send_message(
                chat_id,
                payload["text"],
                reply_markup=markup(payload.get("buttons")),
                allow_paid_broadcast=self._paid or None,
            )
        elif row.kind == "photo":
            path = self._media_dir / payload["path"]
            if not path.is_file():
                log.warning("Photo %s is gone; skipping", path.name)
                return None
            sent = await self._bot.send_photo(
                chat_id, path.read_bytes(), caption=payload.get("caption")
            )
        elif row.kind == "location":
            sent = await self._bot.send_location(chat_id, payload["lat"], payload["lon"])
        else:
            raise ValueError(f"unknown outbox kind {row.kind!r}")
        return sent.message_id
