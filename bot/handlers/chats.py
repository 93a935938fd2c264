"""Group chats: resident flows only in private chats, case views only in the station's group.

Runs in its own handler group, after the flood limit and before the guards, so that no
feature sees an update from a group it must not answer there (`bot.domain.chats`).
"""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import AppContext, BotApp
from bot.domain import callbacks
from bot.domain.chats import CASE_COMMANDS, IN_STATION_GROUP, Asks, Verdict, group_stations
from bot.domain.chats import verdict as verdict_for
from bot.domain.intake import is_draft_token
from bot.handlers.access import member_of, refuse
from bot.handlers.common import lang_of, send
from bot.services.desk import CASE_SCOPE

CHAT_GROUP = -2


def command_of(message: Message, bot_username: str) -> str | None:
    """The command a message starts with ('' if it is for another bot), else None."""
    entities = message.entities
    text = message.text or ""
    if not entities or entities[0].type != MessageEntity.BOT_COMMAND or entities[0].offset:
        return None
    name, _, target = text[1 : entities[0].length].partition("@")
    if target and target.lower() != bot_username.lower():
        return ""
    return name.lower()


def asks(update: Update, bot_username: str) -> Asks | None:
    """What the update asks of the bot; None for updates that are not messages or buttons."""
    query = update.callback_query
    if query is not None:
        cb = callbacks.parse(query.data)
        if cb is not None and cb.scope == CASE_SCOPE:
            return Asks.CASE_BUTTON
        if cb is not None and (cb.is_menu or is_draft_token(cb.scope)):
            return Asks.RESIDENT_BUTTON
        return Asks.STAFF_BUTTON
    message = update.message or update.edited_message
    if message is None:
        return None
    command = command_of(message, bot_username)
    if command is None:
        return Asks.TEXT
    if not command:
        return Asks.NOTHING
    return Asks.CASE_COMMAND if command in CASE_COMMANDS else Asks.COMMAND


async def gate(update: Update, context: AppContext) -> None:
    """Stop what a group chat may not have, with one line (or an alert) or in silence."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    what = asks(update, context.bot.username)
    if what is None:
        return
    staff_of_group = (
        what in IN_STATION_GROUP
        and bool(group_stations(context.services.deployment, chat.id))
        and await member_of(update, context) is not None  # staff of this group's station
    )
    verdict = verdict_for(what, private=False, staff_of_group=staff_of_group)
    if verdict is Verdict.PASS:
        return
    if verdict is Verdict.PRIVATE_ONLY:
        lang = await lang_of(update, context)
        text = context.services.text(lang, "group.private_only", bot=context.bot.username)
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=True)
        else:
            await send(update, context, text)
    elif verdict is Verdict.REFUSE:
        await refuse(update, context)
    raise ApplicationHandlerStop


def register(app: BotApp) -> None:
    app.add_handler(TypeHandler(Update, gate), group=CHAT_GROUP)
