"""The promise at my station: the medborgarlöfte(n) covering a station, with commitments.

Issue 5 adds live statuses and updates; this shows what the deployment file says.
"""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import AppContext, BotApp
from bot.domain import callbacks
from bot.handlers.common import keyboard, lang_of, send, station_buttons

ICONS = {"planned": "⚪", "in_progress": "🟡", "done": "🟢", "delayed": "🟠", "not_done": "🔴"}


async def show(update: Update, context: AppContext, station_id: str | None = None) -> None:
    """Show the promises of `station_id`, the home station, or ask which station."""
    lang = await lang_of(update, context)
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    station = services.station(station_id) or await services.home_station(chat.id)
    if station is None:
        rows = station_buttons(services.deployment.stations, "promise", callbacks.MENU)
        await send(update, context, services.text(lang, "promise.choose_station"), keyboard(rows))
        return
    promises = services.promises_at(station.id)
    if not promises:
        await send(update, context, services.text(lang, "promise.none", station=station.name))
        return
    actors = {a.id: a.name for a in services.deployment.actors}
    today = dt.date.today()
    for promise in promises:
        lines = [
            services.text(
                lang,
                "promise.header",
                title=promise.title,
                start=promise.start.isoformat(),
                end=promise.end.isoformat(),
                parties=", ".join(actors[a] for a in promise.parties),
            )
        ]
        if promise.end < today:
            lines.append(services.text(lang, "promise.ended", end=promise.end.isoformat()))
        for commitment in promise.commitments:
            if commitment.stations and station.id not in commitment.stations:
                continue
            status = commitment.status.value
            lines.append(
                services.text(
                    lang,
                    "promise.item",
                    icon=ICONS[status],
                    text=commitment.text,
                    status=services.text(lang, f"commitment.{status}"),
                )
            )
        await send(update, context, "\n".join(lines))


async def promise_command(update: Update, context: AppContext) -> None:
    await show(update, context)


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler(["lofte", "promise"], promise_command))
