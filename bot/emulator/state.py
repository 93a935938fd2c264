"""The emulated Telegram world: users, chats, messages, files and the update queue.

The bot side (`bot/emulator/api.py`) and the control side (tests, the shell, the HTTP control
API) both act on one `World`. Everything is in memory and belongs to one event loop.
The World is put together here from its layers; its records (`Message`, `ApiError`, ...) are
importable from here as before.
"""

from __future__ import annotations

from bot.emulator.models import (
    DEFAULT_EXCLUDED,
    JSON,
    ApiError,
    Chat,
    Event,
    FloodPolicy,
    Measurements,
    Message,
    RateWindow,
    StoredFile,
    User,
    bad_request,
)
from bot.emulator.user_actions import UserActions

__all__ = [
    "DEFAULT_EXCLUDED",
    "JSON",
    "ApiError",
    "Chat",
    "Event",
    "FloodPolicy",
    "Measurements",
    "Message",
    "RateWindow",
    "StoredFile",
    "User",
    "World",
    "bad_request",
]


class World(UserActions):
    """Users, chats and the update queue of one emulated bot.

    One class, written in layers: `WorldCore` (state, users and chats, the update queue and
    waits; bot.emulator.core), `BotSide` (files and what Bot API methods do;
    bot.emulator.bot_side) and `UserActions` (what users do and what tests read;
    bot.emulator.user_actions). The records live in bot.emulator.models.
    """
