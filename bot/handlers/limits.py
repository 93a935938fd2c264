"""Per-resident flood limit: checked before anything else, so a flood costs others nothing."""

from __future__ import annotations

import time
from collections import deque

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler, filters

from bot.context import AppContext, BotApp
from bot.handlers.common import lang_of, send

LIMIT_GROUP = -3
WINDOW = 60.0


async def limit(update: Update, context: AppContext) -> None:
    """Drop a person's updates beyond the deployment's messages per minute.

    Counted per person, in a private chat and in groups alike; in a group only what the bot
    answers (commands and buttons), not the talk between its members.
    """
    chat = update.effective_chat
    if chat is None:
        return
    if chat.type != ChatType.PRIVATE and not (
        update.callback_query or filters.COMMAND.check_update(update)
    ):
        return
    user = update.effective_user
    allowed = context.services.deployment.limits.messages_per_minute
    now = time.monotonic()
    times = context.bot_data.flood.setdefault(user.id if user else chat.id, deque())
    while times and now - times[0] >= WINDOW:
        times.popleft()
    times.append(now)
    if len(times) <= allowed:
        return
    if len(times) == allowed + 1:  # say it once per burst, then stay quiet
        if update.callback_query:
            await update.callback_query.answer()
        lang = await lang_of(update, context)
        await send(update, context, context.services.text(lang, "limits.slow_down"))
    raise ApplicationHandlerStop


def register(app: BotApp) -> None:
    app.add_handler(TypeHandler(Update, limit), group=LIMIT_GROUP)
