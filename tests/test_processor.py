"""The update processor: chats run concurrently, each chat strictly in order."""

from __future__ import annotations

import asyncio
import time

from telegram import Chat, Message, Update

from bot.processor import PerChatUpdateProcessor


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, "private")
    message = Message(update_id, None, chat, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_one_busy_chat_never_delays_another() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_chats=2)
    done: list[tuple[int, int, float]] = []
    started = time.monotonic()

    async def work(chat_id: int, n: int, seconds: float) -> None:
        await asyncio.sleep(seconds)
        done.append((chat_id, n, time.monotonic() - started))

    tasks = [
        asyncio.create_task(processor.process_update(update(n, 1), work(1, n, 0.1)))
        for n in range(6)  # a resident flooding: 6 slow updates
    ]
    await asyncio.sleep(0.01)
    tasks.append(asyncio.create_task(processor.process_update(update(99, 2), work(2, 0, 0.01))))
    await asyncio.gather(*tasks)
    busy = [n for chat, n, _ in done if chat == 1]
    assert busy == list(range(6))  # in order
    finished = [chat for chat, _, _ in done]
    assert finished.index(2) <= 1  # served while chat 1 still had its backlog
    assert processor._locks == {}  # nothing left behind
