"""My cases: the resident's own reports and ideas, and those they support."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import AppContext, BotApp
from bot.domain.commands import names
from bot.handlers import desk
from bot.handlers.access import member_of
from bot.handlers.common import lang_of, send


async def my_cases(update: Update, context: AppContext) -> None:
    """List the resident's cases with their status (for staff: the open cases of their stations)."""
    lang = await lang_of(update, context)
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    member = await member_of(update, context)
    if member is not None and update.callback_query is None:
        await desk.send_list(update, context, member, 0)
        return
    resident, cases = await services.cases_of(chat.id)
    if not cases or resident is None:
        await send(update, context, services.text(lang, "cases.none"))
        return
    zone = ZoneInfo(services.deployment.deployment.timezone)
    lines = [services.text(lang, "cases.title")]
    for case in cases:
        station = services.station(case.station_id)
        created = dt.datetime.fromisoformat(case.created_at).astimezone(zone)
        line = services.text(
            lang,
            "cases.item",
            reference=case.reference,
            kind=services.text(lang, f"kind.{case.kind.value}"),
            station=station.name if station else case.station_id,
            status=services.text(lang, f"status.{case.status}"),
            date=created.date(),
        )
        if case.resident_id != resident.id:
            line += " " + services.text(lang, "cases.supporting")
        lines.append(line)
    await send(update, context, "\n".join(lines))


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler(names("cases"), my_cases))
