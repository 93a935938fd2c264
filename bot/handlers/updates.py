"""/uppdatera: staff publish an update on a commitment; followers hear what was done."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import AppContext, BotApp
from bot.domain import callbacks
from bot.domain.commands import names
from bot.domain.deployment import CommitmentStatus
from bot.domain.models import Staff
from bot.domain.paging import own_first, page_number, page_of
from bot.domain.promises import commitment_in, has_started, title_in
from bot.domain.telegram_limits import MAX_BUTTON_TEXT
from bot.domain.text import TooLong, clipped
from bot.handlers.access import desk_of, member_of, refuse
from bot.handlers.common import (
    Button,
    Handlers,
    answer_query,
    clear_buttons,
    conversation,
    in_rows,
    keyboard,
    send,
)
from bot.handlers.paging import gone, paged_rows, prefix, show_page
from bot.i18n import FSI, PDI, RTL_LANGUAGES, Safe
from bot.media import PhotoError
from bot.services.desk import Desk
from bot.services.updates import AlreadyPublished, Choice, PromiseEnded

log = logging.getLogger(__name__)

PICK, STATUS, TEXT, PREVIEW = range(1, 5)
SCOPE = "u"
KEY = "update"


def _cb(action: str, arg: str = "") -> str:
    return callbacks.encode(SCOPE, action, arg)


async def begin(update: Update, context: AppContext) -> int:
    """Choose one of my commitments."""
    member = await member_of(update, context)
    if member is None:
        await refuse(update, context)
        return ConversationHandler.END
    updates = context.services.updates
    desk = await desk_of(update, context)  # the whole flow in the staff member's language
    t = desk.t
    choices = updates.choices(member)
    if not choices:
        await send(update, context, t("update.none"))
        return ConversationHandler.END
    if not any(updates.is_open(c) for c in choices):  # their promises have all ended
        await send(update, context, t("update.none_open"))
        return ConversationHandler.END
    rows = _choice_rows(context, desk, member, choices, 0)
    assert rows is not None  # page 0 is always there
    await send(update, context, t("update.choose"), keyboard(rows))
    return PICK


def clip(text: str, limit: int = MAX_BUTTON_TEXT) -> str:
    """`text` on one line, cut to `limit` characters with "…" where it was cut (never inside
    an accented letter, an emoji sequence or a flag)."""
    return clipped(text, limit)


def choice_rows(
    t: Callable[[str], str],
    choices: Sequence[Choice],
    own: int,
    number: int | None,
    positions: Sequence[int] | None = None,
    label: Callable[[Choice], str] | None = None,
) -> list[list[Button]] | None:
    """Page `number` of a member's commitments `choices`, a button each, and Avbryt; the
    first `own` are their own actor's, the others come under "Fler…". None: no such page.
    A button carries the commitment's position in the member's whole list (`positions`,
    when `choices` leaves out those of ended promises), else in `choices`. Its text is
    `label` (the commitment and its promise), else the commitment's text."""
    page = None if number is None else page_of(choices[:own], number, more=choices[own:])
    if page is None:
        return None
    at = positions or range(len(choices))
    text = label or (lambda choice: clip(choice.commitment.text))
    buttons = [(text(c), _cb("c", str(at[page.start + k]))) for k, c in enumerate(page.items)]
    rows = paged_rows(in_rows(buttons, 1), page, t, lambda n: _cb("p", str(n)))
    return [*rows, [(t("nav.cancel"), _cb("x"))]]


#: Characters of a promise's title on a commitment's button, so the commitment has room.
SHORT_TITLE = 24


def labelled(context: AppContext, desk: Desk, choice: Choice) -> str:
    """A commitment's button text with its promise, in the staff's language (`desk`: the
    desk as they read it): the promise's short title, and from when it runs if it has not
    started ("Tryggare Jakobsberg, från 1 jan. 2027 · Mer belysning"), then the commitment,
    cut to the button's limit."""
    promise = choice.promise
    rtl = desk.lang in RTL_LANGUAGES  # each text isolated, so a Latin title keeps its order

    def isolated(text: str) -> str:
        return f"{FSI}{text}{PDI}" if rtl else text

    # A button's text is plain, not HTML: the texts go in as they are written (Safe).
    title = Safe(isolated(clip(title_in(promise, desk.lang).text, SHORT_TITLE)))
    started = has_started(promise, context.services.updates.today())

    def label(commitment: str) -> str:
        if started:
            return desk.t("update.label_current", title=title, commitment=Safe(commitment))
        return desk.t(
            "update.label_upcoming", title=title, start=promise.start, commitment=Safe(commitment)
        )

    # The commitment is cut to the room the rest leaves, so its isolate stays whole.
    room = MAX_BUTTON_TEXT - (len(" ".join(label("x").split())) - 1) - (2 if rtl else 0)
    text = commitment_in(choice.commitment, desk.lang).text
    return clip(label(isolated(clip(text, max(room, 1)))))


def _choice_rows(
    context: AppContext, desk: Desk, member: Staff, choices: list[Choice], number: int | None
) -> list[list[Button]] | None:
    """The page of the commitments whose promise has not ended (an ended promise takes no
    updates: no button), each button with its position in `choices`. When they belong to
    more than one promise (the running one and the next, say), each button names its own."""
    updates = context.services.updates
    shown = [(n, c) for n, c in enumerate(choices) if updates.is_open(c)]
    own, _ = own_first(choices, lambda c: updates.own(member, c))
    mine = sum(1 for n, _ in shown if n < len(own))
    several = len({c.promise.id for _, c in shown}) > 1
    return choice_rows(
        desk.t,
        [c for _, c in shown],
        mine,
        number,
        [n for n, _ in shown],
        (lambda c: labelled(context, desk, c))
        if several
        else (lambda c: clip(commitment_in(c.commitment, desk.lang).text)),
    )


async def _choice(context: AppContext, update: Update) -> Choice | None:
    member = await member_of(update, context)
    assert context.user_data is not None
    state = context.user_data.get(KEY) or {}
    if member is None or "i" not in state:
        return None
    choices = context.services.updates.choices(member)
    index = int(state["i"])
    return choices[index] if 0 <= index < len(choices) else None


def _allowed(choices: list[Choice], state: dict[str, Any], action: str, arg: str) -> bool:
    """Whether a button fits what this staff member was shown: one of their commitments, a
    status for the commitment they picked, publishing the text they wrote."""

    def picked(index: object) -> bool:
        return str(index).isdigit() and int(str(index)) < len(choices)

    if action == "c":
        return picked(arg)
    if action == "s":
        return arg in {s.value for s in CommitmentStatus} | {"keep"} and picked(state.get("i"))
    if action == "pub":
        return bool(state.get("text")) and picked(state.get("i"))
    if action == "p":  # a page of the list: its range is checked where it is drawn
        return page_number(arg) is not None
    return action == "x"


async def on_button(update: Update, context: AppContext) -> int | None:
    query = update.callback_query
    assert query is not None
    assert context.user_data is not None
    cb = callbacks.parse(query.data)
    desk = await desk_of(update, context)
    t = desk.t
    member = await member_of(update, context)
    if cb is None or member is None:
        await refuse(update, context)
        return ConversationHandler.END
    choices = context.services.updates.choices(member)
    if not _allowed(choices, context.user_data.get(KEY) or {}, cb.action, cb.arg):
        await refuse(update, context)  # before answering: a query is answered once
        return None
    if cb.action == "p":
        rows = _choice_rows(context, desk, member, choices, page_number(cb.arg))
        if rows is None:
            await gone(update, context)
        else:
            mine = [prefix(SCOPE, "c"), prefix(SCOPE, "p")]  # this list, not another message
            await show_page(update, context, t("update.choose"), keyboard(rows), mine)
        return None
    await answer_query(query)  # refused when answered before: handled anyway
    await clear_buttons(update)
    if cb.action == "x":
        context.user_data.pop(KEY, None)
        await send(update, context, t("update.cancelled"))
        return ConversationHandler.END
    if cb.action == "c":
        choice = choices[int(cb.arg)]
        if not context.services.updates.is_open(choice):  # an old list's button, or forged
            await send(update, context, ended(desk, choice))
            return ConversationHandler.END
        context.user_data[KEY] = {"i": int(cb.arg)}
        buttons = [(t(f"commitment.{s.value}"), _cb("s", s.value)) for s in CommitmentStatus]
        rows = [
            *in_rows(buttons, 2),
            [(t("update.keep"), _cb("s", "keep"))],
            [(t("nav.cancel"), _cb("x"))],
        ]
        commitment = commitment_in(choice.commitment, desk.lang).text
        await send(update, context, t("update.status", commitment=commitment), keyboard(rows))
        return STATUS
    if cb.action == "s":
        state = context.user_data.get(KEY) or {}
        state["status"] = None if cb.arg == "keep" else CommitmentStatus(cb.arg).value
        context.user_data[KEY] = state
        await send(update, context, t("update.text"))
        return TEXT
    if cb.action == "pub":
        state = context.user_data.pop(KEY)
        picked = choices[int(state["i"])]
        status = CommitmentStatus(state["status"]) if state.get("status") else None
        try:
            count = await context.services.updates.publish(
                member, picked, status, state["text"], state.get("photo"), state.get("token")
            )
        except AlreadyPublished:  # this press came again (Telegram re-delivers after a crash)
            await send(update, context, t("update.already"))
            return ConversationHandler.END
        except PromiseEnded:  # it ended since the member chose the commitment
            await send(update, context, ended(desk, picked))
            return ConversationHandler.END
        except TooLong as exc:  # nothing was published: ask for a shorter text
            del state["text"]
            context.user_data[KEY] = state
            await send(update, context, t("error.too_long_by", excess=exc.excess))
            return TEXT
        await send(update, context, t("update.published", count=count))
        return ConversationHandler.END
    return None


async def on_text(update: Update, context: AppContext) -> int | None:
    """The update's text (or a photo with a caption), then the preview."""
    message = update.effective_message
    assert message is not None
    assert context.user_data is not None
    services = context.services
    desk = await desk_of(update, context)
    t = desk.t
    state = context.user_data.get(KEY) or {}
    text = (message.text or message.caption or "").strip()
    if not text:
        await send(update, context, t("update.text"))
        return None
    choice = await _choice(context, update)
    if choice is None:
        await refuse(update, context)
        return ConversationHandler.END
    chosen = CommitmentStatus(state["status"]) if state.get("status") else None
    try:
        await services.updates.check_text(choice, chosen, text, desk.lang)
    except TooLong as exc:
        await send(update, context, t("error.too_long_by", excess=exc.excess))
        return None
    except PromiseEnded:
        context.user_data.pop(KEY, None)
        await send(update, context, ended(desk, choice))
        return ConversationHandler.END
    if message.photo:
        try:
            file = await message.photo[-1].get_file()
            state["photo"] = await services.save_photo(bytes(await file.download_as_bytearray()))
        except (TelegramError, PhotoError):
            log.warning("Could not receive the update's photo", exc_info=True)
            await send(update, context, t("photos.failed"))
            return None
    state["text"] = text
    # Names this pending update: it is published at most once, however often "Publicera"
    # arrives (an update Telegram delivers again after a crash finds the stored one).
    state["token"] = secrets.token_hex(8)
    context.user_data[KEY] = state
    status, percent = await services.updates.outcome_of(choice, chosen)
    preview = services.updates.render_preview(desk.lang, choice, status, percent, text)
    rows = [[(t("update.publish"), _cb("pub")), (t("nav.cancel"), _cb("x"))]]
    await send(update, context, preview, keyboard(rows))
    return PREVIEW


def ended(desk: Desk, choice: Choice) -> str:
    """One line, in the staff's language (`desk`: as they read it): the promise has ended,
    nothing is published."""
    promise = choice.promise
    title = title_in(promise, desk.lang).text
    return desk.t("update.ended", title=title, end=promise.end)


async def cancel(update: Update, context: AppContext) -> int:
    assert context.user_data is not None
    context.user_data.pop(KEY, None)
    await send(update, context, (await desk_of(update, context)).t("update.cancelled"))
    return ConversationHandler.END


def build() -> ConversationHandler[AppContext]:
    buttons: Handlers = [CallbackQueryHandler(on_button, pattern=rf"^v1:{SCOPE}:")]
    text: Handlers = [
        *buttons,
        MessageHandler((filters.TEXT | filters.PHOTO) & ~filters.COMMAND, on_text),
    ]
    return conversation(
        "update",
        entry_points=[CommandHandler(["uppdatera", "update"], begin)],
        states={PICK: buttons, STATUS: buttons, TEXT: text, PREVIEW: buttons},
        fallbacks=[CommandHandler(names("cancel"), cancel)],
    )


def register(app: BotApp) -> None:
    app.add_handler(build())
