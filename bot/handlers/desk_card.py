"""A case card in the officer's chat: sent, and brought up to date after an action.

The card's text and buttons come from bot.services.cards (its buttons: the actions the
lifecycle allows from the case's status). The card pressed is edited once the action is done,
so it offers what the new status allows (reopen on a closed case), and no second card is sent.
An action that needs a note (resolve, reject, ask) is finished by the officer's next text,
another update: the message pressed is kept with the pending note. Other cards of the case
keep their buttons; pressing one that no longer fits gets the one-line refusal.
"""

from __future__ import annotations

from collections.abc import Mapping

from telegram import Message, Update
from telegram.error import BadRequest

from bot.context import AppContext
from bot.domain.lifecycle import Action
from bot.domain.models import Case
from bot.handlers.common import keyboard, send
from bot.handlers.paging import shows
from bot.services.desk import Desk


async def send_card(update: Update, context: AppContext, desk: Desk, case: Case) -> None:
    """The case's card, with the buttons its status allows, to the update's chat (`desk`:
    the desk as the reader reads it, bot.handlers.access.desk_of)."""
    await send(update, context, desk.card_text(case), keyboard(desk.card_buttons(case)))


def pressed(update: Update, desk: Desk, case: Case) -> dict[str, object]:
    """The message pressed, to bring up to date after the action: its id (`card`) and whether
    it is a card of the case (`redraw`: the whole card is drawn again, as the case is now and
    in the reader's language, whatever status or language it showed; another message, such
    as a resident's answer with the card's buttons, keeps its text). Only when it shows the
    very button pressed: a forged press on another case's card leaves that card alone."""
    query = update.callback_query
    message = query.message if query is not None else None
    if query is None or not isinstance(message, Message) or not shows(message, query.data):
        return {}
    return {"card": message.message_id, "redraw": desk.cards.is_card(message.text, case)}


def pending_note(update: Update, desk: Desk, action: Action, case: Case) -> dict[str, object]:
    """What a note action waits for: the action, the case, and the message pressed
    (`pressed`)."""
    return {"action": action.value, "ref": case.reference, **pressed(update, desk, case)}


async def refresh(
    update: Update, context: AppContext, desk: Desk, pending: Mapping[str, object], case: Case
) -> bool:
    """Bring the message pressed up to date after the action: the new status's buttons and,
    on the card, its new text. False: there is none to edit (`pressed`), or it is too old to
    edit, or gone."""
    chat = update.effective_chat
    card = pending.get("card")
    if chat is None or not isinstance(card, int):
        return False
    markup = keyboard(desk.card_buttons(case))
    try:
        if pending.get("redraw"):
            await context.bot.edit_message_text(
                desk.card_text(case), chat.id, card, reply_markup=markup
            )
        else:
            await context.bot.edit_message_reply_markup(chat.id, card, reply_markup=markup)
    except BadRequest as error:
        return "not modified" in error.message.lower()
    return True
