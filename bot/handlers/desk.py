"""The officer desk in Telegram: notes to the resident, answers, case views (the case
buttons and lists: bot.handlers.desk_actions).

Every press is authorised against the database (who is this Telegram user, may they act on
this case?); the button itself is never trusted.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import AppContext, BotApp
from bot.domain import callbacks
from bot.domain.commands import names
from bot.domain.lifecycle import Action, IllegalTransition
from bot.domain.models import NotFound
from bot.handlers.access import desk_of, member_of, refuse
from bot.handlers.common import Handlers, conversation, lang_of, send
from bot.handlers.desk_actions import (
    NOTE,
    already_handled,
    forward_rows,
    on_case_button,
    send_list,
)
from bot.handlers.desk_card import refresh, send_card
from bot.services.desk import ANSWER_SCOPE, CASE_SCOPE, AlreadyHandled, Refused, TooLong

__all__ = ["build", "forward_rows", "register", "send_list"]

ANSWER = 2


async def on_note(update: Update, context: AppContext) -> int:
    """The officer's text for a question, a resolution or a refusal."""
    message = update.effective_message
    assert message is not None
    assert context.user_data is not None
    pending = context.user_data.pop("desk", None)
    desk = await desk_of(update, context)
    if not pending or not message.text:
        return ConversationHandler.END
    member = await member_of(update, context)
    try:
        outcome = await desk.act(member, pending["ref"], Action(pending["action"]), message.text)
    except IllegalTransition as exc:
        await send(
            update, context, desk.t("desk.illegal", state=desk.t(f"case.is.{exc.status.value}"))
        )
        return ConversationHandler.END
    except AlreadyHandled as exc:
        await send(update, context, already_handled(desk, exc))
        return ConversationHandler.END
    except TooLong as exc:
        context.user_data["desk"] = pending  # nothing was done: the next text is the note
        await send(update, context, desk.t("error.too_long_by", excess=exc.excess))
        return NOTE
    except Refused:
        await refuse(update, context)
        return ConversationHandler.END
    await refresh(update, context, desk, pending, outcome.case)  # the card pressed, redrawn
    if outcome.action is Action.ASK:
        await send(update, context, desk.t("desk.asked", reference=outcome.case.reference))
    else:
        await send(
            update,
            context,
            desk.t(
                "desk.done",
                reference=outcome.case.reference,
                status=desk.t(f"status.{outcome.status.value}"),
            ),
        )
    return ConversationHandler.END


async def cancel_note(update: Update, context: AppContext) -> int:
    assert context.user_data is not None
    context.user_data.pop("desk", None)
    context.user_data.pop("answer", None)
    lang = await lang_of(update, context)
    await send(update, context, context.services.text(lang, "desk.cancelled"))
    return ConversationHandler.END


# ---------------------------------------------------------------------- resident answers
async def on_answer_button(update: Update, context: AppContext) -> int:
    query = update.callback_query
    assert query is not None
    cb = callbacks.parse(query.data)
    lang = await lang_of(update, context)
    services = context.services
    chat = update.effective_chat
    try:
        if cb is None or chat is None:
            raise Refused
        case = await services.desk.answerable(chat.id, cb.arg)
    except Refused:
        await refuse(update, context)
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data["answer"] = case.reference
    await query.answer()
    await send(
        update, context, services.text(lang, "resident.answer_prompt", reference=case.reference)
    )
    return ANSWER


async def on_answer(update: Update, context: AppContext) -> int:
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None
    assert chat is not None
    assert context.user_data is not None
    reference = context.user_data.pop("answer", None)
    lang = await lang_of(update, context)
    if not reference or not message.text:
        return ConversationHandler.END
    try:
        await context.services.desk.answer(chat.id, reference, message.text, message.message_id)
    except TooLong as exc:
        context.user_data["answer"] = reference  # nothing was sent: the next text is the answer
        text = context.services.text(lang, "error.too_long_by", excess=exc.excess)
        await send(update, context, text)
        return ANSWER
    except Refused:
        await refuse(update, context)
        return ConversationHandler.END
    await send(
        update, context, context.services.text(lang, "resident.answer_sent", reference=reference)
    )
    return ConversationHandler.END


# ---------------------------------------------------------------------- lists and commands
async def show_case(update: Update, context: AppContext) -> None:
    """/arende <ref>: one case card, for staff who may see it."""
    member = await member_of(update, context)
    desk = await desk_of(update, context)
    if member is None:
        await refuse(update, context)
        return
    if not context.args:
        await send(update, context, desk.t("desk.usage_case"))
        return
    try:
        case = await desk.view(member, context.args[0].upper())
    except Refused:
        await refuse(update, context)
        return
    except NotFound as missing:
        await send(update, context, desk.t(missing.key, reference=missing.reference))
        return
    await send_card(update, context, desk, case)


def build() -> list[ConversationHandler[AppContext]]:
    cancel: Handlers = [CommandHandler(names("cancel"), cancel_note)]
    return [
        conversation(
            "desk",
            entry_points=[CallbackQueryHandler(on_case_button, pattern=rf"^v1:{CASE_SCOPE}:")],
            states={NOTE: [MessageHandler(filters.TEXT & ~filters.COMMAND, on_note)]},
            fallbacks=cancel,
        ),
        conversation(
            "answer",
            entry_points=[CallbackQueryHandler(on_answer_button, pattern=rf"^v1:{ANSWER_SCOPE}:")],
            states={ANSWER: [MessageHandler(filters.TEXT & ~filters.COMMAND, on_answer)]},
            fallbacks=cancel,
        ),
    ]


def register(app: BotApp) -> None:
    """Before the intake conversation: a pending note or answer takes the next text."""
    for handler in build():
        app.add_handler(handler)
    app.add_handler(CommandHandler(["arende", "case"], show_case))
