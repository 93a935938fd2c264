"""The promise at my station: the medborgarlöfte(n) covering a station, with commitments.

Issue 5 adds live statuses and updates; this shows what the deployment file says.
"""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import AppContext, BotApp
from bot.domain.deployment import CommitmentStatus, Promise
from bot.domain.promises import CommitmentState, bar, has_ended, outcome, promise_progress
from bot.domain.text import in_messages
from bot.handlers.chooser import show_menu_chooser
from bot.handlers.common import lang_of, send
from bot.services import Services
from bot.services.updates import Update as StoredUpdate

ICONS = {
    CommitmentStatus.PLANNED: "⚪",
    CommitmentStatus.IN_PROGRESS: "🟡",
    CommitmentStatus.DONE: "🟢",
    CommitmentStatus.DELAYED: "🟠",
    CommitmentStatus.NOT_DONE: "🔴",
}


async def show(update: Update, context: AppContext, station_id: str | None = None) -> None:
    """Show the promises of `station_id`, the home station, or ask which station."""
    lang = await lang_of(update, context)
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    station = services.station(station_id) or await services.home_station(chat.id)
    if station is None:  # no home station yet: the first station they follow, if any
        followed = await services.updates.followed(chat.id)
        station = services.station(followed[0]) if followed else None
    if station is None:
        await show_menu_chooser(update, context, lang, "promise")
        return
    promises = services.promises_at(station.id)
    if not promises:
        await send(update, context, services.text(lang, "promise.none", station=station.name))
        return
    states, latest = await services.updates.progress()
    for promise in promises:
        # Each commitment's latest update is staff text: a long promise takes several messages.
        for message in in_messages(render(services, lang, promise, station.id, states, latest)):
            await send(update, context, message)


def render(
    services: Services,
    lang: str,
    promise: Promise,
    station_id: str,
    states: dict[str, CommitmentState],
    latest: dict[str, StoredUpdate],
    today: dt.date | None = None,
) -> list[str]:
    """One promise as a resident sees it, line by line (a line keeps its HTML tags whole):
    period, parties, progress, commitments, updates."""
    t = services.text
    actors = {a.id: a.name for a in services.deployment.actors}
    percent = promise_progress(promise, states)
    lines = [
        t(
            lang,
            "promise.header",
            title=promise.title,
            start=promise.start.isoformat(),
            end=promise.end.isoformat(),
            parties=", ".join(actors[a] for a in promise.parties),
        ),
        t(lang, "promise.progress", percent=percent, bar=bar(percent)),
    ]
    if has_ended(promise, today or dt.date.today()):
        done, total = outcome(promise, states)
        lines.append(t(lang, "promise.ended", end=promise.end.isoformat()))
        lines.append(t(lang, "promise.outcome", done=done, total=total))
    lines.append("")
    for commitment in promise.commitments:
        if commitment.stations and station_id not in commitment.stations:
            continue
        state = states.get(commitment.id)
        status = state.status if state else commitment.status
        progress = state.progress if state else 0
        lines.append(
            t(
                lang,
                "promise.item_progress",
                icon=ICONS[status],
                text=commitment.text,
                status=t(lang, f"commitment.{status.value}"),
                percent=progress,
            )
        )
        update_ = latest.get(commitment.id)
        if update_ is not None:
            date = update_.created_at[:10]
            lines.append(t(lang, "promise.latest", date=date, text=update_.text))
    return lines


async def promise_command(update: Update, context: AppContext) -> None:
    await show(update, context)


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler(["lofte", "promise"], promise_command))
