"""A paged list of buttons in Telegram (bot.domain.paging): the page's rows, then
Föregående/Nästa and Avbryt; a page press edits the list in place."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, MaybeInaccessibleMessage, Message, Update
from telegram.error import BadRequest

from bot.context import AppContext
from bot.domain import callbacks
from bot.domain.paging import Page
from bot.handlers.common import Button, answer_query, lang_of, send

log = logging.getLogger(__name__)


def paged_rows(
    rows: Sequence[list[Button]],
    page: Page[Any],
    t: Callable[[str], str],
    goto: Callable[[int], str],
    cancel: Button | None = None,
    *,
    always_cancel: bool = False,
) -> list[list[Button]]:
    """The page's rows; on a list of more than one page, a row to page back and forth (Nästa
    is "Fler…" where the others begin) and `cancel` below it. One page: the rows alone, and
    `cancel` below them with `always_cancel`."""
    if not page.paged:
        return [*rows, *([[cancel]] if cancel and always_cancel else [])]
    nav: list[Button] = []
    if page.has_previous:
        nav.append((t("paging.previous"), goto(page.number - 1)))
    if page.has_next:
        nav.append(
            (t("paging.more" if page.next_is_more else "paging.next"), goto(page.number + 1))
        )
    return [*rows, nav, *([[cancel]] if cancel else [])]


def prefix(scope: str, action: str, start: str = "") -> str:
    """The start of the callback data of a list's buttons (`holds`)."""
    return f"{callbacks.VERSION}:{scope}:{action}:{start}"


def holds(message: Message, prefixes: Sequence[str]) -> bool:
    """Whether `message` shows a list whose buttons' data start with one of `prefixes`."""
    markup = message.reply_markup
    rows = markup.inline_keyboard if markup else ()
    return any(
        isinstance(button.callback_data, str) and button.callback_data.startswith(tuple(prefixes))
        for row in rows
        for button in row
    )


def shows(message: MaybeInaccessibleMessage | None, data: str | None) -> bool:
    """Whether `message` has a button whose data is `data` (the one pressed, not forged)."""
    markup = message.reply_markup if isinstance(message, Message) else None
    rows = markup.inline_keyboard if markup else ()
    return data is not None and any(b.callback_data == data for row in rows for b in row)


async def show_page(
    update: Update,
    context: AppContext,
    text: str,
    markup: InlineKeyboardMarkup,
    prefixes: Sequence[str],
) -> None:
    """Answer the page press and put the page's buttons on the list that was pressed. Only on
    that list (its buttons' data start with one of `prefixes`): a page pressed on another
    message (forged: in a station group, onto another case's card) would replace that one's
    buttons for everyone. Otherwise, or when the list can no longer be edited (too old, or
    deleted), the page comes as a new message with `text`."""
    query = update.callback_query
    assert query is not None
    await answer_query(query)
    message = query.message
    if isinstance(message, Message) and holds(message, prefixes):
        try:
            await message.edit_reply_markup(markup)
            return
        except BadRequest as error:
            if "not modified" in error.message.lower():
                return  # pressed twice: this page is shown already
            log.info("A page could not replace the list: %s", error.message)
    await send(update, context, text, markup)


async def gone(update: Update, context: AppContext) -> None:
    """A page that is not there (an old list, or a forged button): one line, nothing done."""
    query = update.callback_query
    assert query is not None
    lang = await lang_of(update, context)
    await answer_query(query, context.services.text(lang, "paging.gone"), alert=True)
