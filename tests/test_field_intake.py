"""Intake as real residents use it (issue 15, items 4, 5 and 8): edited messages, albums,
media at the wrong step, and an emergency written inside a flow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from telegram import Bot

from bot.domain.intake import DESCRIPTION_MAX, DESCRIPTION_MIN, Step
from bot.emulator import Emulator
from bot.emulator.state import Message
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.images import jpeg
from tests.people import Person, agree, db_rows, to_description

ALICE, BOB = 1001, 1002
FLODA = (57.8100, 12.3620)
QUIET = "Det är mörkt här och lamporna har varit trasiga i flera veckor."
EMERGENCY = "Hjälp! En man hotar folk med kniv vid trappan just nu"


def own_messages(world: object, user_id: int) -> list[Message]:
    """What the user sent in their private chat, oldest first."""
    chat = world.chat(user_id)  # type: ignore[attr-defined]
    return [m for m in chat.messages if not m.outgoing]


def media_files(settings: Settings) -> list[Path]:
    if not settings.media_dir.exists():
        return []
    return [p for p in settings.media_dir.rglob("*") if p.is_file()]


async def pushed_then(person: Person, push: Callable[[], object], then: str) -> list[Message]:
    """Push updates that may get no answer, then send `then`; everything the bot said since.

    One chat's updates are handled in order, so whatever the pushed updates caused arrives
    before the answer to `then`: no waiting on silence is needed.
    """
    before = len(person.world.received(person.id))
    push()
    await person.say(then)
    return person.world.received(person.id)[before:]


# ---------------------------------------------------------------------- item 4: edits
async def test_the_emulator_delivers_an_edit_as_telegram_does(emulator: Emulator) -> None:
    emulator.world.user(ALICE, "Alice")
    sent = emulator.world.send_text(ALICE, "Vid trappan")
    async with Bot(emulator.token, base_url=emulator.base_url) as bot:
        first = await bot.get_updates(timeout=0)
        emulator.world.edit_text(ALICE, sent.id, "Vid trappan mot perrong 1")
        (update,) = await bot.get_updates(offset=first[-1].update_id + 1, timeout=1)
    assert update.message is None
    edited = update.edited_message
    assert edited is not None
    assert edited.message_id == sent.id  # the same message, changed
    assert edited.text == "Vid trappan mot perrong 1"
    assert edited.edit_date is not None
    with pytest.raises(KeyError):
        emulator.world.edit_text(BOB, sent.id, "not theirs")


async def test_an_edit_never_answers_the_current_step(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = live_bot.world
    alice = Person(world, ALICE, catalogs)
    await to_description(alice, "Floda", "Belysning", "Vid trappan upp till perrong 1")
    place = own_messages(world, ALICE)[-1]  # buttons were pressed since: no messages
    assert place.text == "Vid trappan upp till perrong 1"
    alice._mark = alice.mark()
    world.edit_text(ALICE, place.id, QUIET)  # reads as a description: must not become one
    replies = await alice.settle()
    assert len(replies) == 1
    assert alice.t("edits.not_read") in replies[0].text
    assert "Vad gör platsen otrygg?" in replies[0].text  # asked again, same step
    # Said once for this step: further edits, even one to a command, get nothing.
    later = await pushed_then(
        alice,
        lambda: (
            world.edit_text(ALICE, place.id, "Ännu en ändring av platsen"),
            world.edit_text(ALICE, place.id, "/avbryt"),
        ),
        "Trappan är mörk och det står ofta folk där på kvällen.",
    )
    assert [m.text for m in later] == [alice.t("photos.prompt", limit=3)]
    await alice.tap(alice.t("nav.skip"))
    await alice.tap(alice.t("summary.send"))
    (case,) = db_rows(bot_settings, "SELECT place_text, description FROM cases")
    assert case["place_text"] == "Vid trappan upp till perrong 1"
    assert case["description"] == "Trappan är mörk och det står ofta folk där på kvällen."


async def test_an_edit_into_an_emergency_gets_112_and_holds_the_flow(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    world = live_bot.world
    alice = Person(world, ALICE, catalogs)
    await reach_description(alice)
    alice._mark = alice.mark()
    world.edit_text(ALICE, own_messages(world, ALICE)[-1].id, EMERGENCY)
    replies = await alice.settle()
    assert "Ring 112" in replies[0].text
    assert replies[-1].text == alice.t("urgent.held")


async def test_an_edit_outside_a_flow_runs_no_command(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = live_bot.world
    alice = Person(world, ALICE, catalogs)
    await alice.say("/start")
    sent = own_messages(world, ALICE)[-1]
    alice._mark = alice.mark()
    world.edit_text(ALICE, sent.id, "/rapport")
    replies = await alice.settle()
    assert [m.text for m in replies] == [alice.t("edits.not_read")]  # no station prompt
    later = await pushed_then(alice, lambda: world.edit_text(ALICE, sent.id, "/radera"), "/hjalp")
    assert len(later) == 1  # said once; no erase question
    assert "Det här kan du skriva:" in later[0].text  # the help


# ---------------------------------------------------------------------- item 5: albums
async def to_photos(person: Person, station: str = "Floda") -> None:
    await to_description(person, station, "Gångtunnel / passage", "Gångtunneln under spåren")
    await person.say("Tunneln är mörk och lång och det luktar illa.")


async def album_answer(person: Person, photos: list[bytes], expected: str) -> list[Message]:
    """Send an album; wait for the answer containing `expected`; everything said since."""
    before = len(person.world.received(person.id))
    person.world.send_album(person.id, photos)
    await person.world.wait_for(person.id, lambda m: expected in m.text, after=before)
    return person.world.received(person.id)[before:]


async def test_an_album_of_eight_is_answered_once(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await to_photos(alice)
    album = [jpeg(color=(n * 20, 10, 10)) for n in range(8)]
    note = alice.t("photos.album_cut", saved=3, total=8, limit=3)
    assert note == "3 av 8 foton sparade, högst 3."
    before = len(live_bot.world.received(ALICE))
    await album_answer(alice, album, note)
    sent = await alice.tap(alice.t("summary.send"))
    assert "FLO-0001" in sent[-1].text
    # The album's updates were handled before the press: all it caused is before `sent`.
    said = live_bot.world.received(ALICE)[before:]
    album_said = said[: len(said) - len(sent)]
    assert len(album_said) == 1, [m.text[:60] for m in album_said]
    assert album_said[0].text.startswith(note + "\n\n")
    assert "Kontrollera din rapport" in album_said[0].text
    assert "Foton: 3" in album_said[0].text
    assert db_rows(bot_settings, "SELECT COUNT(*) AS n FROM case_photos")[0]["n"] == 3
    assert len(media_files(bot_settings)) == 3  # the five beyond the limit were never stored


async def test_a_small_album_and_an_idea_album(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await to_photos(alice)
    got = alice.t("photos.album_got", count=2, limit=3)
    said = await album_answer(alice, [jpeg(), jpeg(color=(1, 2, 3))], got)
    assert len(said) == 1
    assert said[0].inline_buttons[0]["text"] == alice.t("nav.done")
    more = await alice.send_photo(jpeg(color=(5, 5, 5)))
    assert "Kontrollera din rapport" in more[-1].text
    await alice.tap(alice.t("summary.send"))
    await alice.say("/ide")
    await alice.tap("Lerum")
    await alice.say("Fler lampor längs gångvägen till stationen, tack.")
    note = alice.t("photos.album_cut", saved=1, total=3, limit=1)
    said = await album_answer(alice, [jpeg(), jpeg(color=(1, 2, 3)), jpeg(color=(9, 9, 9))], note)
    assert len(said) == 1
    assert "Kontrollera din idé" in said[0].text
    await alice.tap(alice.t("summary.send"))
    assert db_rows(bot_settings, "SELECT COUNT(*) AS n FROM case_photos")[0]["n"] == 4
    assert len(media_files(bot_settings)) == 4


async def test_an_album_outside_a_flow_is_answered_once(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    world = live_bot.world
    alice = Person(world, ALICE, catalogs)
    unknown = alice.t("error.unknown")
    await alice.say("/start")
    album = [jpeg(color=(n * 20, 10, 10)) for n in range(8)]
    said = await pushed_then(alice, lambda: world.send_album(ALICE, album), "/arenden")
    assert sum(m.text.startswith(unknown) for m in said) == 1, [m.text[:40] for m in said]
    # Right after a flow was cancelled, the same: one answer for the album, not one a photo.
    await alice.say("/rapport")
    await alice.say("/avbryt")
    said = await pushed_then(alice, lambda: world.send_album(ALICE, album[:4]), "/arenden")
    assert sum(m.text.startswith(unknown) for m in said) == 1, [m.text[:40] for m in said]


# ---------------------------------------------------------------------- item 5: wrong media
async def reach_station(p: Person) -> None:
    await p.say("/rapport")


async def reach_station_confirm(p: Person) -> None:
    await p.say("/rapport")
    await p.send_location(*FLODA)


async def reach_consent(p: Person) -> None:
    await p.say("/rapport")
    await p.tap("Floda")


async def reach_category(p: Person) -> None:
    await reach_consent(p)
    await agree(p)


def question(p: Person) -> str:
    """The question the current step shows: the last message, without the thanks for agreeing
    to the privacy notice that stands above the question after it."""
    return p.last_text().removeprefix(p.t("privacy.thanks") + "\n\n")


@pytest.mark.parametrize("command", ["/rapport", "/ide"])
async def test_agreeing_gets_the_thanks_and_the_next_question_in_one_message(
    live_bot: Emulator, catalogs: Catalogs, command: str
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say(command)
    await alice.tap("Floda")
    replies = await alice.tap(alice.t("privacy.agree"))
    assert len(replies) == 1, [m.text for m in replies]
    thanks, _, asked = replies[0].text.partition("\n\n")
    assert thanks == alice.t("privacy.thanks")
    if command == "/rapport":
        assert asked == alice.t("category.prompt", station="Floda")
        assert "Belysning" in [b["text"] for b in replies[0].inline_buttons]
    else:
        limits = {"minimum": DESCRIPTION_MIN, "maximum": DESCRIPTION_MAX}
        assert asked == alice.t("idea.prompt", station="Floda", **limits)
    assert alice.t("nav.cancel") in [b["text"] for b in replies[0].inline_buttons]


async def reach_me_too(p: Person) -> None:
    other = Person(p.world, BOB, p.catalogs)
    await to_description(other, "Floda", "Belysning", "Vid trappan")
    await other.say(QUIET)
    await other.tap(other.t("nav.skip"))
    await other.tap(other.t("summary.send"))
    await reach_category(p)
    await p.tap("Belysning")


async def reach_place(p: Person) -> None:
    await reach_category(p)
    await p.tap("Nedskräpning")


async def reach_times(p: Person) -> None:
    await reach_place(p)
    await p.say("Cykelparkeringen")
    await p.tap(p.t("nav.continue"))


async def reach_description(p: Person) -> None:
    await to_description(p, "Floda", "Nedskräpning", "Cykelparkeringen")


async def reach_photos(p: Person) -> None:
    await reach_description(p)
    await p.say(QUIET)


async def reach_summary(p: Person) -> None:
    await reach_photos(p)
    await p.tap(p.t("nav.skip"))


async def reach_edit(p: Person) -> None:
    await reach_summary(p)
    await p.tap(p.t("summary.edit"))


async def reach_idea_text(p: Person) -> None:
    await p.say("/ide")
    await p.tap("Floda")
    await agree(p)


async def reach_idea_photo(p: Person) -> None:
    await reach_idea_text(p)
    await p.say("Fler lampor längs gångvägen till stationen, tack.")


async def reach_held(p: Person) -> None:
    await reach_description(p)
    await p.say(EMERGENCY)


CHOICE = "error.expected_choice"
#: A text where a button is expected is kept for a later step (issue 19, item 7); at the
#: summary it is also listed, so that case is in tests/test_intake_steps.py.
KEPT, KEPT_PHOTOS = "kept.saved", "kept.photos"
#: Per step: how to get there, and the line each input that does not fit gets.
WRONG_INPUT: dict[Step, tuple[Callable[[Person], Awaitable[None]], dict[str, str]]] = {
    Step.STATION: (reach_station, {"photo": "expect.station", "sticker": "expect.station"}),
    Step.STATION_CONFIRM: (
        reach_station_confirm,
        {"text": KEPT, "photo": CHOICE, "sticker": CHOICE},
    ),
    Step.CONSENT: (
        reach_consent,
        {"text": KEPT, "photo": CHOICE, "location": CHOICE, "sticker": CHOICE},
    ),
    Step.CATEGORY: (
        reach_category,
        {"text": KEPT, "photo": CHOICE, "location": CHOICE, "sticker": CHOICE},
    ),
    Step.ME_TOO: (
        reach_me_too,
        {"text": KEPT, "photo": CHOICE, "location": CHOICE, "sticker": CHOICE},
    ),
    Step.PLACE: (reach_place, {"photo": "expect.place", "sticker": "expect.place"}),
    Step.TIMES: (
        reach_times,
        {"text": KEPT, "photo": CHOICE, "location": CHOICE, "sticker": CHOICE},
    ),
    Step.DESCRIPTION: (
        reach_description,
        {
            "photo": "error.expected_text",
            "location": "error.expected_text",
            "sticker": "error.expected_text",
        },
    ),
    Step.PHOTOS: (
        reach_photos,
        {"text": KEPT_PHOTOS, "location": "expect.photos", "sticker": "expect.photos"},
    ),
    Step.SUMMARY: (
        reach_summary,
        {"photo": CHOICE, "location": CHOICE, "sticker": CHOICE},
    ),
    Step.EDIT: (
        reach_edit,
        {"text": KEPT, "photo": CHOICE, "location": CHOICE, "sticker": CHOICE},
    ),
    Step.IDEA_TEXT: (
        reach_idea_text,
        {
            "photo": "error.expected_text",
            "location": "error.expected_text",
            "sticker": "error.expected_text",
        },
    ),
    Step.IDEA_PHOTO: (
        reach_idea_photo,
        # "hej hej" is too short for an idea, the one step of an idea that takes a kept text:
        # not kept (bot.domain.kept), so the step's own line.
        {"text": "expect.photos", "location": "expect.photos", "sticker": "expect.photos"},
    ),
    Step.HELD: (
        reach_held,
        {"text": CHOICE, "photo": CHOICE, "location": CHOICE, "sticker": CHOICE},
    ),
}


def test_the_table_covers_every_step() -> None:
    assert set(WRONG_INPUT) == set(Step)


@pytest.mark.parametrize("step", list(WRONG_INPUT), ids=[s.name for s in WRONG_INPUT])
async def test_input_that_does_not_fit_says_what_the_step_expects(
    live_bot: Emulator, catalogs: Catalogs, step: Step
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    reach, wrong = WRONG_INPUT[step]
    await reach(alice)
    prompt = question(alice)
    senders = {
        "text": lambda: alice.say("hej hej"),
        "photo": lambda: alice.send_photo(jpeg()),
        "location": lambda: alice.send_location(*FLODA),
        "sticker": lambda: alice.send_other("sticker"),
    }
    for kind, key in wrong.items():
        replies = await senders[kind]()
        assert len(replies) == 1, f"{step.name} {kind}: {[m.text for m in replies]}"
        line, _, again = replies[0].text.partition("\n\n")
        assert line == alice.t(key), f"{step.name} {kind}: {replies[0].text!r}"
        assert again == prompt, f"{step.name} {kind}: the step's prompt follows"
        assert replies[0].inline_buttons, f"{step.name} {kind}: with its buttons"


# ---------------------------------------------------------------------- item 8: emergencies
@pytest.mark.parametrize("where", ["place", "description", "idea"])
async def test_an_emergency_in_a_flow_is_not_taken_as_an_answer(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs, where: str
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    if where == "place":
        await reach_place(alice)
    elif where == "description":
        await reach_description(alice)
    else:
        await reach_idea_text(alice)
    prompt = question(alice)
    replies = await alice.say(EMERGENCY)
    assert "Ring 112" in replies[0].text
    assert len(replies) == 2
    assert replies[1].text == alice.t("urgent.held")
    go_on = alice.t("urgent.go_idea" if where == "idea" else "urgent.go_report")
    assert [b["text"] for b in replies[1].inline_buttons] == [go_on, alice.t("nav.cancel")]
    # The flow waits: another text is not an answer either.
    waiting = await alice.say("Trappan vid perrongen är mörk på kvällarna.")
    assert waiting[-1].text.startswith(alice.t("error.expected_choice"))
    assert alice.t("urgent.held") in waiting[-1].text
    again = await alice.tap(go_on)
    assert again[-1].text == prompt
    # Having chosen to go on, the resident may describe what happened: 112 is shown again,
    # and the text is taken.
    told = "Det har varit knivhot vid trappan flera kvällar, det är mörkt och öde."
    taken = await alice.say(told)
    assert "Ring 112" in taken[0].text
    assert taken[-1].text != prompt
    assert alice.t("urgent.held") not in taken[-1].text
    if where == "place":
        await alice.tap(alice.t("nav.continue"))
        await alice.tap(alice.t("times.evening"))
        await alice.tap(alice.t("nav.done"))
        await alice.say(QUIET)
    await alice.tap(alice.t("nav.skip"))
    await alice.tap(alice.t("summary.send"))
    (case,) = db_rows(bot_settings, "SELECT place_text, description FROM cases")
    stored = str(dict(case))
    assert "hotar folk" not in stored
    assert told in stored


async def test_the_held_flow_takes_only_its_own_buttons(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await reach_description(alice)
    token = alice.button(alice.t("nav.cancel"))[1].split(":")[1]
    # Going on is only offered where the flow is held: a forged press elsewhere is refused.
    await alice.press_forged(f"v1:{token}:go")
    assert alice.answer() == alice.t("error.expected_choice")
    await alice.say(EMERGENCY)
    held, go_data = alice.button(alice.t("urgent.go_report"))
    # Another step's button, with this draft's token, does not get past the question.
    await alice.press_forged(f"v1:{token}:ph")
    assert alice.answer() == alice.t("error.expected_choice")
    cancelled = await alice.tap(alice.t("nav.cancel"))
    assert cancelled[0].text == alice.t("flow.cancelled")
    await alice.press(held, go_data)  # the question's button after cancelling
    assert "gått ut" in alice.answer()
    assert db_rows(bot_settings, "SELECT COUNT(*) AS n FROM cases")[0]["n"] == 0


async def test_an_emergency_at_the_menu_is_not_misunderstood(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    replies = await alice.say(EMERGENCY)
    assert "Ring 112" in replies[0].text
    assert all("Jag förstod inte" not in m.text for m in replies)
    assert replies[-1].text == alice.t("menu.prompt")
    assert replies[-1].inline_buttons
    ordinary = await alice.say("hej")
    assert "Jag förstod inte riktigt" in ordinary[-1].text  # other text still gets it
