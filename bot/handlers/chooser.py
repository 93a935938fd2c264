"""The station chooser every resident place shares (the intake's station step, the home
station, following a station, the promise at a station): a few stations listed as they
are; many chosen by kommun (by letter first when the kommuner are many), a page at a time.
The intake's step also takes a typed name and a shared location (bot/handlers/intake)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.context import AppContext
from bot.domain import callbacks
from bot.domain.deployment import Station
from bot.domain.stations import StationIndex, View
from bot.handlers.common import Button, in_rows, keyboard, send, station_buttons
from bot.handlers.paging import holds

#: Callback data for a view's code.
Make = Callable[[str], str]
#: The menu's choosers: what a chosen station's button does, and the question asked.
MENU_PICKS = {"home": "home.prompt", "fol": "follow.choose", "promise": "promise.choose_station"}
PICK = "pick"


def chooser_rows(
    index: StationIndex,
    view: View | None,
    t: Callable[[str], str],
    pick: tuple[str, str],
    open_view: Make,
    home: Station | None = None,
) -> list[list[Button]]:
    """The buttons of one view (None: where the chooser starts): at most 16 stations or
    kommuner (20 letters), the pages before and after, and the way up. A station's button
    is `pick`'s (action, scope) with the station's id, as `station_buttons` makes it."""
    action, scope = pick
    if index.flat:
        return station_buttons(index.stations, action, scope, home)
    start = view is None
    page = index.page(view or index.root())
    per_row = 5 if page.view.level == "L" else 2
    items = [
        (label, callbacks.encode(scope, action, arg) if page.stations else open_view(arg))
        for label, arg in page.items
    ]
    rows = in_rows(items, per_row)
    if start and home is not None:
        rows.insert(0, station_buttons([home], action, scope, home)[0])
    turn = [(t("chooser.previous"), open_view(v.code)) for v in (page.previous,) if v]
    turn += [(t("chooser.next"), open_view(v.code)) for v in (page.next,) if v]
    if turn:
        rows.append(turn)
    if page.up is not None:
        key = "chooser.letters" if page.up.level == "L" else "chooser.kommuner"
        rows.append([(t(key), open_view(page.up.code))])
    return rows


def prompt(index: StationIndex, t: Callable[[str], str], key: str) -> str:
    """A chooser's question; with many stations, how to find one in the lists."""
    hint = {"L": "chooser.by_letter", "K": "chooser.by_kommun"}.get(index.root().level)
    return f"{t(key)}\n{t(hint)}" if hint and not index.flat else t(key)


def menu_rows(
    context: AppContext, lang: str, make: str, view: View | None, home: Station | None = None
) -> list[list[Button]]:
    """A menu chooser's buttons: a station's press is `v1:m:<make>:<id>`, a page's
    `v1:m:pick:<make>.<view>`."""
    services = context.services
    return chooser_rows(
        services.station_index,
        view,
        lambda key: services.text(lang, key),
        (make, callbacks.MENU),
        lambda code: callbacks.menu(PICK, f"{make}.{code}"),
        home,
    )


async def show_menu_chooser(
    update: Update, context: AppContext, lang: str, make: str, home: Station | None = None
) -> None:
    """A menu's station question with the chooser's first buttons."""
    services = context.services
    text = prompt(services.station_index, lambda key: services.text(lang, key), MENU_PICKS[make])
    await send(update, context, text, keyboard(menu_rows(context, lang, make, None, home)))


async def turn_menu_page(update: Update, context: AppContext, lang: str, arg: str) -> bool:
    """A press of a menu chooser's page: its buttons replace the pressed ones. False for a
    press naming no chooser, letter, kommun or page that exists (forged, or stale)."""
    make, _, code = arg.partition(".")
    view = context.services.station_index.parse(code)
    if make not in MENU_PICKS or view is None:
        return False
    services = context.services
    text = prompt(services.station_index, lambda key: services.text(lang, key), MENU_PICKS[make])
    await replace(update, context, text, keyboard(menu_rows(context, lang, make, view)))
    return True


async def replace(
    update: Update,
    context: AppContext,
    text: str,
    markup: InlineKeyboardMarkup,
    *,
    with_text: bool = False,
    only_on: Sequence[str] = (),
) -> None:
    """New buttons on the pressed message (a page turned), and `text` too `with_text` (a
    page of a list); a new message with `text` and them when the pressed one can no longer
    be edited (too old, or not the bot's), or `only_on` is given and the pressed message has
    no button whose data starts with one of them (a page forged onto another message)."""
    query = update.callback_query
    message = query.message if query is not None else None
    if isinstance(message, Message) and (not only_on or holds(message, only_on)):
        try:
            if with_text:
                await message.edit_text(text, reply_markup=markup)
            else:
                await message.edit_reply_markup(markup)
            return
        except BadRequest as error:
            if "not modified" in error.message.lower():
                return  # a double press: this page is shown already
    await send(update, context, text, markup)
