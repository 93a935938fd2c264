"""Resident intake: an unsafe-place report or an idea, step by step (ConversationHandler).

Every state has the same two handlers, a callback router and a message router, which
dispatch on the step stored in the draft. The order of steps and the rules for answers are
in `bot.domain.intake`; this module parses updates and renders prompts.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import cast

from telegram import (
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.context import AppContext, BotApp
from bot.domain import callbacks
from bot.domain.callbacks import Callback
from bot.domain.intake import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    EDITABLE,
    PHOTO_STEPS,
    TIMES,
    Draft,
    Step,
    TextProblem,
)
from bot.domain.models import CaseKind
from bot.handlers.common import (
    Button,
    answer_query,
    clear_buttons,
    in_rows,
    keyboard,
    lang_of,
    send,
    send_menu,
    station_buttons,
)
from bot.i18n import Safe
from bot.media import PhotoError, PhotoTooLarge
from bot.processor import PerChatUpdateProcessor
from bot.services import CrimeTip

log = logging.getLogger(__name__)

CONVERSATION = "intake"
END = ConversationHandler.END
DRAFT = "draft"
#: user_data: {draft token: case reference} of the last drafts sent, so that a press of a sent
#: draft's button (a double press, a press repeated after a refused answer) names its case.
#: It lives in the same user_data row as the draft, so the two are persisted together.
SENT = "sent"
SENT_KEPT = 5
#: user_data: the resident was told, outside a flow, that edited messages are not read.
EDITS_NOTED = "edits_noted"
#: chat_data: the album (media group) last answered outside a flow; its other photos, each
#: a message of its own, get no answer of their own.
ALBUM_ANSWERED = "album_answered"
#: Seconds after an album's last photo before the album is answered (Telegram sends an album
#: as one message per photo, close together, and never says how many there are).
ALBUM_WAIT = 1.0

#: What a step expects, said when something else arrives (a photo where a name is asked, a
#: location at the description, ...); steps with buttons to choose from are not listed.
EXPECTS = {
    Step.STATION: "expect.station",
    Step.PLACE: "expect.place",
    Step.DESCRIPTION: "error.expected_text",
    Step.IDEA_TEXT: "error.expected_text",
    Step.PHOTOS: "expect.photos",
    Step.IDEA_PHOTO: "expect.photos",
}

#: The catalog key naming each editable step in the summary and the edit menu.
FIELD_KEYS = {
    Step.STATION: "field.station",
    Step.CATEGORY: "field.category",
    Step.PLACE: "field.place",
    Step.TIMES: "field.times",
    Step.DESCRIPTION: "field.description",
    Step.PHOTOS: "field.photos",
    Step.IDEA_TEXT: "field.idea",
    Step.IDEA_PHOTO: "field.photos",
}


class Turn:
    """One update being handled: the services, the resident's language and the draft."""

    def __init__(self, update: Update, context: AppContext, lang: str, draft: Draft) -> None:
        self.update = update
        self.context = context
        self.services = context.services
        self.lang = lang
        self.draft = draft

    def t(self, key: str, **params: object) -> str:
        return self.services.text(self.lang, key, **params)

    def cb(self, action: str, arg: str = "") -> str:
        return callbacks.encode(self.draft.token, action, arg)

    def nav(self, back: bool = True) -> list[Button]:
        row = [(self.t("nav.back"), self.cb("back"))] if back else []
        return [*row, (self.t("nav.cancel"), self.cb("x"))]

    def save(self) -> None:
        assert self.context.user_data is not None
        self.context.user_data[DRAFT] = self.draft.to_dict()

    async def say(self, text: str, markup: object | None = None) -> Message:
        return await send(self.update, self.context, text, markup)

    @property
    def chat_id(self) -> int:
        chat = self.update.effective_chat
        assert chat is not None
        return chat.id

    @property
    def station_name(self) -> str:
        station = self.services.station(self.draft.station)
        return station.name if station else ""


# ---------------------------------------------------------------------- prompts
async def show(turn: Turn, step: Step, note: str | None = None) -> Step:
    """Render the prompt of `step` (after an optional one-line note) and make it current."""
    turn.draft.step = step
    text, markup = await render(turn, step)
    turn.save()  # after rendering: a prompt may record what it offered (the "me too" cases)
    if note:
        text = f"{note}\n\n{text}"
    await turn.say(text, markup)
    return step


async def render(turn: Turn, step: Step) -> tuple[str, object | None]:
    draft, t = turn.draft, turn.t
    services = turn.services
    if step is Step.CONSENT:
        parties = services.station_parties(draft.station) or [turn.station_name]
        retention = services.deployment.retention
        text = t(
            "privacy.short",
            recipients=", ".join(parties),
            controller=services.deployment.privacy.controller,
            case_days=retention.case_days,
            photo_days=retention.photo_days,
            contact=services.deployment.privacy.contact,
        )
        rows = [
            [(t("privacy.agree"), turn.cb("agree")), (t("privacy.read_full"), turn.cb("full"))],
            turn.nav(),
        ]
        return text, keyboard(rows)
    if step is Step.STATION:
        home = await services.home_station(turn.chat_id)
        rows = station_buttons(services.deployment.stations, "st", draft.token, home)
        return t("station.prompt"), keyboard([*rows, turn.nav()])
    if step is Step.STATION_CONFIRM:
        candidate = services.station(draft.candidate_station)
        assert candidate is not None
        nearest = services.nearest(draft.lat or 0.0, draft.lon or 0.0)
        text = t(
            "station.nearest", station=candidate.name, distance=distance(nearest.km, turn.lang)
        )
        rows = [
            [(t("station.yes", station=candidate.name), turn.cb("stok"))],
            [(t("station.other"), turn.cb("stno"))],
            turn.nav(),
        ]
        return text, keyboard(rows)
    if step is Step.CATEGORY:
        buttons = [
            (c.name.get(turn.lang) or c.name["sv"], turn.cb("cat", c.id))
            for c in services.deployment.categories
        ]
        rows = [*in_rows(buttons), turn.nav()]
        return t("category.prompt", station=turn.station_name), keyboard(rows)
    if step is Step.ME_TOO:
        similar = await services.similar_reports(turn.chat_id, draft)
        draft.offered = [c.reference for c in similar]  # only these may be supported
        items = "\n".join(
            t("metoo.item", reference=c.reference, text=shorten(c.description)) for c in similar
        )
        rows = [
            [(t("metoo.support", reference=c.reference), turn.cb("mt", c.reference))]
            for c in similar
        ]
        rows += [[(t("metoo.new"), turn.cb("mtno"))], turn.nav()]
        return t("metoo.prompt", station=turn.station_name, cases=Safe(items)), keyboard(rows)
    if step is Step.PLACE:
        place_rows = [[(t("nav.continue"), turn.cb("pc"))]] if draft.has_place() else []
        return t("report.place.prompt"), keyboard([*place_rows, turn.nav()])
    if step is Step.TIMES:
        return t("report.times.prompt"), keyboard(times_rows(turn))
    if step is Step.DESCRIPTION:
        text = t("report.description.prompt", minimum=DESCRIPTION_MIN, maximum=DESCRIPTION_MAX)
        return text, keyboard([turn.nav()])
    if step in (Step.PHOTOS, Step.IDEA_PHOTO):
        key = "photos.prompt" if step is Step.PHOTOS else "idea.photo.prompt"
        label = t("nav.done") if draft.photos else t("nav.skip")
        return t(key, limit=draft.max_photos), keyboard([[(label, turn.cb("ph"))], turn.nav()])
    if step is Step.IDEA_TEXT:
        text = t(
            "idea.prompt",
            station=turn.station_name,
            minimum=DESCRIPTION_MIN,
            maximum=DESCRIPTION_MAX,
        )
        return text, keyboard([turn.nav()])
    if step is Step.HELD:
        go_on = "urgent.go_report" if draft.case_kind is CaseKind.REPORT else "urgent.go_idea"
        rows = [[(t(go_on), turn.cb("go"))], [(t("nav.cancel"), turn.cb("x"))]]
        return t("urgent.held"), keyboard(rows)
    if step is Step.SUMMARY:
        rows = [
            [(t("summary.send"), turn.cb("ok")), (t("summary.edit"), turn.cb("ed"))],
            turn.nav(),
        ]
        return summary(turn), keyboard(rows)
    if step is Step.EDIT:
        steps = EDITABLE[draft.case_kind]
        buttons = [(t(FIELD_KEYS[s]), turn.cb("ef", str(int(s)))) for s in steps]
        return t("edit.prompt"), keyboard([*in_rows(buttons), [(t("nav.back"), turn.cb("back"))]])
    raise AssertionError(f"no prompt for {step!r}")


def times_rows(turn: Turn) -> list[list[Button]]:
    buttons = [
        (
            ("✅ " if value in turn.draft.times else "▫️ ") + turn.t(f"times.{value}"),
            turn.cb("tm", value),
        )
        for value in TIMES
    ]
    return [*in_rows(buttons, 2), [(turn.t("nav.done"), turn.cb("tmok"))], turn.nav()]


def summary(turn: Turn) -> str:
    draft, t = turn.draft, turn.t
    none = t("summary.none")
    lines = [t("summary.report" if draft.case_kind is CaseKind.REPORT else "summary.idea")]

    def line(step: Step, value: str | None) -> None:
        lines.append(t("summary.line", label=t(FIELD_KEYS[step]), value=value or none))

    line(Step.STATION, turn.station_name)
    if draft.case_kind is CaseKind.REPORT:
        line(Step.CATEGORY, turn.services.category_name(draft.category, turn.lang))
        place = [
            p for p in (draft.place_text, t("summary.pin") if draft.lat is not None else None) if p
        ]
        line(Step.PLACE, " + ".join(place))
        line(Step.TIMES, ", ".join(t(f"times.{v}") for v in draft.times))
        line(Step.DESCRIPTION, draft.description)
        line(Step.PHOTOS, str(len(draft.photos)))
    else:
        line(Step.IDEA_TEXT, draft.description)
        line(Step.IDEA_PHOTO, str(len(draft.photos)))
    return "\n".join(lines)


def shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def distance(km: float, lang: str) -> str:
    from babel.numbers import format_decimal

    if km < 1:
        return f"{round(km * 1000 / 10) * 10:.0f} m"
    return f"{format_decimal(round(km, 1), locale=lang)} km"


def location_keyboard(turn: Turn) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(turn.t("station.share_location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


# ---------------------------------------------------------------------- entry and exit
async def begin(update: Update, context: AppContext, kind: CaseKind) -> int:
    """Start a new draft (discarding an unfinished one) at consent or station choice."""
    assert context.user_data is not None
    context.user_data.pop(EDITS_NOTED, None)  # outside flows, said once between flows
    if update.callback_query:
        await answer_query(update.callback_query)
    old = context.user_data.get(DRAFT)
    if old:
        draft = Draft.from_dict(old)
        case = await context.services.submitted(draft)
        if case is not None:  # restored after a crash from before its case: name the case
            await tell_sent(update, context, draft.token, case.reference, remove_keyboard=False)
        else:
            await context.services.discard_draft(draft)
    lang = await lang_of(update, context)
    turn = Turn(update, context, lang, Draft(kind=kind.value))
    await turn.say(turn.t("station.location_hint"), location_keyboard(turn))
    return await show(turn, Step.STATION)


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


# ---------------------------------------------------------------------- routers
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
    update: Update,
    context: AppContext,
    token: str,
    reference: str,
    *,
    remove_keyboard: bool = True,
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
    lang = await lang_of(update, context)
    await answer_query(query, context.services.text(lang, "error.stale"), alert=True)


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


async def choose_station(turn: Turn, station_id: str) -> int:
    station = turn.services.station(station_id)
    if station is None:
        raise TextProblem("error.stale")
    await clear_buttons(turn.update)
    turn.draft.station = station.id
    turn.draft.candidate_station = None
    await turn.say(f"✓ {station.name}", ReplyKeyboardRemove())
    if await turn.services.needs_consent(turn.chat_id):
        # Asked once the station is known, so the notice can name who receives the report.
        return await show(turn, Step.CONSENT)
    return await show(turn, turn.draft.after(Step.STATION))


async def submit(turn: Turn) -> int:
    """Write the case, then (and only then) show its reference.

    Once per draft, however often "Skicka" arrives (Services.submit_draft): a repeated press
    (a double press, an update delivered again after a crash, a press repeated because
    Telegram refused the answer to the first) is told the reference of the case stored first.
    """
    query = turn.update.callback_query
    missing = turn.draft.missing()
    if missing:
        fields = ", ".join(turn.t(FIELD_KEYS[s]) for s in missing)
        raise TextProblem("summary.missing", fields=fields)
    try:
        sent = await turn.services.submit_draft(turn.chat_id, turn.draft, turn.lang)  # or: limits
    except CrimeTip as tip:
        # Redirected, and the draft with its texts and photos is dropped, never kept.
        if query:
            await answer_query(query)
        await clear_buttons(turn.update)
        return await finish(turn, tip.key, discard=True)
    # Answered once the case is stored (a refusal, as the hourly limit, is an alert instead),
    # before the slower sends; Telegram refusing a late answer is harmless.
    if query:
        await answer_query(query)
    case = sent.case
    await clear_buttons(turn.update)
    remember_sent(turn.context, turn.draft.token, case.reference)
    if not sent.new:
        return await finish(turn, "submitted.already", discard=False, reference=case.reference)
    follow = None
    if case.station_id not in await turn.services.updates.followed(turn.chat_id):
        label = turn.t("follow.offer", station=turn.station_name)
        follow = keyboard([[(label, callbacks.menu("fol", case.station_id))]])
    if case.kind is CaseKind.REPORT:
        actors = await turn.services.desk.receiving(case)  # only actors it really reaches
        await finish(
            turn,
            "submitted.report",
            discard=False,
            markup=follow,
            reference=case.reference,
            actors=", ".join(actors) or turn.station_name,
        )
    else:
        await finish(
            turn,
            "submitted.idea",
            discard=False,
            markup=follow,
            reference=case.reference,
            station=turn.station_name,
        )
    return END


async def on_message(update: Update, context: AppContext) -> int | None:
    """Every non-command message inside the flow: text, location, photo or anything else."""
    turn = await load(update, context)
    message = update.effective_message
    if turn is None or message is None:
        return END
    step = Step(turn.draft.step)
    try:
        if message.location is not None:
            return await on_location(
                turn, step, message.location.latitude, message.location.longitude
            )
        if message.photo or (
            message.document and (message.document.mime_type or "").startswith("image/")
        ):
            return await on_photo(turn, step, message)
        if message.text is not None:
            return await on_text(turn, step, message.text)
    except TextProblem as problem:
        await turn.say(turn.t(problem.key, **problem.params))
        return None
    # A sticker, voice note, video, contact, file, ...: say what is expected, ask again.
    return await not_fitting(turn, step)


async def not_fitting(turn: Turn, step: Step) -> int:
    """Input this step cannot take: one line on what it expects, then its prompt again."""
    return await show(turn, step, turn.t(EXPECTS.get(step, "error.expected_choice")))


async def on_text(turn: Turn, step: Step, text: str) -> int | None:
    draft = turn.draft
    if draft.holds_for(step, text):
        # The guard has shown the 112 notice: this is no answer; wait until they say go on.
        draft.hold(step)
        return await show(turn, Step.HELD)
    if step is Step.STATION:
        found = turn.services.find_stations(text)
        if len(found) == 1:
            return await choose_station(turn, found[0].id)
        if found:
            rows = station_buttons(found, "st", draft.token)
            await turn.say(turn.t("station.several"), keyboard([*rows, turn.nav(back=False)]))
            return None
        return await show(turn, Step.STATION, turn.t("station.not_found", text=shorten(text, 40)))
    if step is Step.PLACE:
        draft.set_place_text(text)
        if draft.lat is None and not draft.editing:
            turn.save()
            await turn.say(
                turn.t("report.place.got_text"),
                keyboard([[(turn.t("nav.continue"), turn.cb("pc"))], turn.nav()]),
            )
            return None
        return await show(turn, draft.after(Step.PLACE))
    if step is Step.DESCRIPTION:
        draft.set_description(text)
        return await show(turn, draft.after(Step.DESCRIPTION))
    if step is Step.IDEA_TEXT:
        draft.set_description(text)
        return await show(turn, draft.after(Step.IDEA_TEXT))
    return await not_fitting(turn, step)


async def on_location(turn: Turn, step: Step, lat: float, lon: float) -> int | None:
    draft = turn.draft
    if step in (Step.STATION, Step.STATION_CONFIRM):
        nearest = turn.services.nearest(lat, lon)
        if not nearest.within_reach:
            note = turn.t(
                "station.too_far",
                station=nearest.station.name,
                distance=distance(nearest.km, turn.lang),
            )
            return await show(turn, Step.STATION, note)
        draft.candidate_station = nearest.station.id
        draft.lat, draft.lon = lat, lon  # also a good first guess for the place pin
        await turn.say("📍", ReplyKeyboardRemove())
        return await show(turn, Step.STATION_CONFIRM)
    if step is Step.PLACE:
        draft.lat, draft.lon = lat, lon
        if not draft.place_text and not draft.editing:
            turn.save()
            await turn.say(
                turn.t("report.place.got_pin"),
                keyboard([[(turn.t("nav.continue"), turn.cb("pc"))], turn.nav()]),
            )
            return None
        return await show(turn, draft.after(Step.PLACE))
    return await not_fitting(turn, step)


async def on_photo(turn: Turn, step: Step, message: Message) -> int | None:
    draft = turn.draft
    group = message.media_group_id
    if step not in PHOTO_STEPS:
        if group is not None:  # an album where none fits: answered at its first photo only
            if draft.album == group:
                return None
            draft.album = group
        return await not_fitting(turn, step)
    if group is not None:
        await on_album_photo(turn, message, group)
        return None
    if len(draft.photos) >= draft.max_photos:
        raise TextProblem("photos.limit", limit=draft.max_photos)
    draft.add_photo(await receive_photo(turn, message), None)
    turn.save()
    if len(draft.photos) >= draft.max_photos:
        return await show(turn, draft.after(step))
    await turn.say(
        turn.t("photos.got", count=len(draft.photos), limit=draft.max_photos),
        keyboard(photo_rows(turn)),
    )
    return None


def photo_rows(turn: Turn) -> list[list[Button]]:
    return [[(turn.t("nav.done"), turn.cb("ph"))], turn.nav()]


async def receive_photo(turn: Turn, message: Message) -> str:
    """Download a resident's photo and store a cleaned copy; its file name, or TextProblem."""
    media = message.photo[-1] if message.photo else message.document
    assert media is not None
    try:
        file = await media.get_file()
        content = bytes(await file.download_as_bytearray())
        return await turn.services.save_photo(content)
    except PhotoTooLarge:
        log.info("A photo was refused: too large to decode")
        raise TextProblem("photos.too_large") from None
    except (TelegramError, PhotoError):
        log.warning("Could not receive a photo", exc_info=True)
        raise TextProblem("photos.failed") from None


# ---------------------------------------------------------------------- albums
@dataclass(frozen=True)
class AlbumWait:
    """The pending answer to an album: the update of its latest photo (to answer in its chat)."""

    update: Update
    group: str


async def on_album_photo(turn: Turn, message: Message, group: str) -> None:
    """One photo of an album: kept while there is room (the rest is never downloaded); the
    album is answered once, ALBUM_WAIT seconds after its last photo."""
    draft = turn.draft
    if draft.album_photo(group):
        try:
            name = await receive_photo(turn, message)
        except TextProblem:
            turn.save()  # the count stays; the problem is said now
            raise
        draft.add_photo(name, group)
    turn.save()
    # The context's generics cannot name our context type; the application is a BotApp.
    jobs = cast(BotApp, turn.context.application).job_queue
    if jobs is None:  # no scheduler (python-telegram-bot without job-queue): answer each
        await answer_album(turn, group)
        return
    name = f"album:{turn.chat_id}"
    for job in jobs.get_jobs_by_name(name):
        job.schedule_removal()
    user = turn.update.effective_user
    jobs.run_once(
        album_done,
        ALBUM_WAIT,
        data=AlbumWait(turn.update, group),
        name=name,
        chat_id=turn.chat_id,
        user_id=user.id if user else None,
    )


async def album_done(context: AppContext) -> None:
    """Job, shortly after an album's last photo: answer it, in the chat's turn."""
    assert context.job is not None
    wait = context.job.data
    assert isinstance(wait, AlbumWait)

    async def answer() -> None:
        turn = await load(wait.update, context)
        if turn is not None:
            await answer_album(turn, wait.group)

    processor = context.application.update_processor
    if isinstance(processor, PerChatUpdateProcessor) and context.job.chat_id is not None:
        await processor.in_turn(context.job.chat_id, answer())
    else:
        await answer()


async def answer_album(turn: Turn, group: str) -> None:
    """Say how many of the album's photos were kept; at the limit, go on to the next step."""
    draft = turn.draft
    step = Step(draft.step)
    if step not in PHOTO_STEPS or draft.album != group:
        return  # the resident went on meanwhile (pressed Klar): nothing to add
    if len(draft.photos) >= draft.max_photos:
        note = turn.t(
            "photos.album_cut",
            saved=draft.album_saved,
            total=draft.album_total,
            limit=draft.max_photos,
        )
        await show(turn, draft.after(step), note)
        return
    text = turn.t("photos.album_got", count=len(draft.photos), limit=draft.max_photos)
    await turn.say(text, keyboard(photo_rows(turn)))


# ---------------------------------------------------------------------- edited messages
async def on_edit(update: Update, context: AppContext) -> None:
    """An edited message is never an answer (nor a command): say so once per step, and ask
    the step's question again. In a group, edits are members' talk: nothing is said."""
    message = update.edited_message
    chat = update.effective_chat
    if message is None or chat is None or chat.type != "private":
        return
    assert context.user_data is not None
    turn = await load(update, context)
    if turn is None:
        if not context.user_data.get(EDITS_NOTED):
            context.user_data[EDITS_NOTED] = True
            lang = await lang_of(update, context)
            await send(update, context, context.services.text(lang, "edits.not_read"))
        return
    draft, step = turn.draft, Step(turn.draft.step)
    if draft.holds_for(step, message.text or ""):  # edited into an emergency: as a new text
        draft.hold(step)
        await show(turn, Step.HELD)
        return
    if int(step) in draft.edits_noted:
        return
    draft.edits_noted.append(int(step))
    await show(turn, step, turn.t("edits.not_read"))


def build() -> ConversationHandler[AppContext]:
    """The intake conversation: persistent, so drafts survive a restart."""
    router: list[BaseHandler[Update, AppContext, object]] = [
        CallbackQueryHandler(on_callback, pattern=r"^v1:(?!m:)"),
        MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, on_message),
    ]
    with warnings.catch_warnings():
        # Our callbacks carry the draft token, so per-message tracking is not needed.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler(["rapport", "report"], begin_report),
                CommandHandler(["ide", "idea"], begin_idea),
                CallbackQueryHandler(begin_from_menu, pattern=r"^v1:m:(rep|idea)$"),
            ],
            states={step: list(router) for step in Step},
            fallbacks=[
                CommandHandler(["avbryt", "cancel"], cancel),
                CommandHandler(["rapport", "report"], begin_report),
                CommandHandler(["ide", "idea"], begin_idea),
            ],
            allow_reentry=True,
            name=CONVERSATION,
            persistent=True,
        )


def register_edits(app: BotApp) -> None:
    """First in group 0: an edited message reaches no command, conversation or step."""
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit))


def register(app: BotApp) -> None:
    app.add_handler(build())
    # After the conversation: a draft's button once its flow has ended (sent, or expired).
    app.add_handler(CallbackQueryHandler(sent_again, pattern=r"^v1:[0-9a-f]{6}:"))
    app.add_handler(CommandHandler(["avbryt", "cancel"], cancel_outside))
