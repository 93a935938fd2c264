"""A paged list of buttons in Telegram (bot.domain.paging): the page's rows, then
Föregående/Nästa and Avbryt; a page press edits the list in place."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.context import AppContext
from bot.domain.paging import Page
from bot.handlers.common import Button, answer_query, lang_of


def paged_rows(
    rows: Sequence[list[Button]],
    page: Page[Any],
    t: Callable[[str], str],
    goto: Callable[[int], str],
    cancel: Button | None = None,
) -> list[list[Button]]:
    """The page's rows; on a list of more than one page, a row to page back and forth (Nästa
    is "Fler…" where the others begin) and `cancel` below it. One page: the rows alone."""
    if not page.paged:
        return list(rows)
    nav: list[Button] = []
    if page.has_previous:
        nav.append((t("paging.previous"), goto(page.number - 1)))
    if page.has_next:
        nav.append(
            (t("paging.more" if page.next_is_more else "paging.next"), goto(page.number + 1))
        )
    return [*rows, nav, *([[cancel]] if cancel else [])]


async def show_page(update: Update, markup: InlineKeyboardMarkup) -> None:
    """Answer the page press and put the page's buttons on the list that was pressed."""
    query = update.callback_query
    assert query is not None
    await answer_query(query)
    if isinstance(query.message, Message):
        with contextlib.suppress(BadRequest):  # pressed twice: already showing this page
            await query.message.edit_reply_markup(markup)


async def gone(update: Update, context: AppContext) -> None:
    """A page that is not there (an old list, or a forged button): one line, nothing done."""
    query = update.callback_query
    assert query is not None
    lang = await lang_of(update, context)
    await answer_query(query, context.services.text(lang, "paging.gone"), alert=True)
