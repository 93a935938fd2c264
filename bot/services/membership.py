"""Whether the bot can reach a chat: Telegram's `my_chat_member` updates (a resident blocks or
unblocks the bot; the bot is removed from or added to a group) and any update a chat sends.

A chat marked inactive gets no promise updates or digests (storage.promises leaves it out);
marking it active again is what lets a follower who came back hear the next update.
"""

from __future__ import annotations

import logging

from bot.domain.chats import group_stations, reachable
from bot.domain.deployment import Deployment
from storage.chats import ChatRepository

log = logging.getLogger(__name__)


class Membership:
    def __init__(self, chats: ChatRepository, deployment: Deployment) -> None:
        self._chats = chats
        self._deployment = deployment

    async def seen(self, chat_id: int, private: bool) -> None:
        """An update came from the chat (a message, a button): it can be reached again."""
        if await self._chats.reactivate(chat_id, "an update from the chat"):
            self._log(chat_id, private, True)

    async def changed(
        self, chat_id: int, private: bool, status: str, can_send: bool | None = None
    ) -> bool | None:
        """The bot's status in the chat changed to `status`; returns whether the chat is now
        reachable (None: a status that changes nothing)."""
        now = reachable(status, can_send=can_send)
        if now is None:
            return None
        if await self._chats.set_active(chat_id, now, f"my_chat_member: {status}"):
            self._log(chat_id, private, now)
        return now

    def _log(self, chat_id: int, private: bool, active: bool) -> None:
        if private:  # a resident's chat id stays out of the log at INFO
            log.debug("A private chat %s", "is reachable again" if active else "blocked the bot")
            return
        stations = ", ".join(group_stations(self._deployment, chat_id))
        if not stations:
            log.info("Group chat %d: the bot was %s", chat_id, "added" if active else "removed")
        elif active:
            log.info("The bot is back in the group chat of station %s (%d)", stations, chat_id)
        else:
            log.warning(
                "The bot was removed from the group chat of station %s (%d): reports for the "
                "station no longer reach that group until the bot is added back",
                stations,
                chat_id,
            )
