"""/minadata and /radera: a resident sees, or erases, everything stored about them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.context import AppContext, BotApp
from bot.domain import callbacks
from bot.domain.commands import names
from bot.handlers.common import clear_buttons, keyboard, lang_of, send, send_file


async def my_data(update: Update, context: AppContext) -> None:
    """Send the resident a JSON file with everything stored about them."""
    chat = update.effective_chat
    assert chat is not None
    lang = await lang_of(update, context)
    data = await context.services.privacy.export(chat.id)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    name = f"trygghetsboten-{dt.date.today().isoformat()}.json"
    await send_file(
        update, context, body, name, context.services.text(lang, "privacy.data_caption")
    )


async def erase_ask(update: Update, context: AppContext) -> None:
    lang = await lang_of(update, context)
    t = context.services.text
    rows = [
        [
            (t(lang, "privacy.erase_yes"), callbacks.menu("erase")),
            (t(lang, "privacy.erase_no"), callbacks.menu("keep")),
        ]
    ]
    await send(update, context, t(lang, "privacy.erase_confirm"), keyboard(rows))


async def on_erase(update: Update, context: AppContext) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None
    assert chat is not None
    lang = await lang_of(update, context)  # before the language is erased
    await query.answer()
    await clear_buttons(update)
    if query.data == callbacks.menu("keep"):
        await send(update, context, context.services.text(lang, "privacy.erase_kept"))
        return
    await context.services.erase(chat.id)
    forget(context.application, chat.id)
    # A persistence run between the two may have written the draft back: drop it now, and
    # checkpoint again so that no copy stays in the database files.
    await context.application.update_persistence()
    await context.services.checkpoint()
    await send(update, context, context.services.text(lang, "privacy.erased"))


def forget(app: Application[Any, Any, Any, Any, Any, Any], chat_id: int) -> None:
    """Drop the resident's in-memory bot state too; persistence then deletes its rows.

    PTB has no public call to end one key's conversation in every handler; popping the key
    from the handler's state dict is what ending it does, and is written through persistence.
    """
    app.drop_user_data(chat_id)
    app.drop_chat_data(chat_id)
    for group in app.handlers.values():
        for handler in group:
            if isinstance(handler, ConversationHandler):
                states = handler._conversations
                for key in [k for k in states if chat_id in k]:
                    states.pop(key, None)


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler(names("mydata"), my_data))
    app.add_handler(CommandHandler(names("delete"), erase_ask))
    app.add_handler(CallbackQueryHandler(on_erase, pattern=r"^v1:m:(erase|keep)$"))
