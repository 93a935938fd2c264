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
from pathlib import Path
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.delivery.email import Mailer
from bot.metrics import Metrics
from storage.outbox import MAX_DELAY, OutboxRepository, OutboxRow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
GONE = ("chat not found", "user not found", "bot was blocked", "user is deactivated", "kicked")


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
        paid_broadcast: bool = False,
        concurrency: int = 16,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._bot = bot
        self._pacer = Pacer(rate_per_second)
        self._chat_gap = 1.0 / rate_per_chat
        self._paid = paid_broadcast
        self._concurrency = concurrency
        self._last_sent: dict[tuple[str, str], float] = {}
        self._outbox = outbox
        self._mailer = mailer
        self._media_dir = media_dir
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._paused_until = 0.0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                sent_any = await self.drain_once()
            except Exception:
                log.exception("Outbox pass failed; trying again")
                sent_any = False
            if self._stopping:
                break
            if not sent_any:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)

    async def drain_once(self) -> bool:
        """Send what is due now, several chats at a time; True if anything was attempted."""
        loop = asyncio.get_running_loop()
        wait = self._paused_until - loop.time()
        if wait > 0:
            await asyncio.sleep(min(wait, self._poll))
            return True
        rows = await self._outbox.due(limit=500)
        batch: list[OutboxRow] = []
        seen: set[tuple[str, str]] = set()
        for row in rows:
            key = (row.channel, row.recipient)
            if key in seen:
                continue  # one message per chat per pass keeps each chat's order
            seen.add(key)
            if loop.time() - self._last_sent.get(key, -1e9) < self._chat_gap:
                continue  # Telegram's 1 message per second per chat
            if await self._outbox.earlier_pending(row):
                continue  # an older message to this chat is waiting (e.g. backing off)
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

    async def _paced(self, row: OutboxRow) -> None:
        if row.channel == "telegram":
            await self._pacer.wait()
        if self._stopping:
            return  # not started: it stays pending for the next start
        await self._deliver(row)
        self._last_sent[(row.channel, row.recipient)] = asyncio.get_running_loop().time()

    async def _deliver(self, row: OutboxRow) -> bool:
        try:
            message_id = await self._send(row)
        except RetryAfter as exc:
            wait = exc.retry_after  # a timedelta with PTB_TIMEDELTA=true
            delay = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            self._paused_until = asyncio.get_running_loop().time() + delay
            self._failed(row, "flood")
            await self._outbox.postpone(row.id, delay)
            log.warning("Flood control: pausing the outbox for %.0f s", delay)
            return False
        except ChatMigrated as exc:
            self._failed(row, "migrated")
            await self._outbox.moved(row.recipient, str(exc.new_chat_id))
            return False
        except Forbidden as exc:
            self._failed(row, "gone")
            await self._outbox.dead(row.recipient, exc.message)
            # No chat id at INFO: it is a resident's (the row id leads to it, for whoever may).
            log.info(
                "Outbox row %d: the chat is gone (%s); its pending messages are dropped",
                row.id,
                exc.message,
            )
            return False
        except BadRequest as exc:
            self._failed(row, "refused")
            if any(reason in exc.message.lower() for reason in GONE):
                await self._outbox.dead(row.recipient, exc.message)
            else:
                log.error("Outbox row %d refused: %s", row.id, exc.message)
                await self._outbox.retry(row.id, backoff(row.attempts), exc.message, 1)
            return False
        except (TelegramError, OSError, Exception) as exc:  # network, SMTP, anything transient
            log.warning("Outbox row %d failed (attempt %d): %s", row.id, row.attempts + 1, exc)
            self._failed(row, "error")
            await self._outbox.retry(row.id, backoff(row.attempts), str(exc), MAX_ATTEMPTS)
            return False
        await self._outbox.sent(row.id, message_id)
        if self._metrics is not None:
            self._metrics.deliveries.labels(row.channel).inc()
        return True

    def _failed(self, row: OutboxRow, reason: str) -> None:
        if self._metrics is not None:
            self._metrics.delivery_failures.labels(row.channel, reason).inc()

    async def _send(self, row: OutboxRow) -> int | None:
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
