"""Messages inside the intake: texts, locations and photos as answers; edited messages."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update

from bot.context import AppContext
from bot.domain.intake import Step, TextProblem
from bot.handlers.common import keyboard, lang_of, send, station_buttons
from bot.handlers.intake.flow import choose_station, load
from bot.handlers.intake.photos import on_photo
from bot.handlers.intake.prompts import distance, not_fitting, shorten, show
from bot.handlers.intake.turn import EDITS_NOTED, END, Turn


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
