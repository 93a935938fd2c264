"""Per-resident flood limit: checked before anything else, so a flood costs others nothing."""

from __future__ import annotations

import time
from collections import deque

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import AppContext, BotApp
from bot.handlers.common import lang_of, send

LIMIT_GROUP = -3
WINDOW = 60.0


async def limit(update: Update, context: AppContext) -> None:
    """Drop a private chat's updates beyond the deployment's messages per minute."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    allowed = context.services.deployment.limits.messages_per_minute
    now = time.monotonic()
    times = context.bot_data.flood.setdefault(chat.id, deque())
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
