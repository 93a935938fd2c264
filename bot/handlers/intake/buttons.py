"""Button presses inside the intake: one handler per button action (`ON_PRESS`).

Which actions a step takes is domain data (`bot.domain.intake.takes`); a press of any
other (an old prompt's button, forged data) is answered "choose one of the buttons".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Message, Update

from bot.context import AppContext
from bot.domain import callbacks, kept
from bot.domain.intake import Action, Step, TextProblem, takes
from bot.handlers.chooser import replace
from bot.handlers.common import answer_query, clear_buttons, keyboard, lang_of
from bot.handlers.intake.answers import place_given
from bot.handlers.intake.expired import tell_expired
from bot.handlers.intake.flow import cancel, choose_station, finish, load, say_sent, submit
from bot.handlers.intake.prompts import show, station_rows, station_text, times_rows
from bot.handlers.intake.turn import DRAFT, END, SENT, Turn

#: A press of one action: the turn and the button's argument; returns the next state (None:
#: stay). Each answers the query once it acts; a TextProblem answers it with the reason.
OnPress = Callable[[Turn, str], Awaitable[int | None]]


async def on_callback(update: Update, context: AppContext) -> int | None:
    """Every button press inside the flow; buttons from another draft have expired."""
    query = update.callback_query
    assert query is not None
    assert context.user_data is not None
    cb = callbacks.parse(query.data)
    had_draft = bool(context.user_data.get(DRAFT))
    turn = await load(update, context)
    if turn is None and had_draft and not context.user_data.get(DRAFT):
        return END  # the draft had been sent: load() named its case
    if turn is None or cb is None or cb.scope != turn.draft.token:
        reference = context.user_data.get(SENT, {}).get(cb.scope) if cb else None
        if cb is not None and reference is not None:  # a button of a draft sent before
            await say_sent(update, context, cb.scope, reference)
            return END if turn is None else None
        if cb is not None and await tell_expired(update, context, cb.scope):
            return END if turn is None else None  # a draft the retention job removed
        lang = await lang_of(update, context)
        await answer_query(query, context.services.text(lang, "error.stale"), alert=True)
        return None
    action = Action.of(cb.action)
    try:
        if action is None or not takes(turn.step, action):
            raise TextProblem("error.expected_choice")
        return await ON_PRESS[action](turn, cb.arg)
    except TextProblem as problem:
        await answer_query(query, turn.t(problem.key, **problem.params), alert=True)
        return None


def pressed_message(turn: Turn) -> Message | None:
    """The message whose button was pressed, when Telegram still has it."""
    query = turn.update.callback_query
    assert query is not None
    return query.message if isinstance(query.message, Message) else None


async def pressed_cancel(turn: Turn, arg: str) -> int | None:
    await turn.taken()
    return await cancel(turn.update, turn.context)


async def pressed_back(turn: Turn, arg: str) -> int | None:
    await turn.taken()
    previous = turn.draft.before(turn.step)
    if previous is None:
        return await cancel(turn.update, turn.context)
    return await show(turn, previous)


async def agree(turn: Turn, arg: str) -> int | None:
    assert turn.update.callback_query is not None
    await answer_query(turn.update.callback_query)
    await turn.services.give_consent(turn.chat_id, turn.lang)
    turn.draft.agreed()  # a station changed on an edit is taken now
    await clear_buttons(turn.update)
    # One message: the thanks above the next step's question.
    return await show(turn, turn.draft.after(Step.STATION), turn.t("privacy.thanks"))


async def read_notice(turn: Turn, arg: str) -> int | None:
    """The full privacy notice, then the consent question again."""
    services = turn.services
    assert turn.update.callback_query is not None
    await answer_query(turn.update.callback_query)
    header = turn.t("privacy.header", version=services.notice_version)
    await turn.say(f"{header}\n\n{services.privacy_notice(turn.lang)}")
    return await show(turn, Step.CONSENT)


async def station(turn: Turn, station_id: str) -> int | None:
    if turn.services.station(station_id) is None:  # refused before the press is answered
        raise TextProblem("error.stale")
    assert turn.update.callback_query is not None
    await answer_query(turn.update.callback_query)
    return await choose_station(turn, station_id)


async def station_view(turn: Turn, code: str) -> int | None:
    """A page of the station chooser (a letter, a kommun, the next page): its buttons
    replace the pressed ones. A page this deployment does not have is refused."""
    view = turn.services.station_index.parse(code)
    if view is None:
        raise TextProblem("error.stale")
    assert turn.update.callback_query is not None
    await answer_query(turn.update.callback_query)
    await replace(turn.update, turn.context, station_text(turn), keyboard(station_rows(turn, view)))
    return None


async def station_yes(turn: Turn, arg: str) -> int | None:
    """The station nearest to the shared location is the one."""
    await turn.taken()
    if not turn.draft.candidate_station:
        raise TextProblem("error.expected_choice")
    return await choose_station(turn, turn.draft.candidate_station)


async def station_other(turn: Turn, arg: str) -> int | None:
    await turn.taken()
    return await show(turn, Step.STATION)


async def category(turn: Turn, category_id: str) -> int | None:
    draft, services = turn.draft, turn.services
    draft.set_category(category_id, {c.id for c in services.deployment.categories})
    await turn.taken()
    if draft.offers_similar and await services.similar_reports(turn.chat_id, draft):
        return await show(turn, Step.ME_TOO)
    return await show(turn, draft.after(Step.CATEGORY))


async def support(turn: Turn, reference: str) -> int | None:
    """ "Me too" on a case the prompt offered: the resident's voice is added, the draft ends."""
    added, case = await turn.services.support(turn.chat_id, turn.draft, reference)
    await turn.taken()
    key = "metoo.done" if added else "metoo.already"
    return await finish(turn, key, discard=True, reference=case.reference, count=case.supporters)


async def not_similar(turn: Turn, arg: str) -> int | None:
    await turn.taken()
    return await show(turn, turn.draft.after(Step.ME_TOO))


async def done(turn: Turn, arg: str) -> int | None:
    """Go on from a step that needs its answer first (the place, the times) or may be left
    without one (the photos)."""
    step = turn.draft.done_with(turn.step)  # or: TextProblem
    await turn.taken()
    return await show(turn, step)


async def toggle_time(turn: Turn, value: str) -> int | None:
    """Toggle one time of day; the same prompt, its buttons redrawn."""
    turn.draft.toggle_time(value)
    turn.save()
    assert turn.update.callback_query is not None
    await answer_query(turn.update.callback_query)
    message = pressed_message(turn)
    if message is not None:
        await message.edit_reply_markup(keyboard(times_rows(turn)))
    return None


async def go_on(turn: Turn, arg: str) -> int | None:
    """After the 112 notice: the resident goes on where the flow was held."""
    await turn.taken()
    return await show(turn, turn.draft.release())


async def send_draft(turn: Turn, arg: str) -> int | None:
    return await submit(turn)


async def edit(turn: Turn, arg: str) -> int | None:
    await turn.taken()
    return await show(turn, Step.EDIT)


async def edit_field(turn: Turn, step_value: str) -> int | None:
    target = turn.draft.edit(step_value)  # or: TextProblem
    await turn.taken()
    return await show(turn, target)


async def use_kept(turn: Turn, arg: str) -> int | None:
    """The text kept from a button step, offered here, is the answer: checked like a typed one
    (an emergency holds the flow; the summary shows it before anything is sent)."""
    draft, step = turn.draft, turn.step
    if not kept.fits(draft, step):
        raise TextProblem("error.stale")
    await turn.taken()
    if draft.holds_for(step, draft.kept or ""):
        draft.hold(step)
        return await show(turn, Step.HELD)
    kept.use(draft, step)
    if step is Step.PLACE:
        return await place_given(turn, "report.place.got_text")
    return await show(turn, draft.after(step))


ON_PRESS: dict[Action, OnPress] = {
    Action.CANCEL: pressed_cancel,
    Action.BACK: pressed_back,
    Action.AGREE: agree,
    Action.READ_NOTICE: read_notice,
    Action.STATION: station,
    Action.STATION_VIEW: station_view,
    Action.STATION_YES: station_yes,
    Action.STATION_OTHER: station_other,
    Action.CATEGORY: category,
    Action.SUPPORT: support,
    Action.NOT_SIMILAR: not_similar,
    Action.PLACE_DONE: done,
    Action.TIME: toggle_time,
    Action.TIMES_DONE: done,
    Action.PHOTOS_DONE: done,
    Action.GO_ON: go_on,
    Action.SEND: send_draft,
    Action.EDIT: edit,
    Action.EDIT_FIELD: edit_field,
    Action.USE_KEPT: use_kept,
}
