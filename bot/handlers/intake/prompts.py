"""The intake's prompts: what each step shows, with its buttons."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

from bot.domain.intake import DESCRIPTION_MAX, DESCRIPTION_MIN, EDITABLE, TIMES, Step
from bot.domain.models import CaseKind
from bot.handlers.common import Button, in_rows, keyboard, station_buttons
from bot.handlers.intake.turn import EXPECTS, FIELD_KEYS, Turn
from bot.i18n import Safe


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


async def not_fitting(turn: Turn, step: Step) -> int:
    """Input this step cannot take: one line on what it expects, then its prompt again."""
    return await show(turn, step, turn.t(EXPECTS.get(step, "error.expected_choice")))


def photo_rows(turn: Turn) -> list[list[Button]]:
    return [[(turn.t("nav.done"), turn.cb("ph"))], turn.nav()]
