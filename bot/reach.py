"""Whether the bot can write to a chat: Telegram's getChat, for the doctor and at start-up.

Telegram lets a bot write only to someone who has opened it; getChat on anyone else is refused
(400 "chat not found", 403 for a user who blocked the bot). A refusal is Telegram's answer for
good; no answer at all (network, timeout) says nothing about the chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError

#: Chats checked at once.
CONCURRENCY = 8


@dataclass(frozen=True)
class Reach:
    """One chat's answer: `refused` is Telegram's reason it cannot be reached, `no_answer`
    the network error when Telegram did not answer; both None when it can be reached."""

    chat_id: int
    refused: str | None = None
    no_answer: str | None = None

    @property
    def problem(self) -> str | None:
        """One line for a person, None when the chat can be reached."""
        if self.no_answer is not None:
            return f"no answer: {self.no_answer}"
        return self.refused


async def probe_chats(
    bot: Bot, chat_ids: Iterable[int], concurrency: int = CONCURRENCY
) -> list[Reach]:
    """getChat for each chat, a few at a time, in the order given. Errors other than a
    refusal or a network error (an invalid token, say) propagate."""
    slots = asyncio.Semaphore(concurrency)

    async def probe(chat_id: int) -> Reach:
        async with slots:
            try:
                await bot.get_chat(chat_id)
            except (BadRequest, Forbidden) as exc:
                return Reach(chat_id, refused=exc.message)
            except NetworkError as exc:  # TimedOut included
                return Reach(chat_id, no_answer=exc.message)
        return Reach(chat_id)

    return list(await asyncio.gather(*(probe(chat_id) for chat_id in chat_ids)))
