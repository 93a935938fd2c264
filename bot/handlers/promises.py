"""The promise at my station: the medborgarlöfte running there today, with its commitments
and their latest updates, in the resident's language; the earlier promises on a button.

Without a current promise the resident sees the next one (upcoming, from its start date)
and the latest ended one (ended, with its outcome)."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import AppContext, BotApp
from bot.domain import callbacks
from bot.domain.commands import names
from bot.domain.deployment import CommitmentStatus, Promise
from bot.domain.promises import (
    CommitmentState,
    bar,
    commitment_in,
    has_ended,
    has_started,
    outcome,
    promise_progress,
    title_in,
)
from bot.domain.text import in_messages
from bot.handlers.chooser import show_menu_chooser
from bot.handlers.common import keyboard, lang_of, send
from bot.i18n import Percent, Safe
from bot.services import Services
from bot.services.updates import Update as StoredUpdate

ICONS = {
    CommitmentStatus.PLANNED: "⚪",
    CommitmentStatus.IN_PROGRESS: "🟡",
    CommitmentStatus.DONE: "🟢",
    CommitmentStatus.DELAYED: "🟠",
    CommitmentStatus.NOT_DONE: "🔴",
}
#: The menu button that opens a station's earlier promises: v1:m:phist:<station id>.
HISTORY = "phist"


async def show(update: Update, context: AppContext, station_id: str | None = None) -> None:
    """Show the promise of `station_id`, the home station, or ask which station."""
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
    line = services.updates.timeline(station.id)
    if not line.shown:
        await send(update, context, services.text(lang, "promise.none", station=station.name))
        return
    states, latest = await services.updates.progress()
    today = services.updates.today()
    messages = [
        message
        for promise in line.shown
        # Each commitment's latest update is staff text: a long promise takes several messages.
        for message in in_messages(
            render(services, lang, promise, station.id, states, latest, today)
            + _next_line(services, lang, line.announced if promise is line.current else None)
        )
    ]
    markup = None
    if line.history:
        label = services.text(lang, "promise.history_button")
        markup = keyboard([[(label, callbacks.menu(HISTORY, station.id))]])
    for n, message in enumerate(messages):
        await send(update, context, message, markup if n == len(messages) - 1 else None)


def _next_line(services: Services, lang: str, upcoming: Promise | None) -> list[str]:
    """Under the current promise, the next one already published: its title and start."""
    if upcoming is None:
        return []
    title = services.updates.text_in(lang, title_in(upcoming, lang))
    return ["", services.text(lang, "promise.next", title=title, start=upcoming.start)]


async def show_history(update: Update, context: AppContext, station_id: str) -> None:
    """The station's ended promises, the latest first, each with its outcome."""
    lang = await lang_of(update, context)
    services = context.services
    station = services.station(station_id)
    assert station is not None  # the menu handler checked it
    ended = services.updates.timeline(station.id).ended
    t = services.text
    if not ended:
        await send(update, context, t(lang, "promise.history_none", station=station.name))
        return
    states, _ = await services.updates.progress()
    lines = [t(lang, "promise.history_title", station=station.name)]
    for promise in ended:
        done, total = outcome(promise, states)
        lines += [
            "",
            t(
                lang,
                "promise.history_item",
                title=services.updates.text_in(lang, title_in(promise, lang)),
                start=promise.start,
                end=promise.end,
                outcome=Safe(t(lang, "promise.outcome", done=done, total=total)),
            ),
        ]
    for message in in_messages(lines):
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
    period, parties, progress (or when it starts), commitments, updates."""
    t = services.text
    text_in = services.updates.text_in
    today = today or services.updates.today()
    actors = {a.id: a.name for a in services.deployment.actors}
    lines = [
        t(
            lang,
            "promise.header",
            title=text_in(lang, title_in(promise, lang)),
            start=promise.start,
            end=promise.end,
            parties=", ".join(actors[a] for a in promise.parties),
        )
    ]
    if not has_started(promise, today):
        lines.append(t(lang, "promise.upcoming", start=promise.start))
    else:
        percent = promise_progress(promise, states)
        lines.append(t(lang, "promise.progress", percent=Percent(percent), bar=bar(percent)))
    if has_ended(promise, today):
        done, total = outcome(promise, states)
        lines.append(t(lang, "promise.ended", end=promise.end))
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
                text=text_in(lang, commitment_in(commitment, lang)),
                status=t(lang, f"commitment.{status.value}"),
                percent=Percent(progress),
            )
        )
        update_ = latest.get(commitment.id)
        if update_ is not None:
            date = services.updates.local_date(update_.created_at)
            lines.append(t(lang, "promise.latest", date=date, text=update_.text))
    return lines


async def promise_command(update: Update, context: AppContext) -> None:
    await show(update, context)


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler(names("promise"), promise_command))
