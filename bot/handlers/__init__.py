"""Telegram glue, one module per feature, combined here."""

from __future__ import annotations

from bot.context import BotApp
from bot.handlers import errors, start


def register_all(app: BotApp) -> None:
    """Add every feature's handlers to the application."""
    start.register(app)
    errors.register(app)
