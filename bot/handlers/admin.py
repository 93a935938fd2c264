"""/statistik and /export for staff: a period or filters picked with buttons, then the result."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.admin import TooLarge
from bot.context import AppContext, BotApp
from bot.desk import Refused
from bot.domain import callbacks
from bot.domain.exports import ALL, FORMATS, KINDS, ExportChoice
from bot.domain.stats import PERIODS, named_period
from bot.handlers.common import Button, clear_buttons, in_rows, keyboard, send
from bot.handlers.desk import member_of, refuse

log = logging.getLogger(__name__)

STATS_SCOPE = "st"
EXPORT_SCOPE = "x"
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "json": "JSON"}


# ---------------------------------------------------------------------- statistics
async def stats_command(update: Update, context: AppContext) -> None:
    """/statistik: admins and kommunpolis pick a period."""
    services = context.services
    try:
        services.admin.stats_scope(await member_of(update, context))
    except Refused:
        await refuse(update, context)
        return
    t = services.stats.t
    rows = [(t(f"stats.period_{p}"), callbacks.encode(STATS_SCOPE, "p", p)) for p in PERIODS]
    await send(update, context, t("stats.choose_period"), keyboard(in_rows(rows)))


async def on_stats_button(update: Update, context: AppContext) -> None:
    """A period was chosen: the summary as text and the weekly chart as a PNG file."""
    query = update.callback_query
    assert query is not None
    services = context.services
    cb = callbacks.parse(query.data)
    try:
        scope = services.admin.stats_scope(await member_of(update, context))
    except Refused:
        await refuse(update, context)
        return
    if cb is None or cb.action != "p" or cb.arg not in PERIODS:
        await refuse(update, context)
        return
    await query.answer()
    await clear_buttons(update)
    stats = services.stats
    period = named_period(cb.arg, stats.today())
    report = await stats.report(period, scope)
    await send(update, context, stats.text(report))
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_document(
        chat.id,
        stats.chart(report),
        filename=f"trygghetsboten-statistik-{cb.arg}-{stats.today().isoformat()}.png",
        caption=stats.t("stats.chart_caption", period=period.label()),
    )


# ---------------------------------------------------------------------- export
def _buttons(context: AppContext, choice: ExportChoice, allowed: list[str]) -> list[list[Button]]:
    """The buttons for the next question; each carries the choices made so far."""
    services = context.services
    t = services.stats.t
    step = choice.next_step()
    options: list[tuple[str, str]]
    if step == "station":
        options = [(services.stats.station_name(s), s) for s in allowed]
        if len(allowed) == len(services.deployment.stations):
            options.insert(0, (t("export.all_stations"), ALL))
    elif step == "kind":
        options = [(t("export.kind_all"), ALL)] + [(t(f"export.kind_{k}"), k) for k in KINDS]
    elif step == "period":
        options = [(t(f"stats.period_{p}"), p) for p in PERIODS]
    else:
        options = [(FORMAT_LABELS[f], f) for f in FORMATS]
    buttons = [
        (label, callbacks.encode(EXPORT_SCOPE, "c", choice.choose(value).encode()))
        for label, value in options
    ]
    return in_rows(buttons)


QUESTIONS = {
    "station": "export.choose_station",
    "kind": "export.choose_kind",
    "period": "export.choose_period",
    "fmt": "export.choose_format",
}


async def export_command(update: Update, context: AppContext) -> None:
    """/export: admins choose station, kind, period and format with buttons."""
    try:
        allowed = context.services.admin.export_stations(await member_of(update, context))
    except Refused:
        await refuse(update, context)
        return
    choice = ExportChoice()
    markup = keyboard(_buttons(context, choice, allowed))
    await send(update, context, context.services.stats.t(QUESTIONS["station"]), markup)


async def on_export_button(update: Update, context: AppContext) -> None:
    """One more filter chosen: ask the next question, or make the file and send it."""
    query = update.callback_query
    assert query is not None
    services = context.services
    member = await member_of(update, context)
    try:
        allowed = services.admin.export_stations(member)
    except Refused:
        await refuse(update, context)
        return
    cb = callbacks.parse(query.data)
    choice = ExportChoice.parse(cb.arg, set(allowed)) if cb and cb.action == "c" else None
    if choice is None:
        await refuse(update, context)
        return
    await query.answer()
    await clear_buttons(update)
    t = services.stats.t
    step = choice.next_step()
    if step is not None:
        await send(
            update, context, t(QUESTIONS[step]), keyboard(_buttons(context, choice, allowed))
        )
        return
    await send(update, context, t("export.working"))
    chat = update.effective_chat
    assert chat is not None
    with tempfile.TemporaryDirectory(prefix="trygg-export-") as directory:
        try:
            path, rows = await services.admin.export(
                member, choice, Path(directory), services.stats.today()
            )
        except Refused:
            await refuse(update, context)
            return
        except TooLarge as big:
            await send(update, context, t("export.too_big", size=f"{big.megabytes:.0f}"))
            return
        except (OSError, RuntimeError):
            log.exception("Export from Telegram failed")
            await send(update, context, t("export.failed"))
            return
        with path.open("rb") as handle:
            await context.bot.send_document(
                chat.id, handle, filename=path.name, caption=t("export.done", rows=rows)
            )


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler(["statistik", "stats"], stats_command))
    app.add_handler(CallbackQueryHandler(on_stats_button, pattern=rf"^v1:{STATS_SCOPE}:"))
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CallbackQueryHandler(on_export_button, pattern=rf"^v1:{EXPORT_SCOPE}:"))
