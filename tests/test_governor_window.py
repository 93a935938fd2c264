"""The governor's window counts a send from when Telegram answered it, a 429 pauses it, and
a chat takes one message a second whoever sends it."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from typing import Any

from telegram.error import RetryAfter

from bot.delivery.governor import Governor, Priority, Ticket
from bot.delivery.pacing import BotLimiter
from tests.test_governor import FakeTime, step_until, until


async def test_a_window_counts_from_when_the_send_came_back() -> None:
    """A request may reach Telegram any time before its answer: a send keeps its place in
    the window until a second after its answer, not after its start."""
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
    fake.advance(0.5)  # at 101.1 the first, started at 100.0, is answered
    answered.set()
    await first
    back = fake.now
    third = asyncio.create_task(governor.wait(Priority.REPLY))
    await step_until(fake, third.done, 0.05)
    assert fake.now - 100.6 >= Governor.WINDOW  # the second's window first
    fourth = asyncio.create_task(governor.wait(Priority.REPLY))
    await step_until(fake, fourth.done, 0.05)
    assert fake.now - back >= 1.0  # a second after the first's answer, not after its start


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


async def test_one_long_upload_in_flight_does_not_stop_every_other_send() -> None:
    """An admin's export (write_timeout 300 s) is one send in flight for minutes: it keeps
    one of the `rate` places, and the rest of the bot goes on with the others (it stopped
    after `rate` more sends until the upload was answered)."""
    fake = FakeTime()
    governor = Governor(3, clock=fake.clock, sleep=fake.sleep)
    uploading, uploaded = asyncio.Event(), asyncio.Event()
    given: list[float] = []

    async def upload() -> None:
        async with governor.sending(Priority.REPLY, chat=1):
            uploading.set()
            await uploaded.wait()

    async def other() -> None:
        await governor.wait(Priority.REPLY)
        given.append(fake.now)

    long = asyncio.create_task(upload())
    await until(uploading.is_set)
    others = [asyncio.create_task(other()) for _ in range(6)]
    await step_until(fake, lambda: all(t.done() for t in others), 0.1)
    assert fake.now - 100.0 < 5.0  # 6 sends at 2 a second beside the upload, not 300 s
    # The upload still holds its place: never more than 2 others in any one window.
    for i in range(2, len(given)):
        assert given[i] - given[i - 2] >= Governor.WINDOW
    uploaded.set()
    await long


async def test_a_send_in_flight_keeps_its_place_however_many_go_after_it() -> None:
    """In flight for longer than `rate` sends take: still counted in every window, so no
    window holds more than `rate` sends, the slow one included."""
    fake = FakeTime()
    governor = Governor(2, clock=fake.clock, sleep=fake.sleep)
    started, answered = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        async with governor.sending(Priority.REPLY):
            started.set()
            await answered.wait()

    first = asyncio.create_task(slow())
    await until(started.is_set)
    given: list[float] = []
    for _ in range(4):
        task = asyncio.create_task(governor.wait(Priority.REPLY))
        await step_until(fake, task.done, 0.05)
        given.append(fake.now)
    assert all(b - a >= Governor.WINDOW for a, b in itertools.pairwise(given))
    answered.set()
    await first


async def test_a_pause_wakes_a_waiting_governor_and_a_cancelled_wait_ends_it() -> None:
    """A 429's pause reaches a serving task that already sleeps towards a slot, and when the
    last waiting send leaves, the serving task ends at once instead of sleeping out a pause."""
    fake = FakeTime()
    governor = Governor(1, clock=fake.clock, sleep=fake.sleep)
    await governor.wait(Priority.CARD)
    waiting = asyncio.create_task(governor.wait(Priority.CARD))
    await until(lambda: fake.sleeping)
    governor.pause(600)
    fake.advance(1.1)  # the slot it slept towards: the pause holds it now
    for _ in range(50):
        await asyncio.sleep(0)
    assert not waiting.done()
    server = governor._server
    assert server is not None
    waiting.cancel()
    await until(server.done)  # no fake time passed: it did not sleep out the pause
