"""/statistik and /export for staff: a period or filters picked with buttons, then the result."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from telegram import Update
from telegram.constants import ChatType
from telegram.error import NetworkError
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.context import AppContext, BotApp
from bot.domain import callbacks
from bot.domain.exports import ALL, FORMATS, KINDS, ExportChoice
from bot.domain.paging import page_number, page_of
from bot.domain.stats import PERIODS, named_period
from bot.handlers.access import desk_of, member_of, refuse
from bot.handlers.common import Button, clear_buttons, in_rows, keyboard, send, send_file
from bot.handlers.paging import gone, paged_rows, prefix, show_page
from bot.services.admin import ExportScope, TooLarge
from bot.services.desk import Refused
from bot.services.export import TooManyRows
from bot.services.stats import Statistics
from bot.services.trygghet_text import staff_text

log = logging.getLogger(__name__)

STATS_SCOPE = "st"
EXPORT_SCOPE = "x"
#: An export can be up to 50 MB; give its upload more than PTB's default 20 seconds.
UPLOAD_SECONDS = 300


# ---------------------------------------------------------------------- statistics
async def stats_of(update: Update, context: AppContext) -> Statistics:
    """The statistics told in the language the sender reads the desk in (`desk_of`)."""
    return context.services.stats.in_language((await desk_of(update, context)).lang)


async def stats_command(update: Update, context: AppContext) -> None:
    """/statistik: admins and kommunpolis pick a period."""
    services = context.services
    try:
        services.admin.stats_scope(await member_of(update, context))
    except Refused:
        await refuse(update, context)
        return
    t = (await stats_of(update, context)).t
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
    if cb is None or cb.action != "p" or cb.arg not in PERIODS or not _private(update):
        await refuse(update, context)
        return
    await query.answer()
    await clear_buttons(update)
    stats = await stats_of(update, context)
    period = named_period(cb.arg, stats.today())
    report = await stats.report(period, scope)
    await send(update, context, stats.text(report))
    await send(
        update, context, await staff_text(services.trygghet, services.catalogs, stats.lang, scope)
    )
    await send_file(
        update,
        context,
        await asyncio.to_thread(stats.chart, report),  # drawing takes ~0.1 s: off the loop
        f"trygghetsboten-statistik-{cb.arg}-{stats.today().isoformat()}.png",
        stats.t("stats.chart_caption", period=period.label()),
    )


# ---------------------------------------------------------------------- export
def _buttons(
    context: AppContext,
    stats: Statistics,
    choice: ExportChoice,
    scope: ExportScope,
    number: int | None = 0,
) -> list[list[Button]] | None:
    """The buttons for the next question, in `stats`' language; each carries the choices made
    so far. The stations come a page at a time (page `number`; None: no such page)."""
    t = stats.t
    step = choice.next_step()
    encode = context.services.admin.encode
    if step == "station":
        return station_rows(t, scope, stats.station_name, encode, number)
    if step == "kind":
        options = [(t("export.kind_all"), ALL)] + [(t(f"export.kind_{k}"), k) for k in KINDS]
    elif step == "period":
        options = [(t(f"stats.period_{p}"), p) for p in PERIODS]
    else:
        options = [(t(f"export.format_{f}"), f) for f in FORMATS]
    return in_rows(_choose(encode, choice, options))


def station_rows(
    t: Callable[[str], str],
    scope: ExportScope,
    name_of: Callable[[str], str],
    encode: Callable[[ExportChoice], str],
    number: int | None,
) -> list[list[Button]] | None:
    """Page `number` of the stations an admin may export (all at once first, for whoever may),
    two a row, with Avbryt when paged. None: no such page."""
    options = [(name_of(s), s) for s in scope.stations]
    if scope.all_stations:
        options.insert(0, (t("export.all_stations"), ALL))
    page = None if number is None else page_of(options, number)
    if page is None:
        return None
    return paged_rows(
        in_rows(_choose(encode, ExportChoice(), page.items)),
        page,
        t,
        lambda n: callbacks.encode(EXPORT_SCOPE, "p", str(n)),
        (t("nav.cancel"), callbacks.encode(EXPORT_SCOPE, "x")),
    )


def _choose(
    encode: Callable[[ExportChoice], str],
    choice: ExportChoice,
    options: Sequence[tuple[str, str]],
) -> list[Button]:
    """A button per option (label, value), carrying the choices so far and this one."""
    return [
        (label, callbacks.encode(EXPORT_SCOPE, "c", encode(choice.choose(value))))
        for label, value in options
    ]


QUESTIONS = {
    "station": "export.choose_station",
    "kind": "export.choose_kind",
    "period": "export.choose_period",
    "fmt": "export.choose_format",
}


async def export_command(update: Update, context: AppContext) -> None:
    """/export: admins choose station, kind, period and format with buttons."""
    try:
        scope = context.services.admin.export_scope(await member_of(update, context))
    except Refused:
        await refuse(update, context)
        return
    stats = await stats_of(update, context)
    rows = _buttons(context, stats, ExportChoice(), scope)
    assert rows is not None  # page 0 is always there
    await send(update, context, stats.t(QUESTIONS["station"]), keyboard(rows))


async def on_export_button(update: Update, context: AppContext) -> None:
    """One more filter chosen: ask the next question, or make the file and send it."""
    query = update.callback_query
    assert query is not None
    services = context.services
    member = await member_of(update, context)
    cb = callbacks.parse(query.data)
    try:
        if not _private(update) or cb is None or cb.action not in ("c", "p", "x"):
            raise Refused
        if cb.action == "c":
            choice, scope = services.admin.export_choice(member, cb.arg)
        else:  # a page of the stations, or Avbryt: still only for those who may export
            choice, scope = ExportChoice(), services.admin.export_scope(member)
    except Refused:
        await refuse(update, context)
        return
    stats = await stats_of(update, context)
    t = stats.t
    if cb.action == "p":
        page = _buttons(context, stats, choice, scope, page_number(cb.arg))
        if page is None:
            await gone(update, context)
        else:  # only on the list of stations, whose every page has a page button
            mine = [prefix(EXPORT_SCOPE, "p")]
            await show_page(update, context, t(QUESTIONS["station"]), keyboard(page), mine)
        return
    await query.answer()
    await clear_buttons(update)
    if cb.action == "x":
        await send(update, context, t("desk.cancelled"))
        return
    step = choice.next_step()
    if step is not None:
        question = _buttons(context, stats, choice, scope)
        assert question is not None
        await send(update, context, t(QUESTIONS[step]), keyboard(question))
        return
    await send(update, context, t("export.working"))
    with tempfile.TemporaryDirectory(prefix="trygg-export-") as directory:
        try:
            path, rows = await services.admin.export(
                member, choice, Path(directory), services.stats.today()
            )
            with path.open("rb") as handle:
                await send_file(
                    update,
                    context,
                    handle,
                    path.name,
                    t("export.done", rows=rows),
                    write_timeout=UPLOAD_SECONDS,
                )
        except Refused:
            await refuse(update, context)
        except TooLarge as big:
            await send(update, context, t("export.too_big", size=f"{big.megabytes:.0f}"))
        except TooManyRows as many:  # XLSX only: more cases than an Excel sheet holds
            await send(update, context, t("export.xlsx_too_many", rows=many.rows))
        except (OSError, RuntimeError, NetworkError):
            log.exception("Export from Telegram failed")
            await send(update, context, t("export.failed"))


def _private(update: Update) -> bool:
    """Statistics and exports are only shown in a private chat, never in a partner group."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def register(app: BotApp) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(["statistik", "stats"], stats_command, filters=private))
    app.add_handler(CallbackQueryHandler(on_stats_button, pattern=rf"^v1:{STATS_SCOPE}:"))
    app.add_handler(CommandHandler("export", export_command, filters=private))
    app.add_handler(CallbackQueryHandler(on_export_button, pattern=rf"^v1:{EXPORT_SCOPE}:"))
