"""The error handler: log with traceback, tell the user plainly, never show a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import AppContext, BotApp

log = logging.getLogger(__name__)


async def on_error(update: object, context: AppContext) -> None:
    """Log the failure and, where there is a chat, say that something went wrong."""
    log.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    services = context.bot_data.services
    if services is None:
        return
    user = update.effective_user
    lang = services.language_for(user.language_code if user else None)
    try:
        await context.bot.send_message(
            update.effective_chat.id, services.text(lang, "error.generic")
        )
    except TelegramError:
        log.warning("Could not tell chat about the error", exc_info=True)


def register(app: BotApp) -> None:
    app.add_error_handler(on_error)
