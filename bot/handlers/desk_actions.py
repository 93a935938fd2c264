"""The officer's buttons on a case card and its lists: acknowledge, start, the note actions,
forward, link, reopen, and their lists of actors and commitments.

Every press is authorised against the database (who is this Telegram user, may they act on
this case?); the button itself is never trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import AppContext
from bot.domain import callbacks
from bot.domain.deployment import Actor, Commitment
from bot.domain.lifecycle import NEEDS_NOTE, Action, IllegalTransition, Status, apply
from bot.domain.models import Case, Staff
from bot.domain.paging import page_number, page_of
from bot.domain.telegram_limits import MAX_BUTTON_TEXT
from bot.domain.text import clipped
from bot.handlers.access import desk_of, member_of, refuse
from bot.handlers.common import Button, answer_query, clear_buttons, keyboard, send
from bot.handlers.desk_card import pending_note, pressed, refresh, send_card
from bot.handlers.paging import gone, paged_rows, prefix, show_page, shows
from bot.services.desk import ACTION_CODES, CASE_SCOPE, AlreadyHandled, Desk, Refused

#: The conversation state of a pending note (the officer's next text finishes the action).
NOTE = 1
PAGE_SIZE = 5
MAX_PAGE = 100_000


def already_handled(desk: Desk, exc: AlreadyHandled) -> str:
    """Another officer was first: who, and where the case is now (`desk`: as the reader
    reads it)."""
    return desk.t(
        "desk.already_handled",
        reference=exc.reference,
        actor=exc.actor,
        state=desk.t(f"case.is.{exc.status.value}"),
    )


# ---------------------------------------------------------------------- case buttons
async def on_case_button(update: Update, context: AppContext) -> int:
    """A button on a case card (or a list): check who presses it, then act."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.parse(query.data)
    desk = await desk_of(update, context)
    member = await member_of(update, context)
    if cb is None or member is None:
        await refuse(update, context)
        return ConversationHandler.END
    t = desk.t
    reference, _, extra = cb.arg.partition(".")
    try:
        if cb.action == "pg":
            page = int(cb.arg or 0)  # ValueError: refused below
            if not 0 <= page < MAX_PAGE:
                raise Refused  # no button of ours; a huge number would overflow SQLite
            await query.answer()
            await send_list(update, context, member, page)
            return ConversationHandler.END
        # Showing the card is a view, and written to the audit log; any other press acts.
        case = await (desk.view if cb.action == "show" else desk.authorise)(member, reference)
        if cb.action == "show":
            await query.answer()
            await send_card(update, context, desk, case)
        elif cb.action in ACTION_CODES:
            action = ACTION_CODES[cb.action]
            if action in NEEDS_NOTE:
                apply(Status(case.status), action)  # refuse early, before asking for text
                assert context.user_data is not None
                context.user_data["desk"] = pending_note(update, desk, action, case)
                await query.answer()
                key = "desk.ask_prompt" if action is Action.ASK else "desk.note_prompt"
                await send(update, context, t(key, reference=case.reference))
                return NOTE
            card = pressed(update, desk, case)  # the card pressed, edited: no second card
            outcome = await desk.act(member, case.reference, action)
            await query.answer(
                t("desk.done", reference=case.reference, status=t(f"status.{outcome.status.value}"))
            )
            if not await refresh(update, context, desk, card, outcome.case):
                await send_card(update, context, desk, outcome.case)
        elif cb.action in ("fwd", "fp"):  # the list of actors; "fp": one of its pages
            apply(Status(case.status), Action.FORWARD)  # a closed case: refused, no list
            await offer_forward(update, context, case, cb.action == "fp", extra)
        elif cb.action == "fx":
            await query.answer()  # Avbryt: only the list that shows it loses its buttons
            if shows(query.message, query.data):  # not a card a forged one is pressed on
                await clear_buttons(update)
            await send(update, context, t("desk.cancelled"))
        elif cb.action == "fw":
            await desk.forward(member, case.reference, extra)
            await query.answer()
            await clear_buttons(update)
            await send(
                update,
                context,
                t("desk.forwarded", reference=case.reference, actor=desk.actor_name(extra)),
            )
        elif cb.action in ("link", "lp"):  # the list of commitments; "lp": one of its pages
            apply(Status(case.status), Action.LINK)
            await offer_link(update, context, case, cb.action == "lp", extra)
        elif cb.action == "lk":
            commitment = await desk.link(member, case.reference, int(extra))
            await query.answer()
            await clear_buttons(update)
            await send(
                update,
                context,
                t("desk.linked", reference=case.reference, commitment=commitment.text),
            )
        else:
            raise Refused
    except AlreadyHandled as exc:
        await query.answer(already_handled(desk, exc), show_alert=True)
    except (Refused, ValueError) as exc:
        if isinstance(exc, IllegalTransition):
            await query.answer(
                t("desk.illegal", state=t(f"case.is.{exc.status.value}")), show_alert=True
            )
        else:
            await refuse(update, context)
    return ConversationHandler.END


async def offer_forward(
    update: Update, context: AppContext, case: Case, paging: bool, number: str
) -> None:
    """Where the case goes, a page at a time; `paging`: a press on the list's Föregående or
    Nästa (page `number`), which edits the list in place."""
    desk = await desk_of(update, context)
    near, far = await desk.forward_targets(case)
    rows = forward_rows(desk.t, case.reference, near, far, page_number(number) if paging else 0)
    prompt = desk.t("desk.forward_prompt", reference=case.reference)
    await offer_list(update, context, case, prompt, rows, ("fw", "fp") if paging else ())


async def offer_link(
    update: Update, context: AppContext, case: Case, paging: bool, number: str
) -> None:
    """The commitments the case can be linked to, a page at a time (as `offer_forward`);
    none (a card from before the promises ended): one line."""
    desk = await desk_of(update, context)
    options = desk.linkable_at(case.station_id)
    if not options:
        assert update.callback_query is not None
        await answer_query(update.callback_query, desk.t("desk.link_none"), alert=True)
        return
    rows = link_rows(desk.t, case.reference, options, page_number(number) if paging else 0)
    prompt = desk.t("desk.link_prompt", reference=case.reference)
    await offer_list(update, context, case, prompt, rows, ("lk", "lp") if paging else ())


async def offer_list(
    update: Update,
    context: AppContext,
    case: Case,
    prompt: str,
    rows: list[list[Button]] | None,
    paging: tuple[str, ...],
) -> None:
    """A list's page: a new message, or, on a page press (`paging`: the codes of the list's
    buttons), the list pressed edited in place."""
    if rows is None:  # not 0 <= page < pages, of the list as it is now
        await gone(update, context)
    elif paging:  # only on this case's list: a forged page on another card is a new message
        mine = [prefix(CASE_SCOPE, code, f"{case.reference}.") for code in paging]
        await show_page(update, context, prompt, keyboard(rows), mine)
    else:
        assert update.callback_query is not None
        await update.callback_query.answer()
        await send(update, context, prompt, keyboard(rows))


def link_rows(
    t: Callable[[str], str],
    reference: str,
    options: Sequence[tuple[int, Commitment]],
    number: int | None,
) -> list[list[Button]] | None:
    """Page `number` of the commitments (with their positions) a case can be linked to, one
    a row, and Avbryt below. None: no such page."""
    page = None if number is None else page_of(options, number)
    if page is None:
        return None
    return paged_rows(
        [
            [
                (
                    clipped(c.text, MAX_BUTTON_TEXT),
                    callbacks.encode(CASE_SCOPE, "lk", f"{reference}.{i}"),
                )
            ]
            for i, c in page.items
        ],
        page,
        t,
        lambda n: callbacks.encode(CASE_SCOPE, "lp", f"{reference}.{n}"),
        (t("nav.cancel"), callbacks.encode(CASE_SCOPE, "fx", reference)),
        always_cancel=True,
    )


def forward_rows(
    t: Callable[[str], str],
    reference: str,
    near: Sequence[Actor],
    far: Sequence[Actor],
    number: int | None,
) -> list[list[Button]] | None:
    """Page `number` of the actors a case can go to: those at its station (`near`) first, the
    others on pages of their own behind "Fler…"; one a row, and Avbryt below. None: no such
    page."""
    page = None if number is None else page_of(near, number, more=far, apart=True)
    if page is None:
        return None
    return paged_rows(
        [[(a.name, callbacks.encode(CASE_SCOPE, "fw", f"{reference}.{a.id}"))] for a in page.items],
        page,
        t,
        lambda n: callbacks.encode(CASE_SCOPE, "fp", f"{reference}.{n}"),
        (t("nav.cancel"), callbacks.encode(CASE_SCOPE, "fx", reference)),
        always_cancel=True,
    )


async def send_list(update: Update, context: AppContext, member: Staff, page: int) -> None:
    desk = await desk_of(update, context)
    cases, total = await desk.open_cases(member, page, PAGE_SIZE)
    if not cases:
        await send(update, context, desk.t("desk.list_none"))
        return
    lines = [desk.t("desk.list_title", total=total)]
    rows = []
    for case in cases:
        category = desk.deployment.category_label(case.category, desk.lang) or "–"
        lines.append(
            desk.t(
                "desk.list_item",
                reference=case.reference,
                station=desk.station_name(case.station_id),
                category=category,
                status=desk.t(f"status.{case.status}"),
                date=desk.local_date(case.created_at),
            )
        )
        rows.append(
            [
                (
                    desk.t("desk.open", reference=case.reference),
                    callbacks.encode(CASE_SCOPE, "show", case.reference),
                )
            ]
        )
    if (page + 1) * PAGE_SIZE < total:
        rows.append([(desk.t("desk.more"), callbacks.encode(CASE_SCOPE, "pg", str(page + 1)))])
    await send(update, context, "\n".join(lines), keyboard(rows))
