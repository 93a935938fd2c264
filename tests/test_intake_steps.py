"""The intake's steps as a resident moves between them (issue 19, items 7 and 9): a text typed
where a button is expected is kept and offered where it fits, never lost; ✏️ Ändra and Back
lead back to the summary, and Back walks the flow to its start without a loop."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest

from bot.domain.commands import RESIDENT_COMMANDS
from bot.domain.intake import DESCRIPTION_MAX, DESCRIPTION_MIN, MAX_PHOTOS, Step
from bot.domain.text import MESSAGE_LIMIT, utf16_length
from bot.emulator import Emulator
from bot.i18n import Catalogs, Days
from bot.settings import Settings
from tests.images import jpeg
from tests.people import Person, agree, db_rows, to_description

ALICE = 1001
FLODA = (57.8100, 12.3620)
TYPED = "Lamporna vid cykelparkeringen har varit trasiga i flera veckor."
QUIET = "Det är mörkt här och lamporna har varit trasiga i länge."
EMERGENCY = "Hjälp! En man hotar folk med kniv vid trappan just nu"


def either(p: Person) -> str:
    """Where a kept text of a sentence's length can go in a report, as the summary says."""
    return p.t("kept.either", first=p.t("field.place"), second=p.t("field.description"))


def prompt_of(p: Person, step: Step) -> str:
    """A fragment of the question `step` shows (at Floda)."""
    keys: dict[Step, tuple[str, dict[str, object]]] = {
        Step.STATION: ("station.prompt", {}),
        Step.CONSENT: ("privacy.agree", {}),  # its button: the notice's text is long
        Step.CATEGORY: ("category.prompt", {"station": "Floda"}),
        Step.PLACE: ("report.place.prompt", {}),
        Step.TIMES: ("report.times.prompt", {}),
        Step.DESCRIPTION: (
            "report.description.prompt",
            {"minimum": DESCRIPTION_MIN, "maximum": DESCRIPTION_MAX},
        ),
        Step.PHOTOS: ("photos.prompt", {"limit": MAX_PHOTOS}),
        Step.SUMMARY: ("summary.report", {}),
        Step.IDEA_TEXT: (
            "idea.prompt",
            {"station": "Floda", "minimum": DESCRIPTION_MIN, "maximum": DESCRIPTION_MAX},
        ),
        Step.IDEA_PHOTO: ("idea.photo.prompt", {}),
    }
    key, params = keys[step]
    return p.t(key, **params)


def at(p: Person, step: Step) -> bool:
    """Whether the bot's last message shows the question of `step`."""
    last = p.world.last(p.id)
    fragment = re.sub(r"<[^>]+>", "", prompt_of(p, step))  # as shown: the HTML is parsed
    if step is Step.CONSENT:
        return any(fragment == b["text"] for b in last.inline_buttons)
    if step is Step.SUMMARY:
        return fragment in last.text or "Kontrollera din idé" in last.text
    return fragment[:40] in last.text  # the start: numbers in it are formatted by the bot


async def summary_of_a_report(p: Person) -> None:
    await p.say("/rapport")
    await p.tap("Floda")
    await agree(p)
    await p.tap("Nedskräpning")
    await p.say("Cykelparkeringen")
    await p.tap(p.t("nav.continue"))
    await p.tap(p.t("times.evening"))
    await p.tap(p.t("nav.done"))
    await p.say(QUIET)
    await p.tap(p.t("nav.skip"))
    assert at(p, Step.SUMMARY)


async def summary_of_an_idea(p: Person) -> None:
    await p.say("/ide")
    await p.tap("Floda")
    await agree(p)
    await p.say("Fler lampor längs gångvägen till stationen, tack.")
    await p.tap(p.t("nav.skip"))
    assert at(p, Step.SUMMARY)


# ---------------------------------------------------------------------- item 7: kept texts
@pytest.mark.parametrize("where", ["consent", "category", "times", "idea consent"])
async def test_a_text_typed_at_a_button_step_is_kept_and_offered_at_the_description(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs, where: str
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    idea = where.startswith("idea")
    await alice.say("/ide" if idea else "/rapport")
    await alice.tap("Floda")

    async def typed_here() -> None:
        replies = await alice.say(TYPED)
        assert len(replies) == 1, [m.text for m in replies]
        line, _, again = replies[0].text.partition("\n\n")
        assert line == alice.t("kept.saved")
        assert again  # the step's question again, with its buttons
        assert replies[0].inline_buttons

    if where.endswith("consent"):
        await typed_here()
    await agree(alice)
    if not idea:
        if where == "category":
            await typed_here()
        await alice.tap("Nedskräpning")
        # It fits a place too: offered here, but the resident gives the place otherwise.
        assert (where == "times") or alice.t("kept.use") in [
            b["text"] for b in alice.world.last(ALICE).inline_buttons
        ]
        await alice.send_location(*FLODA)
        await alice.tap(alice.t("nav.continue"))
        if where == "times":
            await typed_here()
        await alice.tap(alice.t("times.evening"))
        await alice.tap(alice.t("nav.done"))
    step = Step.IDEA_TEXT if idea else Step.DESCRIPTION
    assert at(alice, step), "\n###".join(t[:70] for t in alice.texts()[-6:])
    offer = alice.t("kept.offer", text=TYPED)
    assert offer in alice.last_text()
    await alice.tap(alice.t("kept.use"))
    assert at(alice, Step.IDEA_PHOTO if idea else Step.PHOTOS)
    summary = await alice.tap(alice.t("nav.skip"))
    label = alice.t("field.idea" if idea else "field.description")
    assert alice.t("summary.line", label=label, value=TYPED) in summary[-1].text
    where = alice.t("field.idea") if idea else either(alice)
    assert alice.t("kept.summary", text=TYPED, fields=where) not in summary[-1].text  # used
    await alice.tap(alice.t("summary.send"))
    (case,) = db_rows(bot_settings, "SELECT description, place_text FROM cases")
    assert (case["description"], case["place_text"]) == (TYPED, None)


async def test_a_kept_text_is_shown_on_the_summary_and_sent_only_when_chosen(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await summary_of_a_report(alice)
    replies = await alice.say(TYPED)
    assert len(replies) == 1
    line, _, summary = replies[0].text.partition("\n\n")
    assert line == alice.t("kept.saved")
    assert alice.t("kept.summary", text=TYPED, fields=either(alice)) in summary  # not sent
    # Ändra -> Beskrivning offers it; the resident takes it, and the summary shows it.
    await alice.tap(alice.t("summary.edit"))
    await alice.tap(alice.t("field.description"))
    assert alice.t("kept.offer", text=TYPED) in alice.last_text()
    summary_again = await alice.tap(alice.t("kept.use"))
    label = alice.t("field.description")
    assert alice.t("summary.line", label=label, value=TYPED) in summary_again[-1].text
    assert alice.t("kept.summary", text=TYPED, fields=either(alice)) not in summary_again[-1].text
    await alice.tap(alice.t("summary.send"))
    assert db_rows(bot_settings, "SELECT description FROM cases")[0]["description"] == TYPED


async def test_a_kept_text_not_chosen_is_never_sent(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/rapport")
    await alice.tap("Floda")
    await alice.say("hej")  # fits no text step (too short to be a description): kept to the end
    await agree(alice)
    await alice.tap("Nedskräpning")
    await alice.say("Cykelparkeringen")
    await alice.tap(alice.t("nav.continue"))
    await alice.tap(alice.t("times.evening"))
    await alice.tap(alice.t("nav.done"))
    assert alice.t("kept.use") not in [b["text"] for b in alice.world.last(ALICE).inline_buttons]
    await alice.say(QUIET)
    summary = await alice.tap(alice.t("nav.skip"))
    where = alice.t("field.place")  # too short for a description: it can be the place
    assert alice.t("kept.summary", text="hej", fields=where) in summary[-1].text
    await alice.tap(alice.t("summary.send"))
    (case,) = db_rows(bot_settings, "SELECT description, place_text FROM cases")
    assert "hej" not in f"{case['description']} {case['place_text']}"


async def test_an_emergency_at_a_button_step_gets_the_112_notice_only(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    """Review N3 (was: kept, then held when used, and offered again after Fortsätt): an
    emergency typed where a button is expected is not kept, as at a text step."""
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/rapport")
    await alice.tap("Jakobsberg")
    told = await alice.say("Det pågår ett rån just nu vid tunneln")
    assert "Ring 112" in told[0].text  # the guard, at once
    assert len(told) == 2, [m.text for m in told]
    assert alice.t("kept.saved") not in told[-1].text
    assert alice.t("error.expected_choice") not in told[-1].text  # no "press a button" after 112
    assert alice.t("privacy.agree") in [b["text"] for b in told[-1].inline_buttons]
    await agree(alice)
    await alice.tap("Belysning")
    assert at_place(alice)
    assert alice.t("kept.use") not in [b["text"] for b in alice.world.last(ALICE).inline_buttons]
    assert "rån" not in alice.last_text()


def at_place(p: Person) -> bool:
    return p.t("report.place.prompt")[:40] in p.last_text()


async def test_a_crime_tip_at_a_button_step_is_not_kept(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/ide")
    await alice.tap("Floda")
    tip = "Kalle Svensson säljer narkotika vid stationen varje kväll"
    replies = await alice.say(tip)
    assert [m.text for m in replies] == [alice.t("guard.tip")]
    await agree(alice)
    shown = alice.last_text()
    assert alice.t("kept.use") not in [b["text"] for b in alice.world.last(ALICE).inline_buttons]
    assert "Kalle" not in shown


# ---------------------------------------------------------------------- item 9: Ändra and Back
Change = Callable[[Person], Awaitable[object]]


async def pick_station(p: Person) -> None:
    await p.tap("Floda")


async def pick_category(p: Person) -> None:
    await p.tap("Belysning")


async def type_place(p: Person) -> None:
    await p.say("Gångtunneln under spåren")


async def toggle_night(p: Person) -> None:
    await p.tap(p.t("times.night"))
    await p.tap(p.t("nav.done"))


async def type_description(p: Person) -> None:
    await p.say("Buskarna skymmer gångvägen och det är mörkt hela kvällen.")


async def add_photo(p: Person) -> None:
    await p.send_photo(jpeg())
    if not at(p, Step.SUMMARY):  # an idea's one photo goes on at once
        await p.tap(p.t("nav.done"))


async def type_idea(p: Person) -> None:
    await p.say("En belyst cykelväg hela vägen till skolan.")


#: Every field the Ändra menu offers, per kind: its label and how a resident changes it.
FIELDS: list[tuple[str, Step, str, Change]] = [
    ("report", Step.STATION, "field.station", pick_station),
    ("report", Step.CATEGORY, "field.category", pick_category),
    ("report", Step.PLACE, "field.place", type_place),
    ("report", Step.TIMES, "field.times", toggle_night),
    ("report", Step.DESCRIPTION, "field.description", type_description),
    ("report", Step.PHOTOS, "field.photos", add_photo),
    ("idea", Step.STATION, "field.station", pick_station),
    ("idea", Step.IDEA_TEXT, "field.idea", type_idea),
    ("idea", Step.IDEA_PHOTO, "field.photos", add_photo),
]
FIELD_IDS = [f"{kind}-{step.name}" for kind, step, _, _ in FIELDS]


def test_the_table_covers_every_field_of_the_edit_menu() -> None:
    from bot.domain.intake import EDITABLE
    from bot.domain.models import CaseKind

    for kind in CaseKind:
        assert [s for k, s, _, _ in FIELDS if k == kind.value] == list(EDITABLE[kind])


async def the_summary(p: Person, kind: str) -> None:
    await (summary_of_a_report(p) if kind == "report" else summary_of_an_idea(p))


def last_step(kind: str) -> Step:
    return Step.PHOTOS if kind == "report" else Step.IDEA_PHOTO


@pytest.mark.parametrize(("kind", "step", "label", "change"), FIELDS, ids=FIELD_IDS)
async def test_a_changed_field_returns_to_the_summary_and_back_walks_on(
    live_bot: Emulator, catalogs: Catalogs, kind: str, step: Step, label: str, change: Change
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await the_summary(alice, kind)
    await alice.tap(alice.t("summary.edit"))
    await alice.tap(alice.t(label))
    await change(alice)
    assert at(alice, Step.SUMMARY), alice.last_text()
    # The edit is over: Back leads into the flow, and Back again further back, not to the
    # summary (no loop between the summary and the last step).
    await alice.tap(alice.t("nav.back"))
    assert at(alice, last_step(kind))
    await alice.tap(alice.t("nav.back"))
    assert not at(alice, Step.SUMMARY), alice.last_text()


@pytest.mark.parametrize(("kind", "step", "label", "change"), FIELDS, ids=FIELD_IDS)
async def test_back_from_an_edit_returns_to_the_summary(
    live_bot: Emulator, catalogs: Catalogs, kind: str, step: Step, label: str, change: Change
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await the_summary(alice, kind)
    await alice.tap(alice.t("summary.edit"))
    await alice.tap(alice.t("nav.back"))  # the Ändra menu itself
    assert at(alice, Step.SUMMARY)
    await alice.tap(alice.t("summary.edit"))
    await alice.tap(alice.t(label))
    await alice.tap(alice.t("nav.back"))
    assert at(alice, Step.SUMMARY), alice.last_text()
    await alice.tap(alice.t("nav.back"))
    assert at(alice, last_step(kind))
    await alice.tap(alice.t("nav.back"))
    assert not at(alice, Step.SUMMARY), alice.last_text()


#: Back from the summary, one press at a time, to the start; then Back leaves the flow.
WALK_BACK = {
    "report": [
        Step.PHOTOS,
        Step.DESCRIPTION,
        Step.TIMES,
        Step.PLACE,
        Step.CATEGORY,
        Step.STATION,
    ],
    "idea": [Step.IDEA_PHOTO, Step.IDEA_TEXT, Step.STATION],
}


@pytest.mark.parametrize("edited", [False, True], ids=["as filled", "after an edit"])
@pytest.mark.parametrize("kind", ["report", "idea"])
async def test_back_walks_from_the_summary_to_the_start_without_a_loop(
    live_bot: Emulator, catalogs: Catalogs, kind: str, edited: bool
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await the_summary(alice, kind)
    if edited:
        await alice.tap(alice.t("summary.edit"))
        await alice.tap(alice.t("field.station"))
        await alice.tap("Floda")
        assert at(alice, Step.SUMMARY)
    for step in WALK_BACK[kind]:
        await alice.tap(alice.t("nav.back"))
        assert at(alice, step), f"{step.name}: {alice.last_text()!r}"
    left = await alice.tap(alice.t("nav.back"))
    assert left[0].text == alice.t("flow.cancelled")


# ---------------------------------------------------------------------- review of 7 and 9
LONG = ("Lamporna längs gångvägen vid stationen är trasiga och det är mörkt. " * 40)[
    :DESCRIPTION_MAX
].strip()


async def test_summary_with_full_description_and_kept_text_still_shows(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    """Review A1 (from /tmp/reviewA): a description at its limit plus a text kept at the
    summary (also up to the limit) must still give a summary with Skicka, within 4096."""
    alice = Person(live_bot.world, ALICE, catalogs)
    await to_description(alice, "Jakobsberg", "Belysning", "Vid trappan")
    await alice.say(LONG)
    await alice.tap(alice.t("nav.skip"))
    assert alice.t("summary.send") in [b["text"] for b in live_bot.world.last(ALICE).inline_buttons]
    replies = await alice.say("Och " + LONG[: DESCRIPTION_MAX - 10])  # typed at the summary
    texts = [m.text for m in replies]
    assert replies, "no answer at all"
    last = replies[-1]
    assert alice.t("summary.send") in [b["text"] for b in last.inline_buttons], texts
    assert all(utf16_length(t) <= MESSAGE_LIMIT for t in texts)
    assert alice.t("kept.saved") in last.text
    assert "…" in last.text.rpartition("\n\n")[2]  # the kept text, shortened


async def test_a_sentence_at_the_station_step_is_kept_and_its_station_offered(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    """Review N4: "skriv namnet", and a sentence naming the station: the station is offered
    and the sentence kept, with a line that fits the station step."""
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/rapport")
    sentence = "Tunneln vid Jakobsberg är mörk"
    (reply,) = await alice.say(sentence)
    assert reply.text.startswith(alice.t("kept.station")), reply.text
    assert alice.t("kept.saved") not in reply.text
    assert "Jakobsberg" in [b["text"] for b in reply.inline_buttons]
    await alice.tap("Jakobsberg")
    await agree(alice)
    await alice.tap("Belysning")
    assert alice.t("kept.offer", text=sentence) in alice.last_text()


async def test_a_short_kept_text_names_where_it_can_go_and_others_are_not_kept(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    """Review N5 (a): "Natt" fits only the place, and the summary says so; in an idea, where
    only the idea takes a kept text, it fits nowhere and is not kept."""
    alice = Person(live_bot.world, ALICE, catalogs)
    await to_description(alice, "Floda", "Belysning", "Vid trappan")
    await alice.tap(alice.t("nav.back"))  # to the times
    (reply,) = await alice.say("Natt")
    assert reply.text.startswith(alice.t("kept.saved"))
    await alice.tap(alice.t("nav.done"))
    await alice.say(QUIET)
    summary = await alice.tap(alice.t("nav.skip"))
    place = alice.t("field.place")
    assert alice.t("kept.summary", text="Natt", fields=place) in summary[-1].text
    bob = Person(live_bot.world, ALICE + 1, catalogs)  # not agreed yet: the consent step
    await bob.say("/ide")
    await bob.tap("Floda")
    (reply,) = await bob.say("Natt")
    assert reply.text.startswith(bob.t("error.expected_choice")), reply.text
    await agree(bob)
    assert bob.t("kept.use") not in [b["text"] for b in bob.world.last(bob.id).inline_buttons]


async def test_kept_texts_used_as_the_place_are_one_line(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    """Review N5 (b): two kept texts are joined; as the place they are one line."""
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/rapport")
    await alice.tap("Floda")
    await alice.say("Gångtunneln")  # at the consent
    await agree(alice)
    await alice.say("under spåren")  # at the category
    await alice.tap("Belysning")
    assert alice.t("kept.offer", text="Gångtunneln under spåren") in alice.last_text()
    await alice.tap(alice.t("kept.use"))
    await alice.tap(alice.t("nav.continue"))
    await alice.tap(alice.t("times.evening"))
    await alice.tap(alice.t("nav.done"))
    await alice.say(QUIET)
    await alice.tap(alice.t("nav.skip"))
    await alice.tap(alice.t("summary.send"))
    (case,) = db_rows(bot_settings, "SELECT place_text FROM cases")
    assert case["place_text"] == "Gångtunneln under spåren"


def test_the_kept_texts_read_as_reviewed(catalogs: Catalogs) -> None:
    """Review N6: Swedish wording, and each language's expiry line names its own /report."""
    assert catalogs.text("sv", "kept.saved").endswith("Jag har sparat det du skrev.")
    summary = catalogs.text("sv", "kept.summary", text="x", fields="Plats")
    assert "Vill du ha med den? Tryck på ✏️ Ändra" in summary
    for lang in ("sv", "en", "fi", "ar"):
        name = next(c for c in RESIDENT_COMMANDS if c.key == "report").name(lang)
        assert f"/{name}." in catalogs.text(lang, "draft.expired", days=Days(7)), lang


async def test_a_new_station_on_an_edit_asks_consent_to_its_recipients(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    """Review N10: the consent named Jakobsberg's recipients; Floda's differ, so changing
    the station asks again (Back keeps Jakobsberg), and agreeing returns to the summary."""
    alice = Person(live_bot.world, ALICE, catalogs)
    await to_description(alice, "Jakobsberg", "Belysning", "Vid trappan")
    await alice.say(QUIET)
    await alice.tap(alice.t("nav.skip"))
    for agrees in (False, True):
        await alice.tap(alice.t("summary.edit"))
        await alice.tap(alice.t("field.station"))
        await alice.tap("Floda")
        assert at(alice, Step.CONSENT), alice.last_text()
        assert "Floda" in alice.last_text() or "Lerum" in alice.last_text()
        if agrees:
            await agree(alice)
        else:
            await alice.tap(alice.t("nav.back"))
        assert at(alice, Step.SUMMARY)
        station = "Floda" if agrees else "Jakobsberg"
        label = alice.t("field.station")
        assert alice.t("summary.line", label=label, value=station) in alice.last_text()
    await alice.tap(alice.t("summary.send"))
    (case,) = db_rows(bot_settings, "SELECT station_id FROM cases")
    assert case["station_id"] != "jakobsberg"
