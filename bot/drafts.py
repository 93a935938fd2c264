"""Abandoned drafts expire: the retention job removes a draft unchanged for longer than
`retention.draft_days`, with its photo files, and ends its conversation.

A draft lives in the Application's memory (user_data) and is written to the database about
once a second; the database says when it last changed (storage.bot_state). Each draft is
removed in its chat's turn (PerChatUpdateProcessor.in_turn), never beside one of the chat's
updates: a "Skicka" being handled either wrote its case before (then the draft is gone from
memory, or the case keeps it and its photos) or finds the draft gone after. A draft that
changed since it was written is not the one found stale, and stays.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram.ext import Application, ConversationHandler

from bot.context import BotData
from bot.domain.intake import Draft
from bot.handlers.intake.expired import remember_expired
from bot.handlers.intake.turn import CONVERSATION, DRAFT, SENT, SENT_KEPT
from bot.processor import PerChatUpdateProcessor
from bot.services import Services

log = logging.getLogger(__name__)

#: The Application as a job's context gives it (bot.context.BotApp, less exactly typed).
App = Application[Any, Any, Any, Any, BotData, Any]


async def expire_drafts(app: App, now: dt.datetime | None = None) -> int:
    """Remove the drafts unchanged for longer than retention.draft_days; how many went."""
    services = app.bot_data.services
    if services is None:
        raise RuntimeError("services are opened in post_init; the application is not running")
    now = now or dt.datetime.now(dt.UTC)
    processor = app.update_processor
    expired = 0
    for user_id, stored in await services.privacy.stale_drafts(now):
        done: list[bool] = []
        work = _expire(app, services, user_id, stored, done)
        if isinstance(processor, PerChatUpdateProcessor):
            await processor.in_turn(user_id, work)  # a resident's chat id is their user id
        else:
            await work
        expired += sum(done)
    if expired:
        await app.update_persistence()  # the ended conversations
        await services.checkpoint()  # as erasure and the purge: no copy stays in the files
    return expired


async def _expire(
    app: App, services: Services, user_id: int, stored: dict[str, Any], done: list[bool]
) -> None:
    """In the chat's turn: remove this draft if it is still the resident's, unchanged; append
    to `done` whether it was removed."""
    data = app.user_data.get(user_id)
    if data is None or data.get(DRAFT) != stored:
        done.append(False)  # changed (or gone) since it was written: not a stale draft any more
        return
    draft = Draft.from_dict(stored)
    case = await services.privacy.expire_draft(draft)
    del data[DRAFT]
    if case is None:
        remember_expired(data, draft.token, services.deployment.retention.draft_days)
        log.info("A draft expired after %d days", services.deployment.retention.draft_days)
    else:  # its case was written, its copy restored after a crash: its button names the case
        sent = {k: v for k, v in data.get(SENT, {}).items() if k != draft.token}
        data[SENT] = dict([*sent.items(), (draft.token, case.reference)][-SENT_KEPT:])
    _end_conversation(app, user_id)
    if app.persistence is not None:
        await app.persistence.update_user_data(user_id, data)
    done.append(True)


def _end_conversation(app: App, user_id: int) -> None:
    """End the resident's intake conversation (as bot.handlers.privacy.forget does: PTB has
    no public call for it; popping the key is what ending it does, written by persistence)."""
    for group in app.handlers.values():
        for handler in group:
            if isinstance(handler, ConversationHandler) and handler.name == CONVERSATION:
                states = handler._conversations
                for key in [k for k in states if user_id in k]:
                    states.pop(key, None)
