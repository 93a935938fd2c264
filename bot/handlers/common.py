"""Small helpers shared by the handler modules: language, sending, keyboards."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Sequence
from typing import IO

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.context import AppContext
from bot.domain import callbacks
from bot.domain.deployment import Station

log = logging.getLogger(__name__)

Button = tuple[str, str]  # (label, callback data)
Handlers = list[BaseHandler[Update, AppContext, object]]


async def lang_of(update: Update, context: AppContext) -> str:
    """The language to answer this update in."""
    user = update.effective_user
    chat = update.effective_chat
    key = chat.id if chat else (user.id if user else 0)
    return await context.services.language(key, user.language_code if user else None)


def conversation(
    name: str, entry_points: Handlers, states: dict[object, Handlers], fallbacks: Handlers
) -> ConversationHandler[AppContext]:
    """A conversation as ours all are: persistent (it survives a restart) and begun again by
    a new entry. Our buttons carry their own ids (a draft token, a case reference), so PTB's
    per-message tracking is not needed, nor its warning that we do without it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=entry_points,
            states=states,
            fallbacks=fallbacks,
            allow_reentry=True,
            name=name,
            persistent=True,
        )


def keyboard(rows: Sequence[Sequence[Sequence[str]]]) -> InlineKeyboardMarkup:
    """Inline buttons from rows of (label, callback data) pairs."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b[0], callback_data=b[1]) for b in row] for row in rows]
    )


def in_rows(buttons: Sequence[Button], per_row: int = 2) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


async def send(
    update: Update,
    context: AppContext,
    text: str,
    markup: InlineKeyboardMarkup | object | None = None,
) -> Message:
    """Send an HTML message to the update's chat."""
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(chat.id, text, reply_markup=markup)  # type: ignore[arg-type]


async def send_file(
    update: Update,
    context: AppContext,
    content: bytes | IO[bytes],
    filename: str,
    caption: str,
    *,
    write_timeout: float | None = None,
) -> Message:
    """Send a file to the update's chat (an export, the resident's own data): a reply, so
    it goes out now; anything for another chat goes through the outbox (bot.delivery).
    `write_timeout`: seconds for a large upload (None: the bot's default)."""
    chat = update.effective_chat
    assert chat is not None
    if write_timeout is None:
        return await context.bot.send_document(chat.id, content, filename=filename, caption=caption)
    return await context.bot.send_document(
        chat.id, content, filename=filename, caption=caption, write_timeout=write_timeout
    )


async def clear_buttons(update: Update) -> None:
    """Take the buttons off the message that was just pressed, so it cannot be pressed again."""
    query = update.callback_query
    if query is None or query.message is None or not isinstance(query.message, Message):
        return
    if query.message.reply_markup is None:
        return
    with contextlib.suppress(BadRequest):  # already edited or too old: nothing to clear
        await query.message.edit_reply_markup(None)


def answer_refused(error: TelegramError) -> bool:
    """Whether Telegram refused to answer a button press: the answer came too late (after
    about 15 s) or the query was answered already (an update delivered again)."""
    return isinstance(error, BadRequest) and "query is too old" in error.message.lower()


async def answer_query(
    query: CallbackQuery, text: str | None = None, *, alert: bool = False
) -> bool:
    """Answer a button press (stop the resident's spinner); False if Telegram refused.

    A refusal is harmless: the press is handled all the same, and whatever it changes is
    idempotent (a resident whose spinner kept turning presses again).
    """
    try:
        return await query.answer(text[:200] if text else None, show_alert=alert)
    except BadRequest as error:
        if not answer_refused(error):
            raise
        log.info("Telegram refused the answer to a button press (%s); handled anyway", error)
        return False


def menu_rows(context: AppContext, lang: str) -> list[list[Button]]:
    t = context.services.text
    return [
        [(t(lang, "menu.report"), callbacks.menu("rep"))],
        [(t(lang, "menu.idea"), callbacks.menu("idea"))],
        [(t(lang, "menu.promise"), callbacks.menu("promise"))],
        [
            (t(lang, "menu.cases"), callbacks.menu("cases")),
            (t(lang, "menu.help"), callbacks.menu("help")),
        ],
        [
            (t(lang, "menu.settings"), callbacks.menu("settings")),
            (t(lang, "menu.language"), callbacks.menu("langs")),
        ],
    ]


async def send_menu(
    update: Update,
    context: AppContext,
    lang: str,
    key: str = "menu.prompt",
    *,
    lead: str | None = None,
) -> None:
    """The main menu's buttons under `key`'s text; `lead` (a welcome, a confirmation) goes
    first, a blank line above the prompt, so the step is one message instead of two."""
    text = context.services.text(lang, key)
    await send(
        update, context, f"{lead}\n\n{text}" if lead else text, keyboard(menu_rows(context, lang))
    )


def station_buttons(
    stations: Sequence[Station], make: str, scope: str, home: Station | None = None
) -> list[list[Button]]:
    """One button per station (the home station first, starred), two per row."""
    ordered = sorted(stations, key=lambda s: (home is None or s.id != home.id, s.name))
    buttons = [
        (("⭐ " if home and s.id == home.id else "") + s.name, callbacks.encode(scope, make, s.id))
        for s in ordered
    ]
    return in_rows(buttons)
