"""The intake's dispatch tables and step rules, without a bot: every step has a prompt, every
button action a handler, the actions' wire codes never change, and each step takes exactly
its own buttons."""

from __future__ import annotations

import pytest

from bot.domain.intake import ANYWHERE, BUTTONS, Action, Draft, Step, TextProblem, takes
from bot.handlers.intake.answers import ON_LOCATION, ON_TEXT
from bot.handlers.intake.buttons import ON_PRESS
from bot.handlers.intake.prompts import PROMPTS

#: The codes in callback data of buttons already sent to residents: they must keep working.
WIRE = {
    Action.BACK: "back",
    Action.CANCEL: "x",
    Action.AGREE: "agree",
    Action.READ_NOTICE: "full",
    Action.STATION: "st",
    Action.STATION_VIEW: "sv",
    Action.STATION_YES: "stok",
    Action.STATION_OTHER: "stno",
    Action.CATEGORY: "cat",
    Action.SUPPORT: "mt",
    Action.NOT_SIMILAR: "mtno",
    Action.PLACE_DONE: "pc",
    Action.TIME: "tm",
    Action.TIMES_DONE: "tmok",
    Action.PHOTOS_DONE: "ph",
    Action.GO_ON: "go",
    Action.SEND: "ok",
    Action.EDIT: "ed",
    Action.EDIT_FIELD: "ef",
    Action.USE_KEPT: "kt",
}


def test_wire_codes_of_button_actions_never_change() -> None:
    assert {a: a.value for a in Action} == WIRE
    assert Action.of("tmok") is Action.TIMES_DONE
    assert Action.of("nonsense") is None


def test_every_step_has_a_prompt_and_a_set_of_buttons() -> None:
    assert set(PROMPTS) == set(Step)
    assert set(BUTTONS) == set(Step)


def test_every_action_has_a_handler_and_a_step_that_takes_it() -> None:
    assert set(ON_PRESS) == set(Action)
    offered = set(ANYWHERE).union(*BUTTONS.values())
    assert offered == set(Action)


def test_text_and_location_are_answers_only_where_asked() -> None:
    assert set(ON_TEXT) == {Step.STATION, Step.PLACE, Step.DESCRIPTION, Step.IDEA_TEXT}
    assert set(ON_LOCATION) == {Step.STATION, Step.STATION_CONFIRM, Step.PLACE}


@pytest.mark.parametrize(
    ("step", "action", "taken"),
    [
        (Step.HELD, Action.GO_ON, True),
        (Step.SUMMARY, Action.GO_ON, False),  # "go on" only while held
        (Step.SUMMARY, Action.SEND, True),
        (Step.PLACE, Action.SEND, False),  # an old summary's Send at a later step
        (Step.STATION, Action.STATION, True),
        (Step.CATEGORY, Action.STATION, False),
        (Step.STATION, Action.STATION_VIEW, True),
        (Step.CATEGORY, Action.STATION_VIEW, False),  # an old chooser's page at a later step
        (Step.STATION_CONFIRM, Action.STATION_YES, True),
        (Step.PHOTOS, Action.PHOTOS_DONE, True),
        (Step.IDEA_PHOTO, Action.PHOTOS_DONE, True),
        (Step.TIMES, Action.PHOTOS_DONE, False),
        (Step.EDIT, Action.EDIT_FIELD, True),
        (Step.SUMMARY, Action.EDIT_FIELD, False),
        (Step.DESCRIPTION, Action.BACK, True),
        (Step.HELD, Action.CANCEL, True),
    ],
)
def test_which_step_takes_which_button(step: Step, action: Action, taken: bool) -> None:
    assert takes(step, action) is taken


def test_going_on_needs_the_steps_answer() -> None:
    draft = Draft(kind="report")
    for step, key in ((Step.PLACE, "report.place.need"), (Step.TIMES, "report.times.need")):
        with pytest.raises(TextProblem) as problem:
            draft.done_with(step)
        assert problem.value.key == key
    assert draft.done_with(Step.PHOTOS) is Step.SUMMARY  # photos may be skipped
    draft.set_pin(59.3, 18.0)
    draft.toggle_time("night")
    assert draft.done_with(Step.PLACE) is Step.TIMES
    assert draft.done_with(Step.TIMES) is Step.DESCRIPTION


def test_place_waits_for_its_other_half_unless_editing() -> None:
    draft = Draft(kind="report")
    draft.set_place_text("Vid busshållplatsen")
    assert draft.place_half_done()
    draft.set_pin(59.3, 18.0)
    assert not draft.place_half_done()
    pin_only = Draft(kind="report")
    pin_only.set_pin(59.3, 18.0)
    assert pin_only.place_half_done()
    pin_only.editing = True
    assert not pin_only.place_half_done()


def test_edit_menu_jumps_only_to_the_kinds_own_steps() -> None:
    report, idea = Draft(kind="report"), Draft(kind="idea")
    for draft, arg in ((report, str(int(Step.IDEA_TEXT))), (idea, str(int(Step.TIMES)))):
        with pytest.raises(TextProblem):
            draft.edit(arg)
    for bad in ("", "x", "99"):
        with pytest.raises(TextProblem):
            report.edit(bad)
    assert not report.editing
    assert report.edit(str(int(Step.TIMES))) is Step.TIMES
    assert report.editing
    assert not report.offers_similar


def test_station_and_category_choices() -> None:
    draft = Draft(kind="report")
    draft.propose_station("norr", 59.3, 18.0)
    assert (draft.candidate_station, draft.lat, draft.lon) == ("norr", 59.3, 18.0)
    draft.set_station("norr")
    assert (draft.station, draft.candidate_station) == ("norr", None)
    with pytest.raises(TextProblem) as stale:
        draft.set_category("forged", {"belysning"})
    assert stale.value.key == "error.stale"
    draft.set_category("belysning", {"belysning"})
    assert draft.category == "belysning"


def test_a_draft_persisted_with_the_dropped_me_too_flag_still_loads() -> None:
    old = Draft(kind="idea").to_dict() | {"me_too_seen": True}
    assert Draft.from_dict(old).kind == "idea"
