"""Guards that run before everything else on every text: 112 and crime tips.

They sit in handler group -1. An emergency-looking text gets the 112 notice at once and
then goes on to wherever it was headed (at a step that takes free text, the intake does not
take it as the answer but waits until the resident chooses to go on); a crime tip about a
person is redirected to polisen.se / 114 14 and goes no further, so it is never stored.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, MessageHandler, filters

from bot.context import AppContext, BotApp
from bot.domain.guards import looks_like_crime_tip, looks_urgent
from bot.handlers.access import staff_member
from bot.handlers.common import lang_of, send, send_menu
from bot.handlers.intake import DRAFT, album_answered

GUARD_GROUP = -1


async def guarded_text(update: Update, context: AppContext) -> str:
    """The text the guards check in this update ('' when none: not a resident's free text)."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or chat.type != "private":
        return ""
    text = message.text or message.caption or ""
    if not text or text.startswith("/"):
        return ""
    drafting = bool(context.user_data and context.user_data.get(DRAFT))
    if not drafting and await staff_member(update, context):
        return ""  # staff write notes about places and cases; a report of theirs is checked
    return text


async def guard_text(update: Update, context: AppContext) -> None:
    """Check a resident's free text for emergencies and crime tips."""
    text = await guarded_text(update, context)
    if not text:
        return
    urgent, tip = looks_urgent(text), looks_like_crime_tip(text)
    if not (urgent or tip):
        return
    lang = await lang_of(update, context)
    if urgent:
        await send(update, context, context.services.text(lang, "guard.emergency"))
    if tip:
        await send(update, context, context.services.text(lang, "guard.tip"))
        raise ApplicationHandlerStop


async def unknown_message(update: Update, context: AppContext) -> None:
    """Anything outside a flow that no other handler took: say so and show the menu (once
    per album: its other photos are messages of their own)."""
    chat = update.effective_chat
    if chat is None or chat.type != "private" or album_answered(update, context):
        return
    lang = await lang_of(update, context)
    # After the 112 notice, "I did not understand" would belittle it: just the menu.
    urgent = looks_urgent(await guarded_text(update, context))
    await send_menu(update, context, lang, "menu.prompt" if urgent else "error.unknown")


async def unknown_button(update: Update, context: AppContext) -> None:
    """A button from a finished or replaced flow, or data we did not make."""
    query = update.callback_query
    assert query is not None
    lang = await lang_of(update, context)
    await query.answer(context.services.text(lang, "error.stale")[:200], show_alert=True)


def register(app: BotApp) -> None:
    app.add_handler(MessageHandler(filters.TEXT | filters.CAPTION, guard_text), group=GUARD_GROUP)


def register_fallbacks(app: BotApp) -> None:
    """Last in group 0: only what no other handler took."""
    app.add_handler(MessageHandler(filters.ALL, unknown_message))
    app.add_handler(CallbackQueryHandler(unknown_button))
