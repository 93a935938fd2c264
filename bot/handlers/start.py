"""/start and /help: the welcome, with the 112 notice, in the resident's language."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler

from bot.context import AppContext, BotApp


async def start(update: Update, context: AppContext) -> None:
    """Greet the resident and say plainly that this chat is not for emergencies."""
    if update.effective_message is None or update.effective_user is None:
        return
    services = context.services
    lang = services.language_for(update.effective_user.language_code)
    await update.effective_message.reply_text(
        services.text(lang, "start.welcome"), parse_mode=ParseMode.HTML
    )


async def help_command(update: Update, context: AppContext) -> None:
    """Short help with the important numbers."""
    if update.effective_message is None or update.effective_user is None:
        return
    services = context.services
    lang = services.language_for(update.effective_user.language_code)
    await update.effective_message.reply_text(
        services.text(lang, "help.text"), parse_mode=ParseMode.HTML
    )


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler(["help", "hjalp"], help_command))
