"""Resident intake: an unsafe-place report or an idea, step by step (ConversationHandler).

The flow has one state: the step stored in the draft (`Turn.step`). The conversation's own
state only marks, persistently, that a flow runs; every state has the same two handlers, a
callback router and a message router, which dispatch on the draft's step through tables:

- `prompts.PROMPTS`: step -> what it shows;
- `buttons.ON_PRESS`: button action -> what a press does (which step takes which button is
  `bot.domain.intake.BUTTONS`);
- `answers.ON_TEXT`, `answers.ON_LOCATION`: step -> what a text or a location does there;
  photos and albums are in `photos`; entering, leaving and sending in `flow`.

The order of steps and the rules for answers are in `bot.domain.intake`; this package parses
updates, asks the domain and the services, and renders.
"""

from __future__ import annotations

from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import AppContext, BotApp
from bot.domain import deeplinks
from bot.domain.commands import names
from bot.domain.intake import Step
from bot.handlers.common import Handlers, conversation
from bot.handlers.intake.answers import on_edit, on_message
from bot.handlers.intake.buttons import on_callback
from bot.handlers.intake.flow import (
    album_answered,
    begin_at_station,
    begin_from_menu,
    begin_idea,
    begin_report,
    cancel,
    cancel_outside,
    sent_again,
)
from bot.handlers.intake.turn import CONVERSATION, DRAFT

__all__ = ["DRAFT", "album_answered", "register", "register_edits"]


#: `/start s_...`: a station poster's deep link (bot.domain.deeplinks); other /start: start.py.
AT_STATION = filters.Regex(r"^/\S+\s+" + deeplinks.STATION_PREFIX)


def build() -> ConversationHandler[AppContext]:
    """The intake conversation: persistent, so drafts survive a restart."""
    router: Handlers = [
        CallbackQueryHandler(on_callback, pattern=r"^v1:(?!m:)"),
        MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, on_message),
    ]
    return conversation(
        CONVERSATION,
        entry_points=[
            CommandHandler(names("start"), begin_at_station, AT_STATION),
            CommandHandler(names("report"), begin_report),
            CommandHandler(names("idea"), begin_idea),
            CallbackQueryHandler(begin_from_menu, pattern=r"^v1:m:(rep|idea)$"),
        ],
        states={step: list(router) for step in Step},
        fallbacks=[
            CommandHandler(names("start"), begin_at_station, AT_STATION),
            CommandHandler(names("cancel"), cancel),
            CommandHandler(names("report"), begin_report),
            CommandHandler(names("idea"), begin_idea),
        ],
    )


def register_edits(app: BotApp) -> None:
    """First in group 0: an edited message reaches no command, conversation or step."""
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit))


def register(app: BotApp) -> None:
    app.add_handler(build())
    # After the conversation: a draft's button once its flow has ended (sent, or expired).
    app.add_handler(CallbackQueryHandler(sent_again, pattern=r"^v1:[0-9a-f]{6}:"))
    app.add_handler(CommandHandler(names("cancel"), cancel_outside))
