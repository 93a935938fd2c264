"""The intake's prompts: one renderer per step (`PROMPTS`), each a text and its buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.domain import kept
from bot.domain.deployment import Station
from bot.domain.intake import DESCRIPTION_MAX, DESCRIPTION_MIN, EDITABLE, TIMES, Action, Step
from bot.domain.models import CaseKind
from bot.domain.stations import View
from bot.domain.text import clipped, excess
from bot.handlers.chooser import chooser_rows, prompt
from bot.handlers.common import Button, in_rows, keyboard
from bot.handlers.intake.turn import EXPECTS, FIELD_KEYS, Turn
from bot.i18n import Days, Safe

Prompt = tuple[str, InlineKeyboardMarkup]


async def show(turn: Turn, step: Step, note: str | None = None) -> Step:
    """Render the prompt of `step` (after an optional one-line note) and make it current."""
    turn.draft.enter(step)
    text, markup = await PROMPTS[step](turn)
    turn.save()  # after rendering: a prompt may record what it offered (the "me too" cases)
    if note:
        text = f"{note}\n\n{text}"
    await turn.say(text, markup)
    return step


async def not_fitting(turn: Turn, step: Step) -> int:
    """Input this step cannot take: one line on what it expects, then its prompt again."""
    return await show(turn, step, turn.t(EXPECTS.get(step, "error.expected_choice")))


# ---------------------------------------------------------------------- one per step
async def consent(turn: Turn) -> Prompt:
    services, t = turn.services, turn.t
    parties = recipients(turn, turn.draft.consent_station)
    retention = services.deployment.retention
    text = t(
        "privacy.short",
        recipients=", ".join(parties),
        controller=services.deployment.privacy.controller,
        case_days=Days(retention.case_days),
        photo_days=Days(retention.photo_days),
        contact=services.deployment.privacy.contact,
    )
    agree = (t("privacy.agree"), turn.cb(Action.AGREE))
    rows = [[agree, (t("privacy.read_full"), turn.cb(Action.READ_NOTICE))], turn.nav()]
    return text, keyboard(rows)


def recipients(turn: Turn, station_id: str | None) -> list[str]:
    """Who the consent names as receiving a report at the station: the actors of its promise,
    else the station itself."""
    station = turn.services.station(station_id)
    return turn.services.station_parties(station_id) or [station.name if station else ""]


async def station(turn: Turn) -> Prompt:
    home = await turn.services.home_station(turn.chat_id)
    return station_text(turn), keyboard(station_rows(turn, None, home))


def station_text(turn: Turn) -> str:
    return prompt(turn.services.station_index, turn.t, "station.prompt")


def station_rows(turn: Turn, view: View | None, home: Station | None = None) -> list[list[Button]]:
    """The station step's chooser (a few stations, or a page of letters, kommuner or a
    kommun's stations) and its back and cancel buttons."""
    index, pick = turn.services.station_index, (Action.STATION.value, turn.draft.token)
    rows = chooser_rows(
        index, view, turn.t, pick, lambda code: turn.cb(Action.STATION_VIEW, code), home
    )
    return [*rows, turn.nav()]


async def station_confirm(turn: Turn) -> Prompt:
    draft, t = turn.draft, turn.t
    candidate = turn.services.station(draft.candidate_station)
    assert candidate is not None
    nearest = turn.services.nearest(draft.lat or 0.0, draft.lon or 0.0)
    text = t("station.nearest", station=candidate.name, distance=distance(nearest.km, turn.lang))
    rows = [
        [(t("station.yes", station=candidate.name), turn.cb(Action.STATION_YES))],
        [(t("station.other"), turn.cb(Action.STATION_OTHER))],
        turn.nav(),
    ]
    return text, keyboard(rows)


async def category(turn: Turn) -> Prompt:
    buttons = [
        (c.label(turn.lang), turn.cb(Action.CATEGORY, c.id))
        for c in turn.services.deployment.categories
    ]
    rows = [*in_rows(buttons), turn.nav()]
    return turn.t("category.prompt", station=turn.station_name), keyboard(rows)


async def me_too(turn: Turn) -> Prompt:
    draft, t = turn.draft, turn.t
    similar = await turn.services.similar_reports(turn.chat_id, draft)
    draft.offered = [c.reference for c in similar]  # only these may be supported
    items = "\n".join(
        t("metoo.item", reference=c.reference, text=shorten(c.description)) for c in similar
    )
    rows = [
        [(t("metoo.support", reference=c.reference), turn.cb(Action.SUPPORT, c.reference))]
        for c in similar
    ]
    rows += [[(t("metoo.new"), turn.cb(Action.NOT_SIMILAR))], turn.nav()]
    return t("metoo.prompt", station=turn.station_name, cases=Safe(items)), keyboard(rows)


async def place(turn: Turn) -> Prompt:
    go_on = [[(turn.t("nav.continue"), turn.cb(Action.PLACE_DONE))]]
    rows = [*(go_on if turn.draft.has_place() else []), turn.nav()]
    return offer_kept(turn, turn.t("report.place.prompt"), rows)


async def times(turn: Turn) -> Prompt:
    return turn.t("report.times.prompt"), keyboard(times_rows(turn))


async def description(turn: Turn) -> Prompt:
    text = turn.t("report.description.prompt", minimum=DESCRIPTION_MIN, maximum=DESCRIPTION_MAX)
    return offer_kept(turn, text, [turn.nav()])


async def photos(turn: Turn) -> Prompt:
    return photos_prompt(turn, "photos.prompt")


async def idea_photo(turn: Turn) -> Prompt:
    return photos_prompt(turn, "idea.photo.prompt")


def photos_prompt(turn: Turn, key: str) -> Prompt:
    label = turn.t("nav.done") if turn.draft.photos else turn.t("nav.skip")
    rows = [[(label, turn.cb(Action.PHOTOS_DONE))], turn.nav()]
    return turn.t(key, limit=turn.draft.max_photos), keyboard(rows)


async def idea_text(turn: Turn) -> Prompt:
    text = turn.t(
        "idea.prompt", station=turn.station_name, minimum=DESCRIPTION_MIN, maximum=DESCRIPTION_MAX
    )
    return offer_kept(turn, text, [turn.nav()])


def offer_kept(turn: Turn, text: str, rows: list[list[Button]]) -> Prompt:
    """A text step's prompt, offering the text kept from a button step when it fits here."""
    if not kept.fits(turn.draft, turn.step):
        return text, keyboard(rows)
    offer = turn.t("kept.offer", text=kept.shown(turn.draft, turn.step))
    return f"{text}\n\n{offer}", keyboard([[(turn.t("kept.use"), turn.cb(Action.USE_KEPT))], *rows])


async def held(turn: Turn) -> Prompt:
    report = turn.draft.case_kind is CaseKind.REPORT
    go_on = turn.t("urgent.go_report" if report else "urgent.go_idea")
    rows = [[(go_on, turn.cb(Action.GO_ON))], [(turn.t("nav.cancel"), turn.cb(Action.CANCEL))]]
    return turn.t("urgent.held"), keyboard(rows)


async def summary(turn: Turn) -> Prompt:
    t = turn.t
    send = (t("summary.send"), turn.cb(Action.SEND))
    rows = [[send, (t("summary.edit"), turn.cb(Action.EDIT))], turn.nav()]
    return summary_text(turn), keyboard(rows)


async def edit(turn: Turn) -> Prompt:
    t = turn.t
    steps = EDITABLE[turn.draft.case_kind]
    buttons = [(t(FIELD_KEYS[s]), turn.cb(Action.EDIT_FIELD, str(int(s)))) for s in steps]
    back = [(t("nav.back"), turn.cb(Action.BACK))]
    return t("edit.prompt"), keyboard([*in_rows(buttons), back])


#: What each step shows: its question and its buttons.
PROMPTS: dict[Step, Callable[[Turn], Awaitable[Prompt]]] = {
    Step.CONSENT: consent,
    Step.STATION: station,
    Step.STATION_CONFIRM: station_confirm,
    Step.CATEGORY: category,
    Step.ME_TOO: me_too,
    Step.PLACE: place,
    Step.TIMES: times,
    Step.DESCRIPTION: description,
    Step.PHOTOS: photos,
    Step.SUMMARY: summary,
    Step.EDIT: edit,
    Step.IDEA_TEXT: idea_text,
    Step.IDEA_PHOTO: idea_photo,
    Step.HELD: held,
}


# ---------------------------------------------------------------------- parts
def times_rows(turn: Turn) -> list[list[Button]]:
    buttons = [
        (
            ("✅ " if value in turn.draft.times else "▫️ ") + turn.t(f"times.{value}"),
            turn.cb(Action.TIME, value),
        )
        for value in TIMES
    ]
    done = [(turn.t("nav.done"), turn.cb(Action.TIMES_DONE))]
    return [*in_rows(buttons, 2), done, turn.nav()]


def photo_rows(turn: Turn) -> list[list[Button]]:
    return [[(turn.t("nav.done"), turn.cb(Action.PHOTOS_DONE))], turn.nav()]


def place_rows(turn: Turn) -> list[list[Button]]:
    """Asked after one half of the place (a text or a pin): go on, or send the other half."""
    return [[(turn.t("nav.continue"), turn.cb(Action.PLACE_DONE))], turn.nav()]


def summary_text(turn: Turn) -> str:
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
    text = "\n".join(lines)
    places = kept.where(draft)
    if not places:
        return text
    # Typed where a button was expected, and used nowhere: not sent. Shown shortened, and
    # shorter still if the summary would not fit one message (Telegram refuses a longer one).
    fields = [t(FIELD_KEYS[s]) for s in places]
    either = fields[0] if len(fields) == 1 else t("kept.either", first=fields[0], second=fields[1])
    limit = kept.SHOWN_MAX
    while True:
        shown = clipped(draft.kept or "", limit)
        with_kept = f"{text}\n\n{t('kept.summary', text=shown, fields=either)}"
        over = excess([with_kept])
        if not over or limit <= 1:
            return with_kept if not over else text
        limit = max(limit - over, 1)


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
