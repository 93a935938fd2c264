"""The trygghetsmätning's buttons: a score, what would make the most difference, "Hoppa
över", "Fråga inte mer om <station>" (bot.services.pulse checks and stores them)."""

from __future__ import annotations

import contextlib

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from bot.context import AppContext, BotApp
from bot.domain import callbacks
from bot.handlers.common import answer_query, clear_buttons, keyboard, send
from bot.services.pulse import SCOPE, Reply

#: The one line each outcome gets (the follow-up question comes after an answer).
LINES = {
    Reply.STORED: "pulse.thanks",
    Reply.CHANGED: "pulse.changed",
    Reply.CHOSEN: "pulse.noted",
    Reply.SKIPPED: "pulse.skipped",
    Reply.STOPPED: "pulse.stopped",
    Reply.CLOSED: "pulse.closed",
}


async def on_button(update: Update, context: AppContext) -> None:
    """A press on a pulse button: stored, or told why not, in one line."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None
    assert chat is not None
    services = context.services
    user = update.effective_user
    cb = callbacks.parse(query.data)
    outcome = await services.pulse.press(
        chat.id,
        cb.action if cb else "",
        cb.arg if cb else "",
        user.language_code if user else None,
        services.updates.today(),
    )
    lang = outcome.lang
    if outcome.reply is Reply.STALE:  # forged, or not a question this chat was asked
        await answer_query(query, services.text(lang, "error.stale"), alert=True)
        return
    await answer_query(query)
    pulse, today = services.pulse, services.updates.today()
    station_id, month = outcome.station_id, outcome.month
    message = query.message if isinstance(query.message, Message) else None
    if outcome.reply is Reply.REOPENED:  # "Ändra svar": the scale again, in place
        if message is not None:
            rows = pulse.question_rows(station_id, month, lang)
            with contextlib.suppress(BadRequest):  # unchanged or too old
                await message.edit_text(
                    pulse.ask_text(station_id, lang, today), reply_markup=keyboard(rows)
                )
        return
    if outcome.reply in (Reply.STORED, Reply.CHANGED) and message is not None:
        # The question shows the answer given, and "Ändra svar" while the month lasts.
        text = pulse.answered_text(station_id, lang, today, outcome.score)
        with contextlib.suppress(BadRequest):
            await message.edit_text(
                text, reply_markup=keyboard(pulse.change_rows(station_id, month, lang))
            )
    else:
        await clear_buttons(update)  # the pressed message keeps no buttons to press again
    station = services.pulse.station_name(outcome.station_id)
    line = services.text(lang, LINES[outcome.reply], station=station)
    if outcome.reply in (Reply.STORED, Reply.CHANGED):
        followup = services.text(lang, "pulse.followup", station=station)
        rows = services.pulse.followup_rows(outcome.station_id, outcome.month, lang)
        await send(update, context, f"{line}\n\n{followup}", keyboard(rows))
        return
    await send(update, context, line)


def register(app: BotApp) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=rf"^v1:{SCOPE}:"))
