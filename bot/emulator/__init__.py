"""A local Telegram Bot API emulator: the bot talks to it over HTTP exactly as to Telegram."""

from bot.emulator.server import EMULATOR_TOKEN, Emulator
from bot.emulator.state import ApiError, Event, Message, World

__all__ = ["EMULATOR_TOKEN", "ApiError", "Emulator", "Event", "Message", "World"]
