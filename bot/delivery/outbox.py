"""The outbox worker: sends pending rows, retries with backoff, honours retry_after.

Rows are written in the same transaction as the event that causes them, so nothing confirmed
is lost. Rows Telegram accepted are marked sent together, one statement for each `concurrency`
of them and the rest when the pass ends (before the next pass looks for what is due, and before
`stop()` returns), so a restart resumes with what is still pending. Delivery is at least once:
a crash (the process killed) repeats the messages accepted since the last mark, fewer than
two chunks (`concurrency` accepted plus those in flight); nothing is ever left out. A mark
that fails (disk full, the database busy) is tried again with back-off, and nothing new is
sent meanwhile: the rows it holds are still pending and would go again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.delivery.channels import Channel, EmailChannel, TelegramChannel
from bot.delivery.email import Mailer
from bot.delivery.governor import Priority, Started, watch_sends
from bot.delivery.messages import BROADCAST, decode
from bot.delivery.pacing import BotLimiter
from bot.metrics import Metrics
from storage.outbox import MAX_DELAY, OutboxRepository, OutboxRow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
#: Sends in flight at once: enough to keep Telegram's 30/s busy across a round trip.
CONCURRENCY = 16
#: With paid broadcasts (up to 1,000/s): 64 sends are 64 ms of the budget, more than a round
#: trip and a batch mark, so the governor always has the next send waiting.
PAID_CONCURRENCY = 64
#: Telegram's window for a group's limit (`group_per_minute`), in seconds.
GROUP_WINDOW = 60.0
#: Seconds before a failed mark is tried again, doubling up to MARK_BACKOFF_MAX.
MARK_BACKOFF = 0.1
MARK_BACKOFF_MAX = 30.0

GONE = ("chat not found", "user not found", "bot was blocked", "user is deactivated", "kicked")


class Refusals(Protocol):
    """Who hears of a message that cannot be delivered for good (bot.services.refusals)."""

    async def gone(self, row: OutboxRow, reason: str, news: bool) -> None: ...
    async def refused(self, row: OutboxRow, reason: str) -> None: ...


def is_group(row: OutboxRow) -> bool:
    """A Telegram group or supergroup (negative chat id): 20 messages a minute of its own."""
    return row.channel == "telegram" and row.recipient.startswith("-")


def priority(row: OutboxRow) -> Priority:
    """A row's place in the queue for a send slot: a broadcast's or digest's fills only what
    cards, notifications and alerts leave."""
    return Priority.BROADCAST if row.payload.get(BROADCAST) else Priority.CARD


def backoff(attempts: int) -> float:
    """Seconds before the next try: 2, 4, 8, ... capped at ten minutes."""
    return float(min(MAX_DELAY, 2 ** (attempts + 1)))


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
        rate_per_chat: float = 1.0,
        group_per_minute: int = 20,
        paid_broadcast: bool = False,
        concurrency: int | None = None,
        metrics: Metrics | None = None,
        refusals: Refusals | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._metrics = metrics
        self._refusals = refusals
        #: The channel table: each row's channel, and each message's, names the class sending it.
        self._channels: dict[str, Channel] = {
            "telegram": TelegramChannel(bot, media_dir, paid_broadcast=paid_broadcast),
            "email": EmailChannel(mailer, media_dir),
        }
        # The global budget is the bot's: each Telegram send takes its slot of the bot's
        # BotLimiter.governor, with the row's priority (TelegramChannel, `priority`).
        self._chat_gap = 1.0 / rate_per_chat
        if concurrency is None:
            concurrency = PAID_CONCURRENCY if paid_broadcast else CONCURRENCY
        self._concurrency = concurrency
        #: The worker's clock (the loop's unless a test gives its own).
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        #: When each chat's last send was done, oldest first; older than a chat's gap: dropped.
        self._last_sent: dict[tuple[str, str], float] = {}
        #: The bot's send budget: a 429 to the whole bot pauses the handlers' replies too.
        limiter = getattr(bot, "rate_limiter", None)
        self._governor = limiter.governor if isinstance(limiter, BotLimiter) else None
        #: Rows Telegram accepted, not yet marked sent (kept across passes if a mark fails).
        self._accepted: list[tuple[OutboxRow, int | None]] = []
        self._mark_again = 0.0  # when a failed mark is tried again
        self._mark_backoff = MARK_BACKOFF
        #: Telegram sends under way, and whether each has been given its slot.
        self._starting: dict[asyncio.Task[None], Started] = {}
        self._outbox = outbox
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # set while nothing is due and the worker waits
        #: A row was enqueued since this pass fetched its batch: the pass stops after its
        #: current chunk and a fresh one fetches what is due (a new card first).
        self._enqueued = False
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
        """Rows were enqueued: a pass under way stops after its current chunk and a fresh pass
        fetches what is due, so a new card does not wait for the rest of a broadcast's batch."""
        self._enqueued = True
        self._again()

    def _again(self) -> None:
        self._idle.clear()
        self._wake.set()

    @property
    def is_idle(self) -> bool:
        return self._idle.is_set()

    async def idle(self) -> None:
        """Wait until a fresh pass found nothing due now and the worker waits for work (an
        in-process test's exact "done"; rows postponed to later do not count). A pass under
        way finishes its batch first: nothing new was enqueued."""
        self._again()
        await self._idle.wait()

    async def stop(self) -> None:
        """Finish the sends whose request has begun and mark them; the sends still waiting for
        a slot (the budget paused by a 429 for minutes) are cancelled and stay pending."""
        self._stopping = True
        self._wake.set()
        for task, started in list(self._starting.items()):
            if not started.given:
                task.cancel()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._accepted and not await self._mark_sent():
            log.error("Outbox: %d sent rows could not be marked sent", len(self._accepted))

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
        wait = max(self._paused_until, self._mark_again if self._accepted else 0.0)
        wait -= self._clock()
        if wait > 0:
            await asyncio.sleep(min(wait, self._poll))
            return True
        if self._accepted and not await self._mark_sent():
            return True  # nothing new goes until the rows Telegram accepted are marked
        self._forget_chats()
        # Each chat's oldest pending row only, and only when due: one message per chat per
        # pass keeps each chat's order (an older row backing off holds up the ones after it).
        self._enqueued = False  # a wake from here on may have come after `due` looked
        rows = await self._outbox.due(limit=500, first_per_chat=True)
        batch: list[OutboxRow] = []
        for row in rows:
            key = (row.channel, row.recipient)
            if self._clock() - self._last_sent.get(key, -1e9) < self._chat_gap:
                continue  # Telegram's 1 message per second per chat
            if is_group(row) and not self._group_may_send(row.recipient, self._clock()):
                continue  # this group had its 20 a minute, or is backing off; others go on
            batch.append(row)
        attempted = await self._send_all(batch)
        if not attempted and rows:
            await asyncio.sleep(min(self._chat_gap, self._poll) / 4)  # waiting on spacing
            return True
        return attempted

    async def _send_all(self, batch: list[OutboxRow]) -> bool:
        """Send the batch keeping `concurrency` sends in flight (each waits for its slot of
        the budget), and mark those Telegram accepted as sent, a chunk at a time; True if
        anything was attempted. Stops early on `stop()`, a 429, or a wake (new rows: a fresh
        pass fetches them, cards first; the rest of the batch stays pending), the last after
        at least one chunk, so that a stream of wakes cannot starve a broadcast."""
        loop = asyncio.get_running_loop()
        flying: set[asyncio.Task[None]] = set()
        tasks: list[asyncio.Task[None]] = []
        try:
            for row in batch:
                if self._stopping or self._paused_until > self._clock():
                    break
                if self._enqueued and len(tasks) >= self._concurrency:
                    break
                while len(flying) >= self._concurrency:
                    _, flying = await asyncio.wait(flying, return_when=asyncio.FIRST_COMPLETED)
                if len(self._accepted) >= self._concurrency and not await self._mark_sent():
                    break  # the database cannot mark: send nothing more
                task = loop.create_task(self._paced(row))
                flying.add(task)
                tasks.append(task)
        finally:
            # Even when cancelled: what Telegram accepted is marked before the pass ends.
            if flying:
                await asyncio.wait(flying)
            await self._mark_sent()
        for task in tasks:
            if not task.cancelled():  # cancelled by stop() before its request: still pending
                task.result()  # a failure that is not Telegram's (the database's) ends the pass
        return bool(tasks)

    async def _mark_sent(self) -> bool:
        """Mark the accepted rows sent, in one statement; False if the database failed (they
        are kept, to be marked again after a back-off)."""
        if not self._accepted:
            return True
        done = self._accepted[:]
        self._accepted.clear()
        try:
            await self._outbox.sent_many([(row.id, message_id) for row, message_id in done])
        except Exception:
            self._accepted[:0] = done
            self._mark_again = self._clock() + self._mark_backoff
            log.exception("Outbox: marking %d sent rows failed; trying again", len(done))
            self._mark_backoff = min(MARK_BACKOFF_MAX, self._mark_backoff * 2)
            return False
        self._mark_backoff = MARK_BACKOFF
        if self._metrics is not None:
            for row, _ in done:
                self._metrics.deliveries.labels(row.channel).inc()
        return True

    def _forget_chats(self) -> None:
        """Drop the send times that no longer hold a chat back (oldest first)."""
        old = self._clock() - self._chat_gap
        stale = []
        for key, when in self._last_sent.items():
            if when > old:
                break
            stale.append(key)
        for key in stale:
            del self._last_sent[key]
        for chat in [c for c, until in self._group_paused.items() if until <= old]:
            del self._group_paused[chat]

    def _group_may_send(self, chat: str, now: float) -> bool:
        if self._group_paused.get(chat, 0.0) > now:
            return False
        sent = self._group_sent.get(chat)
        while sent and now - sent[0] >= GROUP_WINDOW:
            sent.popleft()
        return not sent or len(sent) < self._group_limit

    async def _paced(self, row: OutboxRow) -> None:
        """Send one row (its slot of the global budget is taken inside the send); its chat's
        and group's pace counts from when the send is done, after the wait for a slot. An
        accepted row is kept, to be marked sent with others."""
        if self._stopping:
            return  # not started: it stays pending for the next start
        task = asyncio.current_task()
        if task is not None and row.channel == "telegram":  # an e-mail is never cut short
            self._starting[task] = watch_sends()
        try:
            sent, message_id = await self._deliver(row)
        finally:
            if task is not None:
                self._starting.pop(task, None)
        if sent:
            self._accepted.append((row, message_id))
        now = self._clock()
        if is_group(row):  # one send per group in flight at most (one row per chat a pass)
            self._group_sent.setdefault(row.recipient, deque()).append(now)
        key = (row.channel, row.recipient)
        self._last_sent.pop(key, None)  # to the end: the map stays in order of time
        self._last_sent[key] = now

    async def _deliver(self, row: OutboxRow) -> tuple[bool, int | None]:
        """Send one row: (True, the message id) if accepted, left for the caller to mark;
        (False, None) if not, its row already updated (retry, back-off, dropped)."""
        try:
            message_id = await self._send(row)
        except RetryAfter as exc:
            wait = exc.retry_after  # a timedelta with PTB_TIMEDELTA=true
            delay = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            until = self._clock() + delay
            self._failed(row, "flood")
            await self._outbox.postpone(row.id, delay)
            if is_group(row):
                # A group's own limit (20 a minute): only that group waits.
                self._group_paused[row.recipient] = until
                log.warning("Flood control: pausing one group chat for %.0f s", delay)
            else:
                # The whole bot's limit: the handlers' replies wait too (the governor).
                self._paused_until = until
                if self._governor is not None:
                    self._governor.pause(delay)
                log.warning("Flood control: pausing the bot's sends for %.0f s", delay)
            return False, None
        except ChatMigrated as exc:
            self._failed(row, "migrated")
            await self._outbox.moved(row.recipient, str(exc.new_chat_id))
            return False, None
        except Forbidden as exc:
            self._failed(row, "gone")
            await self._gone(row, exc.message)
            return False, None
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
            return False, None
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
            return False, None
        return True, message_id

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
        message = decode(row)
        return await self._channels[message.channel].send(message, priority(row))
