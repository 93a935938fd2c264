"""A button of a draft that expired (retention.draft_days): one line that says so and how to
start again, not "this button has expired"."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.context import AppContext
from bot.handlers.common import answer_query, clear_buttons, lang_of, send
from bot.i18n import Days

#: user_data: {draft token: days} of the resident's last drafts removed by the retention job
#: (bot.drafts), so that a press of such a draft's button is told why it is gone.
EXPIRED = "expired"
EXPIRED_KEPT = 5


def remember_expired(user_data: dict[Any, Any], token: str, days: int) -> None:
    """Keep that draft `token` expired after `days`, for a later press of its buttons."""
    kept = {k: v for k, v in user_data.get(EXPIRED, {}).items() if k != token}
    kept[token] = days
    user_data[EXPIRED] = dict(list(kept.items())[-EXPIRED_KEPT:])


async def tell_expired(update: Update, context: AppContext, token: str) -> bool:
    """If draft `token` expired: answer the press, take its buttons away, say so in one line
    (True); else do nothing (False)."""
    days = (context.user_data or {}).get(EXPIRED, {}).get(token)
    query = update.callback_query
    if days is None or query is None:
        return False
    await answer_query(query)
    await clear_buttons(update)
    lang = await lang_of(update, context)
    await send(update, context, context.services.text(lang, "draft.expired", days=Days(days)))
    return True
