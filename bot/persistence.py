"""python-telegram-bot persistence in the bot's own SQLite database (no pickle files).

User and chat data and conversation states are stored as JSON, so only plain data may live
in them (drafts are dicts). Bot data and callback data are not persisted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from storage.bot_state import BotStateRepository

Data = dict[Any, Any]


class SqlitePersistence(BasePersistence[Data, Data, Data]):
    """Stores user_data, chat_data and conversations in tables of the main database.

    `repository` is awaited on first use: PTB reads persistence during `initialize()`,
    before `post_init`, so the database is opened by whichever needs it first.
    """

    def __init__(
        self,
        repository: Callable[[], Awaitable[BotStateRepository]],
        update_interval: float = 1.0,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self._repository = repository

    async def get_user_data(self) -> dict[int, Data]:
        return await (await self._repository()).all_data("user")

    async def get_chat_data(self) -> dict[int, Data]:
        return await (await self._repository()).all_data("chat")

    async def get_bot_data(self) -> Data:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        return await (await self._repository()).conversations(name)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await (await self._repository()).put_conversation(name, key, new_state)

    async def update_user_data(self, user_id: int, data: Data) -> None:
        await (await self._repository()).put_data("user", user_id, data)

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        await (await self._repository()).put_data("chat", chat_id, data)

    async def update_bot_data(self, data: Data) -> None:
        """Bot data is not persisted."""

    async def update_callback_data(self, data: Any) -> None:
        """Callback data is not persisted (ours is plain strings)."""

    async def drop_chat_data(self, chat_id: int) -> None:
        await (await self._repository()).put_data("chat", chat_id, {})

    async def drop_user_data(self, user_id: int) -> None:
        await (await self._repository()).put_data("user", user_id, {})

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """Data lives in memory between flushes; nothing to refresh."""

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """Data lives in memory between flushes; nothing to refresh."""

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """Bot data is not persisted."""

    async def flush(self) -> None:
        """Every write goes straight to the database; nothing is buffered here."""
