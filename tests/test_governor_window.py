"""The governor's window counts a send from when Telegram answered it, a 429 pauses it, and
a chat takes one message a second whoever sends it."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from telegram.error import RetryAfter

from bot.delivery.governor import Governor, Priority, Ticket
from bot.delivery.pacing import BotLimiter
from tests.test_governor import FakeTime, step_until, until


async def test_a_window_counts_from_when_the_send_came_back() -> None:
    """A request may reach Telegram any time before its answer: the next second's sends wait
    until the answers of the sends `rate` before them are a second old, not their starts."""
    fake = FakeTime()
    governor = Governor(2, clock=fake.clock, sleep=fake.sleep)
    answered, sent = asyncio.Event(), asyncio.Event()

    async def slow_send() -> None:
        async with governor.sending(Priority.REPLY):
            sent.set()
            await answered.wait()  # in flight: a busy loop, a slow network

    first = asyncio.create_task(slow_send())
    await until(sent.is_set)
    fake.advance(0.6)
    second = asyncio.create_task(governor.wait(Priority.REPLY))
    await until(second.done)
    third = asyncio.create_task(governor.wait(Priority.REPLY))
    await until(lambda: governor.waiting == 1)
    fake.advance(1.0)  # a second after the first started: it is still in flight
    for _ in range(50):
        await asyncio.sleep(0)
    assert not third.done()  # held while the first, two sends back, is in flight
    fake.advance(0.5)  # at 102.1 the first is answered
    answered.set()
    await first
    start = fake.now
    await step_until(fake, third.done, 0.05)
    assert fake.now - start >= 1.0  # a second after that answer, not after its start


async def test_a_429_to_a_reply_pauses_every_send_and_the_retry_takes_a_slot() -> None:
    """Telegram's retry_after holds the whole budget, broadcasts included; the reply's retry
    goes through the governor, not around it (PTB's own retry sleeps, then sends at once)."""
    fake = FakeTime()
    limiter = BotLimiter(30, max_retries=1)
    limiter.governor = Governor(30, clock=fake.clock, sleep=fake.sleep)
    calls: list[float] = []

    async def send(**_: Any) -> dict[str, Any]:
        calls.append(fake.now)
        if len(calls) == 1:
            raise RetryAfter(dt.timedelta(seconds=2))
        return {"ok": True}

    async def reply() -> Any:
        return await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5}, None)

    task = asyncio.create_task(reply())
    await until(lambda: len(calls) == 1 and fake.sleeping)
    broadcast = asyncio.create_task(limiter.governor.wait(Priority.BROADCAST))
    fake.advance(1.5)
    for _ in range(50):
        await asyncio.sleep(0)
    assert not broadcast.done()  # nothing goes during retry_after
    assert len(calls) == 1
    await step_until(fake, lambda: task.done() and broadcast.done(), 0.1)
    assert task.result() == {"ok": True}
    assert calls[1] - calls[0] >= 2.0


async def test_messages_to_one_chat_go_a_second_after_the_answer_to_the_last() -> None:
    """Telegram's one a second per chat, whoever sends: a handler's reply and the outbox's
    notice to the same resident; another chat is not held back meanwhile."""
    fake = FakeTime()
    limiter = BotLimiter(30)
    limiter.governor = Governor(30, clock=fake.clock, sleep=fake.sleep)
    sent: list[tuple[int, float]] = []

    def send_to(chat: int) -> Any:
        async def send(**_: Any) -> dict[str, Any]:
            sent.append((chat, fake.now))
            return {"ok": True}

        return send

    def message(chat: int, ticket: object = None) -> Any:
        data = {"chat_id": chat, "text": "Hej"}
        return limiter.process_request(send_to(chat), (), {}, "sendMessage", data, ticket)

    reply = asyncio.create_task(message(7))
    await until(reply.done)
    notice = asyncio.create_task(message(7, Ticket(Priority.CARD)))
    other = asyncio.create_task(message(8))
    while not (notice.done() and other.done()):  # two sleepers: let both see each step
        for _ in range(20):
            await asyncio.sleep(0)
        fake.advance(0.05)
    assert [chat for chat, _ in sent] == [7, 8, 7]
    assert sent[2][1] - sent[0][1] >= 1.0  # the notice waited for the chat's second
    assert sent[1][1] - sent[0][1] < 0.1  # the other chat did not
