"""Update processing: different chats run concurrently, one chat's updates strictly in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def _chat_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Runs up to `max_concurrent_chats` chats at once; never two updates of one chat.

    PTB's default processes one update at a time for the whole bot; plain concurrency would
    let a resident's two quick messages race through the conversation state. A chat waits for
    its turn before it takes one of the slots, so a chat with a backlog holds at most one
    slot and cannot crowd out other chats. (PTB's own semaphore is set high: it would
    otherwise be taken before the chat's turn.)
    """

    def __init__(
        self,
        max_concurrent_chats: int = 64,
        observe: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates=1_000_000)
        self._observe = observe
        self._slots = asyncio.Semaphore(max_concurrent_chats)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            async with self._slots:
                await self._timed(coroutine)
            return
        await self._in_chat(key, self._timed(coroutine))

    async def in_turn(self, chat_id: int, coroutine: Awaitable[Any]) -> None:
        """Run `coroutine` in the chat's turn, as if it were one of its updates: never beside
        one (a job that answers inside a conversation, such as the answer to an album)."""
        await self._in_chat(chat_id, coroutine)

    async def _in_chat(self, key: int, coroutine: Awaitable[Any]) -> None:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def _timed(self, coroutine: Awaitable[Any]) -> None:
        """Run the handlers; report how long they took (errors are handled inside PTB)."""
        start = time.perf_counter()
        try:
            await coroutine
        finally:
            if self._observe is not None:
                self._observe(time.perf_counter() - start)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
