"""Messages inside the intake: texts and locations as answers (one handler per step that
takes them: `ON_TEXT`, `ON_LOCATION`), photos (`photos`), edited messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import ReplyKeyboardRemove, Update

from bot.context import AppContext
from bot.domain import kept
from bot.domain.guards import looks_urgent
from bot.domain.intake import PHOTO_STEPS, Action, Step, TextProblem
from bot.domain.stations import SEARCH_MAX
from bot.handlers.common import keyboard, lang_of, send, station_buttons
from bot.handlers.intake.flow import choose_station, load
from bot.handlers.intake.photos import on_photo
from bot.handlers.intake.prompts import distance, not_fitting, place_rows, shorten, show
from bot.handlers.intake.turn import EDITS_NOTED, END, Turn


async def on_message(update: Update, context: AppContext) -> int | None:
    """Every non-command message inside the flow: text, location, photo or anything else."""
    turn = await load(update, context)
    message = update.effective_message
    if turn is None or message is None:
        return END
    step = turn.step
    try:
        if message.location is not None:
            return await on_location(turn, message.location.latitude, message.location.longitude)
        if message.photo or (
            message.document and (message.document.mime_type or "").startswith("image/")
        ):
            return await on_photo(turn, message)
        if message.text is not None:
            return await on_text(turn, message.text)
    except TextProblem as problem:
        await turn.say(turn.t(problem.key, **problem.params))
        return None
    # A sticker, voice note, video, contact, file, ...: say what is expected, ask again.
    return await not_fitting(turn, step)


# ---------------------------------------------------------------------- texts
async def on_text(turn: Turn, text: str) -> int | None:
    draft, step = turn.draft, turn.step
    if draft.holds_for(step, text):
        # The guard has shown the 112 notice: this is no answer; wait until they say go on.
        draft.hold(step)
        return await show(turn, Step.HELD)
    answer = ON_TEXT.get(step)
    if answer is not None:
        return await answer(turn, text)
    if looks_urgent(text):  # the guard has shown the 112 notice: that, and the step again
        return await show(turn, step)
    if kept.keeps(step, text):
        return await keep(turn, text)
    return await not_fitting(turn, step)


async def keep(turn: Turn, text: str) -> int | None:
    """A text where a button was expected: kept for a later step, and the resident told so;
    one that fits no step is not kept, and the step says what it expects."""
    step = turn.step
    if not kept.keep(turn.draft, text):
        return await not_fitting(turn, step)
    return await show(turn, step, turn.t("kept.photos" if step in PHOTO_STEPS else "kept.saved"))


async def station_name(turn: Turn, text: str) -> int | None:
    """A station by name: chosen when one matches, a choice among several, or asked again."""
    found = turn.services.find_stations(text)
    if len(found) == 1:
        return await choose_station(turn, found[0].id)
    if found:
        rows = station_buttons(found[:SEARCH_MAX], Action.STATION, turn.draft.token)
        text = turn.t("station.several")
        if len(found) > SEARCH_MAX:  # a few letters match many: the first ones, and "more"
            text = f"{text}\n{turn.t('station.more')}"
        await turn.say(text, keyboard([*rows, turn.nav(back=False)]))
        return None
    if kept.keeps(Step.STATION, text) and kept.keep(turn.draft, text):
        return await sentence_at_station(turn, text)
    return await show(turn, Step.STATION, turn.t("station.not_found", text=shorten(text, 40)))


async def sentence_at_station(turn: Turn, text: str) -> int | None:
    """A sentence about the place, not a station's name: kept for later, and the stations it
    names offered (else the station's question again)."""
    note = turn.t("kept.station")
    named = turn.services.stations_named_in(text)
    if not named:
        return await show(turn, Step.STATION, note)
    rows = station_buttons(named[:SEARCH_MAX], Action.STATION, turn.draft.token)
    turn.save()
    await turn.say(
        f"{note}\n\n{turn.t('station.several')}", keyboard([*rows, turn.nav(back=False)])
    )
    return None


async def place_text(turn: Turn, text: str) -> int | None:
    turn.draft.set_place_text(text)
    return await place_given(turn, "report.place.got_text")


async def description(turn: Turn, text: str) -> int | None:
    turn.draft.set_description(text)
    kept.answered(turn.draft, turn.step)
    return await show(turn, turn.draft.after(turn.step))


#: The steps that take a text as their answer (the description's and the idea's alike).
ON_TEXT: dict[Step, Callable[[Turn, str], Awaitable[int | None]]] = {
    Step.STATION: station_name,
    Step.PLACE: place_text,
    Step.DESCRIPTION: description,
    Step.IDEA_TEXT: description,
}


# ---------------------------------------------------------------------- locations
async def on_location(turn: Turn, lat: float, lon: float) -> int | None:
    answer = ON_LOCATION.get(turn.step)
    if answer is None:
        return await not_fitting(turn, turn.step)
    return await answer(turn, lat, lon)


async def station_near(turn: Turn, lat: float, lon: float) -> int | None:
    """The station nearest to a shared location, to confirm; or "too far" and the choice."""
    nearest = turn.services.nearest(lat, lon)
    if not nearest.within_reach:
        note = turn.t(
            "station.too_far",
            station=nearest.station.name,
            distance=distance(nearest.km, turn.lang),
        )
        return await show(turn, Step.STATION, note)
    turn.draft.propose_station(nearest.station.id, lat, lon)
    await turn.say("📍", ReplyKeyboardRemove())
    return await show(turn, Step.STATION_CONFIRM)


async def place_pin(turn: Turn, lat: float, lon: float) -> int | None:
    turn.draft.set_pin(lat, lon)
    return await place_given(turn, "report.place.got_pin")


async def place_given(turn: Turn, got_key: str) -> int | None:
    """One half of the place (a text or a pin) is given: wait for the other half or a "go
    on", or go on at once when both are there (or when editing)."""
    if turn.draft.place_half_done():
        turn.save()
        await turn.say(turn.t(got_key), keyboard(place_rows(turn)))
        return None
    return await show(turn, turn.draft.after(Step.PLACE))


#: The steps that take a shared location.
ON_LOCATION: dict[Step, Callable[[Turn, float, float], Awaitable[int | None]]] = {
    Step.STATION: station_near,
    Step.STATION_CONFIRM: station_near,
    Step.PLACE: place_pin,
}


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
    draft, step = turn.draft, turn.step
    if draft.holds_for(step, message.text or ""):  # edited into an emergency: as a new text
        draft.hold(step)
        await show(turn, Step.HELD)
        return
    if int(step) in draft.edits_noted:
        return
    draft.edits_noted.append(int(step))
    await show(turn, step, turn.t("edits.not_read"))
