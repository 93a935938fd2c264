"""Who is behind an update: the staff member, read once per update, and what they act for.

Every handler group (the group-chat gate, the guards, the feature itself) asks the same
question of one update; the context lives for that update, so the row is read once and
reused. What the member may do is `bot.domain.access`'s to answer, never a role check here.
"""

from __future__ import annotations

import dataclasses

from telegram import Update
from telegram.constants import ChatType

from bot.context import AppContext
from bot.domain.access import stations_in_group
from bot.domain.chats import group_stations
from bot.domain.models import Staff
from bot.handlers.common import lang_of, send
from bot.services.desk import Desk


async def staff_member(update: Update, context: AppContext) -> Staff | None:
    """The stored staff member who sent this update (None: not staff), read once."""
    if context.staff_read is None:
        user = update.effective_user
        context.staff_read = (await context.services.desk.member(user.id if user else None),)
    return context.staff_read[0]


async def desk_of(update: Update, context: AppContext) -> Desk:
    """The desk as the sender reads it: a staff member in their own chat in their language
    (bot.domain.staff_language); a group, or anyone else, in the deployment's default."""
    member = await staff_member(update, context)
    chat = update.effective_chat
    if member is None or chat is None or chat.type != ChatType.PRIVATE:
        return context.services.desk
    user = update.effective_user
    return await context.services.desk_for(member, user.language_code if user else None)


async def member_of(update: Update, context: AppContext) -> Staff | None:
    """The staff member behind this update. In a station's group chat they act only for that
    station (what they see and do there, everyone in the group sees); elsewhere, not at all."""
    member = await staff_member(update, context)
    chat = update.effective_chat
    if member is None or chat is None or chat.type == ChatType.PRIVATE:
        return member
    here = group_stations(context.services.deployment, chat.id)
    stations = stations_in_group(member.role, member.stations, here)
    return dataclasses.replace(member, stations=stations) if stations else None


async def refuse(update: Update, context: AppContext) -> None:
    """A plain refusal that reveals nothing about the case or the staff; in a staff
    member's own chat in their language (`desk_of`)."""
    if await staff_member(update, context) is None:
        text = context.services.text(await lang_of(update, context), "desk.refused")
    else:
        text = (await desk_of(update, context)).t("desk.refused")
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await send(update, context, text)
