"""A case card in the officer's chat: sent, and brought up to date after a note action.

The card's text and buttons come from bot.services.cards (its buttons: the actions the
lifecycle allows from the case's status). An action that needs a note (resolve, reject, ask)
is finished by the officer's next text, another update: the message pressed is kept with the
pending note and edited once the action is done, so it offers what the new status allows
(reopen on a closed case). Other cards of the case keep their buttons; pressing one that no
longer fits gets the one-line refusal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from telegram import Message, Update
from telegram.error import BadRequest

from bot.context import AppContext
from bot.domain.lifecycle import Action
from bot.domain.models import Case
from bot.handlers.common import keyboard, send
from bot.services.desk import Desk


async def send_card(update: Update, context: AppContext, desk: Desk, case: Case) -> None:
    """The case's card, with the buttons its status allows, to the update's chat (`desk`:
    the desk as the reader reads it, bot.handlers.access.desk_of)."""
    await send(update, context, desk.card_text(case), keyboard(desk.card_buttons(case)))


def pending_note(update: Update, desk: Desk, action: Action, case: Case) -> dict[str, object]:
    """What a note action waits for: the action, the case, and the message pressed (`card`;
    `redraw`: it shows the case's card as it is now, so its text is redrawn too; another
    message, such as a resident's answer with the card's buttons, keeps its text)."""
    pending: dict[str, object] = {"action": action.value, "ref": case.reference}
    query = update.callback_query
    message = query.message if query is not None else None
    if isinstance(message, Message):
        pending["card"] = message.message_id
        pending["redraw"] = message.text == desk.cards.shown_text(case)
    return pending


async def refresh(
    update: Update, context: AppContext, desk: Desk, pending: Mapping[str, object], case: Case
) -> None:
    """Bring the message pressed up to date after the note action: the new status's buttons
    and, on the card, its new text. A message too old to edit, or gone, is left as it is."""
    chat = update.effective_chat
    card = pending.get("card")
    if chat is None or not isinstance(card, int):
        return
    markup = keyboard(desk.card_buttons(case))
    with contextlib.suppress(BadRequest):
        if pending.get("redraw"):
            await context.bot.edit_message_text(
                desk.card_text(case), chat.id, card, reply_markup=markup
            )
        else:
            await context.bot.edit_message_reply_markup(chat.id, card, reply_markup=markup)
