"""Button presses inside the intake: the draft's buttons, per step."""

from __future__ import annotations

from telegram import Message, Update

from bot.context import AppContext
from bot.domain import callbacks
from bot.domain.callbacks import Callback
from bot.domain.intake import EDITABLE, Step, TextProblem
from bot.handlers.common import answer_query, clear_buttons, keyboard, lang_of
from bot.handlers.intake.flow import cancel, choose_station, finish, load, say_sent, submit
from bot.handlers.intake.prompts import show, times_rows
from bot.handlers.intake.turn import DRAFT, END, SENT, Turn


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
        lang = await lang_of(update, context)
        await answer_query(query, context.services.text(lang, "error.stale"), alert=True)
        return None
    step = Step(turn.draft.step)
    if cb.action == "x":
        await answer_query(query)
        await clear_buttons(update)
        return await cancel(update, context)
    if cb.action == "back":
        await answer_query(query)
        await clear_buttons(update)
        previous = turn.draft.before(step)
        if previous is None:
            return await cancel(update, context)
        return await show(turn, previous)
    try:
        return await on_step_callback(turn, step, cb)
    except TextProblem as problem:
        # Each step answers the query once it acts; a problem answers it with the reason.
        await answer_query(query, turn.t(problem.key, **problem.params), alert=True)
        return None


async def on_step_callback(turn: Turn, step: Step, cb: Callback) -> int | None:
    """A button press at `step`; returns the next state (None: stay)."""
    draft, services, update = turn.draft, turn.services, turn.update
    query = update.callback_query
    assert query is not None
    if step is Step.CONSENT:
        if cb.action == "agree":
            await answer_query(query)
            await services.give_consent(turn.chat_id, turn.lang)
            await clear_buttons(update)
            await turn.say(turn.t("privacy.thanks"))
            return await show(turn, draft.after(Step.STATION))
        if cb.action == "full":
            await answer_query(query)
            header = turn.t("privacy.header", version=services.notice_version)
            await turn.say(f"{header}\n\n{services.privacy_notice(turn.lang)}")
            return await show(turn, Step.CONSENT)
    elif step is Step.STATION and cb.action == "st":
        await answer_query(query)
        return await choose_station(turn, cb.arg)
    elif step is Step.STATION_CONFIRM:
        await answer_query(query)
        await clear_buttons(update)
        if cb.action == "stok" and draft.candidate_station:
            return await choose_station(turn, draft.candidate_station)
        if cb.action == "stno":
            return await show(turn, Step.STATION)
    elif step is Step.CATEGORY and cb.action == "cat":
        if cb.arg not in {c.id for c in services.deployment.categories}:
            raise TextProblem("error.stale")
        await answer_query(query)
        await clear_buttons(update)
        draft.category = cb.arg
        if not draft.editing and await services.similar_reports(turn.chat_id, draft):
            return await show(turn, Step.ME_TOO)
        return await show(turn, draft.after(Step.CATEGORY))
    elif step is Step.ME_TOO:
        if cb.action == "mt":
            added, case = await services.support(turn.chat_id, draft, cb.arg)  # or TextProblem
            await answer_query(query)
            await clear_buttons(update)
            key = "metoo.done" if added else "metoo.already"
            return await finish(
                turn, key, discard=True, reference=case.reference, count=case.supporters
            )
        if cb.action == "mtno":
            await answer_query(query)
            await clear_buttons(update)
            return await show(turn, draft.after(Step.ME_TOO))
    elif step is Step.PLACE and cb.action == "pc":
        if not draft.has_place():
            raise TextProblem("report.place.need")
        await answer_query(query)
        await clear_buttons(update)
        return await show(turn, draft.after(Step.PLACE))
    elif step is Step.TIMES:
        if cb.action == "tm":
            draft.toggle_time(cb.arg)
            turn.save()
            await answer_query(query)
            message = query.message
            if isinstance(message, Message):
                await message.edit_reply_markup(keyboard(times_rows(turn)))
            return None
        if cb.action == "tmok":
            if not draft.times:
                raise TextProblem("report.times.need")
            await answer_query(query)
            await clear_buttons(update)
            return await show(turn, draft.after(Step.TIMES))
    elif step in (Step.PHOTOS, Step.IDEA_PHOTO) and cb.action == "ph":
        await answer_query(query)
        await clear_buttons(update)
        return await show(turn, draft.after(step))
    elif step is Step.HELD and cb.action == "go":  # only while held: else "expected_choice"
        await answer_query(query)
        await clear_buttons(update)
        return await show(turn, draft.release())
    elif step is Step.SUMMARY:
        if cb.action == "ok":
            return await submit(turn)
        if cb.action == "ed":
            await answer_query(query)
            await clear_buttons(update)
            return await show(turn, Step.EDIT)
    elif step is Step.EDIT and cb.action == "ef":
        try:
            target = Step(int(cb.arg))
        except ValueError:
            raise TextProblem("error.stale") from None
        if target not in EDITABLE[draft.case_kind]:
            raise TextProblem("error.stale")
        await answer_query(query)
        await clear_buttons(update)
        draft.editing = True
        return await show(turn, target)
    raise TextProblem("error.expected_choice")
