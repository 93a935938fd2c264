"""Entering and leaving the intake: begin, cancel, the resident's draft, choosing a station and
sending."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update

from bot.context import AppContext
from bot.domain import callbacks, deeplinks
from bot.domain.intake import Draft, Step, TextProblem
from bot.domain.models import CaseKind
from bot.handlers.common import answer_query, clear_buttons, keyboard, lang_of, send, send_menu
from bot.handlers.intake.expired import tell_expired
from bot.handlers.intake.prompts import location_keyboard, recipients, show
from bot.handlers.intake.turn import (
    ALBUM_ANSWERED,
    DRAFT,
    EDITS_NOTED,
    END,
    FIELD_KEYS,
    LIMIT_TOLD,
    SENT,
    SENT_KEPT,
    Turn,
)
from bot.services import CrimeTip, ReportLimit


async def begin(update: Update, context: AppContext, kind: CaseKind) -> int:
    """Start a new draft (discarding an unfinished one) at consent or station choice."""
    turn = await fresh(update, context, kind)
    await turn.say(turn.t("station.location_hint"), location_keyboard(turn))
    return await show(turn, Step.STATION)


async def begin_at_station(update: Update, context: AppContext) -> int | None:
    """`/start s_<station>` (the QR code of a station poster): a new report at that station,
    as if the resident had chosen it there (consent and the rest as usual). A station this
    deployment does not have, or a malformed payload: the welcome, as a plain /start."""
    station_id = deeplinks.station_of(context.args[0] if context.args else "")
    station = context.services.station(station_id) if station_id else None
    if station is None:
        lang = await lang_of(update, context)
        await send_menu(update, context, lang, lead=context.services.text(lang, "start.welcome"))
        return None  # no flow begun; one that runs goes on
    turn = await fresh(update, context, CaseKind.REPORT)
    turn.draft.enter(Step.STATION)
    return await choose_station(turn, station.id)


async def fresh(update: Update, context: AppContext, kind: CaseKind) -> Turn:
    """A new draft of `kind`; an unfinished one is discarded (or named, if it was sent)."""
    assert context.user_data is not None
    context.user_data.pop(EDITS_NOTED, None)  # outside flows, said once between flows
    context.user_data.pop(LIMIT_TOLD, None)  # an earlier draft's
    if update.callback_query:
        await answer_query(update.callback_query)
    old = context.user_data.get(DRAFT)
    if old:
        draft = Draft.from_dict(old)
        case = await context.services.discard_draft(draft)  # its photos, unless it was sent
        if case is not None:  # restored after a crash from before its case: name the case
            await tell_sent(update, context, draft.token, case.reference, remove_keyboard=False)
    lang = await lang_of(update, context)
    return Turn(update, context, lang, Draft(kind=kind.value))


async def begin_report(update: Update, context: AppContext) -> int:
    """/rapport or the menu: a new unsafe-place report."""
    return await begin(update, context, CaseKind.REPORT)


async def begin_idea(update: Update, context: AppContext) -> int:
    """/ide or the menu: a new idea."""
    return await begin(update, context, CaseKind.IDEA)


async def begin_from_menu(update: Update, context: AppContext) -> int:
    query = update.callback_query
    assert query is not None
    cb = callbacks.parse(query.data)
    kind = CaseKind.IDEA if cb and cb.action == "idea" else CaseKind.REPORT
    return await begin(update, context, kind)


async def finish(
    turn: Turn, key: str | None, *, discard: bool, markup: object | None = None, **params: object
) -> int:
    """Leave the flow: forget the draft (and its photos when abandoned), say `key`."""
    if discard:
        await turn.services.discard_draft(turn.draft)
    assert turn.context.user_data is not None
    turn.context.user_data.pop(DRAFT, None)
    if key:
        await turn.say(turn.t(key, **params), markup or ReplyKeyboardRemove())
    return END


async def cancel(update: Update, context: AppContext) -> int:
    """/avbryt (/cancel) inside a flow."""
    assert context.user_data is not None
    had_draft = bool(context.user_data.get(DRAFT))
    turn = await load(update, context)  # a draft sent already: names its case, never "Inget"
    if turn is None:
        if not had_draft:
            lang = await lang_of(update, context)
            await send(update, context, context.services.text(lang, "flow.nothing"))
        return END
    await finish(turn, "flow.cancelled", discard=True)
    await send_menu(update, context, turn.lang)
    return END


async def cancel_outside(update: Update, context: AppContext) -> None:
    """/avbryt when no flow is running."""
    lang = await lang_of(update, context)
    await send(update, context, context.services.text(lang, "flow.nothing"))


async def load(update: Update, context: AppContext) -> Turn | None:
    """The resident's draft; None when there is none, or when it was sent already (a copy
    persisted before the case was stored and restored after a crash): then the resident is
    told the case's reference and the draft is dropped, never offered to send again."""
    assert context.user_data is not None
    data = context.user_data.get(DRAFT)
    if not data:
        return None
    turn = Turn(update, context, await lang_of(update, context), Draft.from_dict(data))
    if "id" not in data:
        turn.save()  # a draft from before drafts had ids keeps the one it got now
    case = await turn.services.submitted(turn.draft)
    if case is not None:
        album_answered(update, context)  # the rest of an album it came with: no answers
        await say_sent(update, context, turn.draft.token, case.reference)
        return None
    return turn


def album_answered(update: Update, context: AppContext) -> bool:
    """Outside a flow: whether this message is a photo of an album answered already (True:
    say nothing); the first photo of an album marks it answered. Telegram sends an album as
    one message per photo, so without this each photo would get its own answer."""
    message = update.effective_message
    group = message.media_group_id if message is not None else None
    if group is None or context.chat_data is None:
        return False
    if context.chat_data.get(ALBUM_ANSWERED) == group:
        return True
    context.chat_data[ALBUM_ANSWERED] = group
    return False


def remember_sent(context: AppContext, token: str, reference: str) -> None:
    """Keep which case a draft became, so a later press of its buttons names that case."""
    assert context.user_data is not None
    sent = {k: v for k, v in context.user_data.get(SENT, {}).items() if k != token}
    sent[token] = reference
    context.user_data[SENT] = dict(list(sent.items())[-SENT_KEPT:])


async def say_sent(update: Update, context: AppContext, token: str, reference: str) -> None:
    """A draft sent already (its button pressed, or its copy restored): answer the press,
    say its case's reference, drop the draft if it is still here."""
    if update.callback_query is not None:
        await answer_query(update.callback_query)
    await clear_buttons(update)
    await tell_sent(update, context, token, reference)


async def tell_sent(
    update: Update, context: AppContext, token: str, reference: str, *, remove_keyboard: bool = True
) -> None:
    """Say that draft `token` became case `reference`; drop the draft if it is still here.

    The reply keyboard is removed (its flow has ended), except while another draft's flow
    runs: it may be that flow's "share location" keyboard.
    """
    assert context.user_data is not None
    remember_sent(context, token, reference)
    draft = context.user_data.get(DRAFT)
    if draft and draft.get("token") == token:
        del context.user_data[DRAFT]  # its photos belong to the case now: nothing to discard
    elif draft:
        remove_keyboard = False  # a flow is running: its keyboard stays
    markup = ReplyKeyboardRemove() if remove_keyboard else None
    lang = await lang_of(update, context)
    text = context.services.text(lang, "submitted.already", reference=reference)
    await send(update, context, text, markup)


async def sent_again(update: Update, context: AppContext) -> None:
    """A draft's button outside a running flow: the case's reference if the draft was sent,
    else the button has expired."""
    query = update.callback_query
    assert query is not None
    assert context.user_data is not None
    cb = callbacks.parse(query.data)
    reference = context.user_data.get(SENT, {}).get(cb.scope) if cb else None
    draft = context.user_data.get(DRAFT)
    if cb is not None and reference is None and draft and draft.get("token") == cb.scope:
        # The flow's end was persisted but not the draft's (two rows, written apart).
        case = await context.services.submitted(Draft.from_dict(draft))
        reference = case.reference if case else None
    if cb is not None and reference is not None:
        await say_sent(update, context, cb.scope, reference)
        return
    if cb is not None and await tell_expired(update, context, cb.scope):
        return  # a draft the retention job removed
    lang = await lang_of(update, context)
    await answer_query(query, context.services.text(lang, "error.stale"), alert=True)


async def choose_station(turn: Turn, station_id: str) -> int:
    station = turn.services.station(station_id)
    if station is None:
        raise TextProblem("error.stale")
    await clear_buttons(turn.update)
    draft, services = turn.draft, turn.services
    same = recipients(turn, draft.station) == recipients(turn, station.id)
    ask_again = draft.change_station(station.id, same_recipients=same)
    await turn.say(f"✓ {station.name}", ReplyKeyboardRemove())
    if ask_again or await services.needs_consent(turn.chat_id):
        # Asked once the station is known, so the notice can name who receives the report.
        return await show(turn, Step.CONSENT)
    return await show(turn, turn.draft.after(Step.STATION))


async def submit(turn: Turn) -> int | None:
    """Write the case, then (and only then) show its reference.

    Once per draft, however often "Skicka" arrives (Services.submit_draft): a repeated press
    (a double press, an update delivered again after a crash, a press repeated because
    Telegram refused the answer to the first) is told the reference of the case stored first.
    """
    missing = turn.draft.missing()
    if missing:
        fields = ", ".join(turn.t(FIELD_KEYS[s]) for s in missing)
        raise TextProblem("summary.missing", fields=fields)
    try:
        sent = await turn.services.submit_draft(turn.chat_id, turn.draft, turn.lang)  # or: limits
    except CrimeTip as tip:
        # Redirected, and the draft with its texts and photos is dropped, never kept.
        await turn.taken()
        return await finish(turn, tip.key, discard=True)
    except ReportLimit as limit:
        await refuse_over_limit(turn, limit)
        return None
    # Answered once the case is stored (a refusal of the draft is an alert instead), before
    # the slower sends; Telegram refusing a late answer is harmless.
    await turn.taken()
    case = sent.case
    remember_sent(turn.context, turn.draft.token, case.reference)
    if not sent.new:
        return await finish(turn, "submitted.already", discard=False, reference=case.reference)
    follow = None
    if not sent.followed:
        label = turn.t("follow.offer", station=turn.station_name)
        follow = keyboard([[(label, callbacks.menu("fol", case.station_id))]])
    await finish(
        turn,
        sent.told,  # a report names only the partner actors it really reaches
        discard=False,
        markup=follow,
        reference=case.reference,
        actors=", ".join(sent.receiving),
        station=turn.station_name,
    )
    return END


async def refuse_over_limit(turn: Turn, limit: ReportLimit) -> None:
    """The hourly limit, said in a message the resident can read again (an answer to the press
    vanishes), once per draft: a press again while it holds gets a short answer, the message
    stands above. The summary keeps its buttons, to send the draft later."""
    query = turn.update.callback_query
    assert query is not None
    assert turn.context.user_data is not None
    if turn.context.user_data.get(LIMIT_TOLD) == turn.draft.token:
        await answer_query(query, turn.t("limits.reports_again"))
        return
    await answer_query(query)
    turn.context.user_data[LIMIT_TOLD] = turn.draft.token
    await turn.say(turn.t(limit.key, **limit.params))
