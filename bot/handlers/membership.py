"""Blocked, then back: `my_chat_member` updates say when a resident blocks or unblocks the bot
(or the bot leaves or joins a group), and any other update from a chat shows it is reachable.

Runs first of all, so that even an update the flood limit drops counts as a sign of life.
"""

from __future__ import annotations

from telegram import ChatMemberRestricted, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import AppContext, BotApp

MEMBERSHIP_GROUP = -4


async def on_update(update: Update, context: AppContext) -> None:
    """Record whether the chat can be reached; a `my_chat_member` update ends here."""
    chat = update.effective_chat
    if chat is None:
        return
    private = chat.type == ChatType.PRIVATE
    membership = context.services.membership
    changed = update.my_chat_member
    if changed is None:
        await membership.seen(chat.id, private)
        return
    new = changed.new_chat_member
    can_send = (
        new.is_member and bool(new.can_send_messages)
        if isinstance(new, ChatMemberRestricted)
        else None
    )
    await membership.changed(chat.id, private, new.status, can_send)
    raise ApplicationHandlerStop  # nothing else answers a change of membership


def register(app: BotApp) -> None:
    app.add_handler(TypeHandler(Update, on_update), group=MEMBERSHIP_GROUP)
