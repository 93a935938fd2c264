"""/start, the main menu, help, language, settings and the privacy notice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import TypeVar

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import AppContext, BotApp
from bot.domain import callbacks, deeplinks
from bot.domain.commands import help_text, names, staff_help
from bot.domain.deployment import Station
from bot.domain.intake import TextProblem
from bot.handlers import cases, chooser, promises, staff
from bot.handlers.access import desk_of, staff_member
from bot.handlers.common import (
    Button,
    clear_buttons,
    in_rows,
    keyboard,
    lang_of,
    send,
    send_menu,
)

T = TypeVar("T")
#: Followed stations per page of /prenumerationer (two buttons each: stop following, and
#: the monthly question on or off; a page stays at most 12 buttons).
FOLLOWED_PAGE = 5
#: Menu actions: agree to / stop the monthly trygghetsmätning question about a station.
PULSE_ON, PULSE_OFF = "pon", "poff"


async def start(update: Update, context: AppContext) -> None:
    """Greet the resident, say plainly that this chat is not for emergencies, show the menu:
    one message, the menu's buttons under the welcome.

    `/start <code>` links a staff member invited with a one-time code. `/start s_<station>`
    (a station poster) begins a report in the intake conversation; one that reaches here
    (a station not known, a malformed payload) gets the plain welcome, never a code check.
    """
    if context.args and not deeplinks.is_station_payload(context.args[0]):
        await staff.redeem(update, context, context.args[0])
        return
    lang = await lang_of(update, context)
    await send_menu(update, context, lang, lead=context.services.text(lang, "start.welcome"))


async def help_command(update: Update, context: AppContext) -> None:
    """Every command of the resident's menu in their language, and the important numbers;
    staff in their own chat also get the staff commands they may use, all in their language
    (bot.handlers.access.desk_of)."""
    member = await staff_member(update, context)
    chat = update.effective_chat
    if member is None or chat is None or chat.type != ChatType.PRIVATE:
        lang = await lang_of(update, context)
        await send(update, context, help_text(context.services.text, lang))
        return
    desk = await desk_of(update, context)
    text = context.services.text
    body = help_text(text, desk.lang) + "\n\n" + staff_help(text, desk.lang, member)
    await send(update, context, body)


async def privacy(update: Update, context: AppContext) -> None:
    """The full privacy notice from the deployment file."""
    lang = await lang_of(update, context)
    services = context.services
    header = services.text(lang, "privacy.header", version=services.notice_version)
    await send(update, context, f"{header}\n\n{services.privacy_notice(lang)}")


async def language_picker(update: Update, context: AppContext) -> None:
    """Every supported language, each in its own name."""
    lang = await lang_of(update, context)
    services = context.services
    buttons = [
        (services.text(code, "language.name"), callbacks.menu("lang", code))
        for code in services.catalogs.languages
    ]
    await send(update, context, services.text(lang, "language.prompt"), keyboard(in_rows(buttons)))


async def settings(update: Update, context: AppContext) -> None:
    lang = await lang_of(update, context)
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    home = await services.home_station(chat.id)
    text = services.text(
        lang,
        "settings.prompt",
        language=services.text(lang, "language.name"),
        station=home.name if home else services.text(lang, "settings.no_home"),
    )
    rows = [
        [(services.text(lang, "settings.language"), callbacks.menu("langs"))],
        [(services.text(lang, "settings.home"), callbacks.menu("homes"))],
        [(services.text(lang, "settings.follow"), callbacks.menu("fols"))],
    ]
    await send(update, context, text, keyboard(rows))


async def on_menu(update: Update, context: AppContext) -> None:
    """Menu buttons (scope m) other than starting a report or an idea."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.parse(query.data)
    services = context.services
    chat = update.effective_chat
    assert cb is not None
    assert chat is not None
    await query.answer()
    if cb.action == "help":
        await help_command(update, context)
    elif cb.action == "langs":
        await language_picker(update, context)
    elif cb.action == "lang":
        lang = await picked(update, context, services.set_language(chat.id, cb.arg))
        if lang is not None:
            await send_menu(update, context, lang, lead=services.text(lang, "language.set"))
    elif cb.action == "settings":
        await settings(update, context)
    elif cb.action == "homes":
        lang = await lang_of(update, context)
        home = await services.home_station(chat.id)
        await chooser.show_menu_chooser(update, context, lang, "home", home)
    elif cb.action == chooser.PICK:  # a page of a station chooser
        lang = await lang_of(update, context)
        if not await chooser.turn_menu_page(update, context, lang, cb.arg):
            await stale(update, context, answered=True)
    elif cb.action == "home":
        lang = await lang_of(update, context)
        station = await picked(update, context, services.set_home_station(chat.id, cb.arg))
        if station is not None:
            await send(update, context, services.text(lang, "home.set", station=station.name))
    elif cb.action == "privacy":
        await privacy(update, context)
    elif cb.action == "fols":
        lang = await lang_of(update, context)
        await chooser.show_menu_chooser(update, context, lang, "fol")
    elif cb.action in ("fol", "unf"):
        await follow_button(update, context, cb.action, cb.arg)
    elif cb.action in (PULSE_ON, PULSE_OFF):
        await pulse_button(update, context, cb.action == PULSE_ON, cb.arg)
    elif cb.action == "cases":
        await cases.my_cases(update, context)
    elif cb.action == "promise":
        if cb.arg and services.station(cb.arg) is None:  # a station no longer (or never) here
            await stale(update, context, answered=True)
        else:
            await promises.show(update, context, cb.arg or None)
    elif cb.action == promises.HISTORY:  # a station's earlier promises
        if services.station(cb.arg) is None:
            await stale(update, context, answered=True)
        else:
            await promises.show_history(update, context, cb.arg)
    elif cb.action == "subs":
        await subscriptions(update, context, cb.arg)
    else:
        await stale(update, context, answered=True)


async def picked(update: Update, context: AppContext, choice: Awaitable[T]) -> T | None:
    """A menu choice (a language, a home station) saved, and its buttons cleared; None when
    it no longer applies (the service raised TextProblem): the resident is told so instead."""
    try:
        value = await choice
    except TextProblem:
        await stale(update, context, answered=True)
        return None
    await clear_buttons(update)
    return value


async def follow_button(update: Update, context: AppContext, action: str, station_id: str) -> None:
    """Follow or stop following a station."""
    lang = await lang_of(update, context)
    services = context.services
    chat = update.effective_chat
    target = services.station(station_id)
    if target is None or chat is None:
        await stale(update, context, answered=True)
        return
    await clear_buttons(update)
    if action == "fol":
        added = await services.updates.follow(chat.id, target.id, lang)
        key = "follow.done" if added else "follow.already"
        text = services.text(lang, key, station=target.name)
        if await services.pulse_optin.may_offer(chat.id, target.id):  # the trygghetsmätning
            offer = services.text(lang, "pulse.optin.offer", station=target.name)
            yes_no = [
                (services.text(lang, "pulse.optin.yes"), callbacks.menu(PULSE_ON, target.id)),
                (services.text(lang, "pulse.optin.no"), callbacks.menu(PULSE_OFF, target.id)),
            ]
            await send(update, context, f"{text}\n\n{offer}", keyboard([yes_no]))
            return
    else:
        await services.updates.unfollow(chat.id, target.id)  # its question stops too
        text = services.text(lang, "follow.stopped", station=target.name)
    await send(update, context, text)


async def pulse_button(update: Update, context: AppContext, on: bool, station_id: str) -> None:
    """Agree to, or stop, the monthly question about a station this chat follows."""
    lang = await lang_of(update, context)
    services = context.services
    chat = update.effective_chat
    target = services.station(station_id)
    choice = await services.pulse_optin.choose(chat.id, target.id, on) if chat and target else None
    if target is None or choice is None:  # forged, or the station is no longer followed
        await stale(update, context, answered=True)
        return
    await clear_buttons(update)
    key = "pulse.optin.given" if on else "pulse.optin.stopped"
    await send(update, context, services.text(lang, key, station=target.name))


async def subscriptions(update: Update, context: AppContext, page: str = "0") -> None:
    """/prenumerationer: the stations I follow, each with a stop button, a page at a time
    (a resident may follow every station of a national deployment)."""
    lang = await lang_of(update, context)
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    followed = [s for s in map(services.station, await services.updates.followed(chat.id)) if s]
    if not followed:
        rows = [[(services.text(lang, "settings.follow"), callbacks.menu("fols"))]]
        await send(update, context, services.text(lang, "follow.none"), keyboard(rows))
        return
    pages = -(-len(followed) // FOLLOWED_PAGE)
    number = int(page) if page.isdigit() and len(page) <= 3 else pages
    if number >= pages:  # forged, or the list is shorter than when the page was shown
        await stale(update, context, answered=update.callback_query is not None)
        return
    text, rows = followed_page(
        lambda key, **params: services.text(lang, key, **params),
        followed,
        number,
        await services.pulse_optin.agreed(chat.id),
        services.pulse_optin.offered_at,
    )
    if update.callback_query is None:
        await send(update, context, text, keyboard(rows))
    else:  # a page turned: the pressed list shows it
        pages_of = [callbacks.menu("subs") + ":"]  # only onto a list of followed stations
        await chooser.replace(
            update, context, text, keyboard(rows), with_text=True, only_on=pages_of
        )


def followed_page(
    t: Callable[..., str],
    followed: Sequence[Station],
    number: int,
    asked: Collection[str] = frozenset(),
    offered: Callable[[str], bool] = lambda _: False,
) -> tuple[str, list[list[Button]]]:
    """Page `number` of the followed stations: their names, a stop button each, a switch for
    the monthly question (`asked`: the stations it is on for; `offered`: where it is asked),
    and the pages before and after."""
    pages = -(-len(followed) // FOLLOWED_PAGE)
    shown = followed[number * FOLLOWED_PAGE : (number + 1) * FOLLOWED_PAGE]
    lines = [t("follow.list"), *(f"• {s.name}" for s in shown)]
    rows: list[list[Button]] = []
    for s in shown:
        rows.append([(t("follow.stop_btn", station=s.name), callbacks.menu("unf", s.id))])
        if offered(s.id):
            on = s.id in asked
            label = t("pulse.optin.stop_btn" if on else "pulse.optin.start_btn", station=s.name)
            rows.append([(label, callbacks.menu(PULSE_OFF if on else PULSE_ON, s.id))])
    if pages > 1:
        lines.append(t("follow.page", page=number + 1, pages=pages))
        turn = [("chooser.previous", number - 1)] if number > 0 else []
        turn += [("chooser.next", number + 1)] if number + 1 < pages else []
        rows.append([(t(k), callbacks.menu("subs", str(n))) for k, n in turn])
    return "\n".join(lines), rows


async def stale(update: Update, context: AppContext, *, answered: bool = False) -> None:
    """A button that no longer applies: say so instead of acting."""
    lang = await lang_of(update, context)
    text = context.services.text(lang, "error.stale")
    query = update.callback_query
    if query is not None and not answered:
        await query.answer(text[:200], show_alert=True)
    else:
        await send(update, context, text)


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler(names("start"), start))
    app.add_handler(CommandHandler(names("help"), help_command))
    app.add_handler(CommandHandler(names("privacy"), privacy))
    app.add_handler(CommandHandler(names("language"), language_picker))
    app.add_handler(CommandHandler(names("settings"), settings))
    app.add_handler(CommandHandler(names("subscriptions"), subscriptions))
    app.add_handler(CallbackQueryHandler(on_menu, pattern=r"^v1:m:(?!erase$|keep$)"))
