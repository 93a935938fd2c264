"""Buttons and chats are not trusted: "me too" only for what was offered, resident flows only in
private chats, case views only in private chats or the station's own group (issue 14)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain.chats import Asks, Verdict, stations_in_group, verdict
from bot.domain.deployment import Deployment, Limits
from bot.emulator import Emulator
from bot.emulator.state import Message, World
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.bots import in_process
from tests.people import Person, agree, db_rows

ALICE, BOB, CAROL = 1001, 1002, 1003
POLIS_JKB, KOMMUN_JKB, POLIS_STK, ADMIN = 100000001, 100000002, 100000003, 100000009


@pytest.fixture
async def trust_bot(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment
) -> AsyncIterator[Emulator]:
    """The bot with the bundled file's promises running (its seeds' have ended): the staff
    here publish updates, which an ended promise refuses."""
    for staff in (POLIS_JKB, KOMMUN_JKB, POLIS_STK, ADMIN):
        emulator.world.user(staff, f"Staff {staff}").started = True  # they have opened the bot
    async with in_process(emulator, bot_settings, running_deployment):
        yield emulator


def buttons(person: Person) -> list[str]:
    return [b["text"] for b in person.world.last(person.id).inline_buttons]


async def start_report(person: Person, station: str, category: str) -> list[Message]:
    """A new report up to the step after the category: the 'me too' offer or the place."""
    await person.say("/rapport")
    await person.tap(station)
    if person.t("privacy.agree") in buttons(person):
        await agree(person)
    return await person.tap(category)


async def file_report(person: Person, station: str, category: str) -> str:
    """A complete report (declining any 'me too' offer); returns its reference."""
    await start_report(person, station, category)
    if person.t("metoo.new") in buttons(person):
        await person.tap(person.t("metoo.new"))
    await person.say("Vid trappan upp till perrong 1")
    await person.tap(person.t("nav.continue"))
    await person.tap(person.t("times.evening"))
    await person.tap(person.t("nav.done"))
    await person.say("Lamporna vid trappan har varit trasiga i flera veckor.")
    await person.tap(person.t("nav.skip"))
    done = await person.tap(person.t("summary.send"))
    (reference,) = [w.strip(".,:") for w in done[-1].text.split() if "-00" in w]
    return reference


def supporters(settings: Settings) -> list[tuple[str, int]]:
    return [
        (r["reference"], r["chat_id"])
        for r in db_rows(
            settings,
            "SELECT c.reference, r.chat_id FROM case_supporters s"
            " JOIN cases c ON c.id = s.case_id JOIN residents r ON r.id = s.resident_id",
        )
    ]


# ---------------------------------------------------------------------- item 1: me too
async def test_me_too_accepts_only_a_case_that_was_offered(
    trust_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = trust_bot.world
    alice, bob, carol = (Person(world, i, catalogs) for i in (ALICE, BOB, CAROL))
    assert await file_report(alice, "Jakobsberg", "Belysning") == "JKB-0001"
    assert await file_report(carol, "Jakobsberg", "Klotter och skadegörelse") == "JKB-0002"
    assert await file_report(carol, "Floda", "Belysning") == "FLO-0001"
    offer = await start_report(bob, "Jakobsberg", "Belysning")
    assert "JKB-0001" in offer[-1].text
    assert "JKB-0002" not in offer[-1].text
    _, data = bob.button("JKB-0001")
    token = data.split(":")[1]
    # References are sequential: a client can put any of them in the button.
    for other in ("JKB-0002", "FLO-0001", "JKB-0003"):
        await bob.press_forged(f"v1:{token}:mt:{other}")
        assert "gått ut" in bob.answer(), other
    assert supporters(bot_settings) == []
    mine = await bob.say("/arenden")
    assert "JKB-0002" not in mine[-1].text
    assert "FLO-0001" not in mine[-1].text
    # The case that was offered can still be supported.
    done = await bob.tap("JKB-0001")
    assert "Nu håller 1 person med" in done[-1].text
    assert supporters(bot_settings) == [("JKB-0001", BOB)]


async def test_me_too_is_checked_again_when_pressed(
    trust_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    """A case closed between the offer and the press is not supported any more."""
    world = trust_bot.world
    alice, bob = Person(world, ALICE, catalogs), Person(world, BOB, catalogs)
    officer = Person(world, POLIS_JKB, catalogs)
    assert await file_report(alice, "Jakobsberg", "Belysning") == "JKB-0001"
    offer = await start_report(bob, "Jakobsberg", "Belysning")
    assert "JKB-0001" in offer[-1].text
    await officer.say("/arende JKB-0001")
    await officer.tap(officer.t("desk.btn.reject"))
    await officer.say("Det här är inte vår mark.")
    assert db_rows(bot_settings, "SELECT status FROM cases")[0]["status"] == "not_actionable"
    await bob.tap("JKB-0001")
    assert "gått ut" in bob.answer()
    assert supporters(bot_settings) == []
    # The resident is still at the offer and can write a new report instead.
    after = await bob.tap(bob.t("metoo.new"))
    assert after[-1].text.startswith("Var exakt?")


async def test_my_own_report_is_not_offered_as_me_too(
    trust_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(trust_bot.world, ALICE, catalogs)
    assert await file_report(alice, "Jakobsberg", "Belysning") == "JKB-0001"
    after = await start_report(alice, "Jakobsberg", "Belysning")
    assert after[-1].text.startswith("Var exakt?")
    assert not any("JKB-0001" in b for b in buttons(alice))


# ---------------------------------------------------------------------- item 4: group chats
JKB_GROUP, OTHER_GROUP = -100100, -100200  # Jakobsberg's configured group, and any group


def with_jakobsberg_group(deployment: Deployment, **changes: object) -> Deployment:
    stations = [
        s.model_copy(update={"group_chat_id": JKB_GROUP}) if s.id == "jakobsberg" else s
        for s in deployment.stations
    ]
    return deployment.model_copy(update={"stations": stations, **changes})


P, R, X, N = Verdict.PASS, Verdict.PRIVATE_ONLY, Verdict.REFUSE, Verdict.IGNORE


@pytest.mark.parametrize(
    ("asks", "in_private", "in_station_group_by_its_staff", "elsewhere"),
    [
        (Asks.CASE_COMMAND, P, P, R),
        (Asks.COMMAND, P, R, R),
        (Asks.CASE_BUTTON, P, P, X),
        (Asks.RESIDENT_BUTTON, P, R, R),
        (Asks.STAFF_BUTTON, P, X, X),
        (Asks.TEXT, P, P, N),
        (Asks.NOTHING, P, N, N),
    ],
)
def test_where_the_bot_answers(
    asks: Asks,
    in_private: Verdict,
    in_station_group_by_its_staff: Verdict,
    elsewhere: Verdict,
) -> None:
    assert verdict(asks, private=True, staff_of_group=False) is in_private
    assert verdict(asks, private=False, staff_of_group=True) is in_station_group_by_its_staff
    assert verdict(asks, private=False, staff_of_group=False) is elsewhere


def test_staff_act_in_a_group_only_for_its_stations() -> None:
    here = ("jakobsberg",)
    assert stations_in_group("admin", (), here) == here  # a national admin
    assert stations_in_group("admin", ("floda",), here) == ()
    assert stations_in_group("kommunpolis", ("jakobsberg", "floda"), here) == here
    assert stations_in_group("partner", ("floda",), here) == ()
    assert stations_in_group("partner", ("jakobsberg",), ()) == ()  # not a station's group


@pytest.fixture
async def group_bot(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> AsyncIterator[Emulator]:
    world = emulator.world
    for staff in (POLIS_JKB, KOMMUN_JKB, POLIS_STK, ADMIN):
        world.user(staff, f"Staff {staff}").started = True
    everyone = [ALICE, BOB, CAROL, POLIS_JKB, KOMMUN_JKB, POLIS_STK, ADMIN]
    world.group(JKB_GROUP, "Samverkan Jakobsberg", everyone)
    world.group(OTHER_GROUP, "Grannar", everyone)
    dep = with_jakobsberg_group(deployment)
    async with in_process(emulator, bot_settings, dep):
        yield emulator


async def in_group(world: World, user_id: int, chat_id: int, text: str) -> list[Message]:
    """A user writes in a group; what the bot sent to the group in answer."""
    before, seen = world.actions_in.get(chat_id, 0), len(world.received(chat_id))
    world.send_text(user_id, text, chat_id=chat_id)
    assert await world.settle(chat_id, before, quiet=0.3)
    return world.received(chat_id)[seen:]


async def press_in_group(world: World, user_id: int, chat_id: int, data: str) -> str:
    """A user presses a button with this data in a group (forged); the answer's text."""
    message = world.send_text(user_id, "…", chat_id=chat_id)
    before = world.actions_in.get(chat_id, 0)
    query = world.press(user_id, message.id, data, chat_id=chat_id, forge=True)
    assert await world.settle(chat_id, before, quiet=0.3)
    return str((world.callback_answers.get(query) or {}).get("text", ""))


def private_only(catalogs: Catalogs, world: World) -> str:
    return catalogs.text("sv", "group.private_only", bot=world.bot_username)


async def test_resident_flows_in_a_group_get_one_line(
    group_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = group_bot.world
    line = private_only(catalogs, world)
    for chat in (OTHER_GROUP, JKB_GROUP):
        for command in (
            "/rapport",
            "/ide",
            "/start",
            "/arenden",
            "/radera",
            f"/ide@{world.bot_username}",
        ):
            got = await in_group(world, ALICE, chat, command)
            assert [(m.text, m.inline_buttons) for m in got] == [(line, [])], (chat, command)
    # A crime tip written in a group goes nowhere, and a command for another bot is not ours:
    # the next command is the only one answered.
    world.send_text(
        ALICE, "Jag vet vem som klottrar, han heter Kalle Svensson", chat_id=OTHER_GROUP
    )
    world.send_text(ALICE, "/start@someotherbot", chat_id=OTHER_GROUP)
    got = await in_group(world, ALICE, OTHER_GROUP, "/hjalp")
    assert [m.text for m in got] == [line]
    # Menu buttons (old ones, or forged) say the same and do nothing.
    for data in ("v1:m:rep", "v1:m:fol:jakobsberg", "v1:m:home:floda", "v1:m:erase"):
        assert await press_in_group(world, ALICE, OTHER_GROUP, data) == line[:200], data
    # So does a step of the resident's own private draft pressed in the group.
    alice = Person(world, ALICE, catalogs)
    await alice.say("/rapport")
    _, data = alice.button("Jakobsberg")
    assert await press_in_group(world, ALICE, OTHER_GROUP, data) == line[:200]
    await alice.tap("Jakobsberg")  # the private draft goes on where it was
    assert alice.t("privacy.agree") in buttons(alice)
    assert db_rows(bot_settings, "SELECT chat_id FROM residents WHERE chat_id < 0") == []
    assert db_rows(bot_settings, "SELECT 1 FROM station_follows") == []
    assert db_rows(bot_settings, "SELECT 1 FROM cases") == []


async def test_the_flood_limit_holds_in_a_group(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    world = emulator.world
    world.group(OTHER_GROUP, "Grannar", [ALICE, BOB])
    strict = deployment.model_copy(update={"limits": Limits(messages_per_minute=3)})
    async with in_process(emulator, bot_settings, strict):
        for _ in range(8):
            world.send_text(ALICE, "/rapport", chat_id=OTHER_GROUP)
        # Bob's command comes after Alice's in the same chat, so it is answered after them.
        got = await in_group(world, BOB, OTHER_GROUP, "/rapport")
        texts = [m.text for m in world.received(OTHER_GROUP)]
        line = private_only(catalogs, world)
        assert texts == [line] * 3 + [catalogs.text("sv", "limits.slow_down"), line], texts
        assert got[-1].text == line


async def test_case_views_only_in_private_or_the_station_group(
    group_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = group_bot.world
    line = private_only(catalogs, world)
    refused = catalogs.text("sv", "desk.refused")
    alice, carol = Person(world, ALICE, catalogs), Person(world, CAROL, catalogs)
    assert await file_report(alice, "Jakobsberg", "Belysning") == "JKB-0001"
    assert await file_report(carol, "Floda", "Belysning") == "FLO-0001"

    # Any other group: no case, list or invite code, whoever asks.
    for user, command in (
        (POLIS_JKB, "/arende JKB-0001"),
        (POLIS_JKB, "/arenden"),
        (ADMIN, "/arende FLO-0001"),
        (ADMIN, "/invite jarfalla-kommun jakobsberg"),
    ):
        got = await in_group(world, user, OTHER_GROUP, command)
        assert [m.text for m in got] == [line], command
    assert await press_in_group(world, POLIS_JKB, OTHER_GROUP, "v1:c:show:JKB-0001") == refused
    assert await press_in_group(world, ADMIN, OTHER_GROUP, "v1:c:pg:0") == refused
    assert not any("JKB-0001" in m.text for m in world.received(OTHER_GROUP))
    assert db_rows(bot_settings, "SELECT 1 FROM invites") == []

    # Jakobsberg's own group: its staff see its cases, and only its cases.
    card = await in_group(world, POLIS_JKB, JKB_GROUP, "/arende JKB-0001")
    assert "JKB-0001" in card[-1].text
    assert "Lamporna vid trappan" in card[-1].text
    listed = await in_group(world, ADMIN, JKB_GROUP, "/arenden")
    assert "JKB-0001" in listed[-1].text
    assert "FLO-0001" not in listed[-1].text  # the admin sees every station, but not here
    got = await in_group(world, ADMIN, JKB_GROUP, "/arende FLO-0001")
    assert [m.text for m in got] == [refused]
    assert await press_in_group(world, ADMIN, JKB_GROUP, "v1:c:show:FLO-0001") == refused
    assert await press_in_group(world, KOMMUN_JKB, JKB_GROUP, "v1:c:show:FLO-0001") == refused
    # An invite code is never posted in a group, not even the station's own.
    got = await in_group(world, ADMIN, JKB_GROUP, "/invite jarfalla-kommun jakobsberg")
    assert [m.text for m in got] == [line]
    assert db_rows(bot_settings, "SELECT 1 FROM invites") == []
    # Staff of other stations and residents are told to write privately.
    for user in (POLIS_STK, ALICE):
        got = await in_group(world, user, JKB_GROUP, "/arende JKB-0001")
        assert [m.text for m in got] == [line]
    assert not any("FLO-0001" in m.text for m in world.received(JKB_GROUP))
    # The card's buttons work in the group for its staff.
    before = world.actions_in.get(JKB_GROUP, 0)
    world.press(POLIS_JKB, card[-1].id, text=catalogs.text("sv", "desk.btn.ack"), chat_id=JKB_GROUP)
    assert await world.settle(JKB_GROUP, before, quiet=0.3)
    assert (
        db_rows(bot_settings, "SELECT status FROM cases WHERE reference = 'JKB-0001'")[0]["status"]
        == "acknowledged"
    )


# ---------------------------------------------------------------------- audit of other buttons
async def test_forward_only_to_an_actor_the_menu_offers(
    trust_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = trust_bot.world
    officer = Person(world, POLIS_JKB, catalogs)
    assert (
        await file_report(Person(world, ALICE, catalogs), "Jakobsberg", "Belysning") == "JKB-0001"
    )

    def actors() -> set[str]:
        return {r["actor_id"] for r in db_rows(bot_settings, "SELECT actor_id FROM case_actors")}

    routed = actors()
    assert routed == {"polisen-jarfalla", "jarfalla-kommun"}
    await officer.say("/arende JKB-0001")
    offered = await officer.tap(officer.t("desk.btn.forward"))
    labels = [b["text"] for b in offered[-1].inline_buttons]
    assert "Järfälla kommun" not in labels  # already has it
    assert not any("drift" in b["callback_data"] for b in offered[-1].inline_buttons)
    # Not offered: the operators' own actor, and an actor the case already has.
    for target in ("drift", "jarfalla-kommun", "nosuchactor"):
        await officer.press_forged(f"v1:c:fw:JKB-0001.{target}")
        assert officer.answer() == officer.t("desk.refused"), target
    assert actors() == routed
    assert db_rows(bot_settings, "SELECT 1 FROM case_events WHERE action = 'forward'") == []
    # What the menu offers works (Västtrafik is not at Jakobsberg: behind "Fler …").
    await officer.tap(officer.t("paging.more"))
    await officer.tap("Västtrafik")
    assert actors() == routed | {"vasttrafik"}


async def test_the_answer_button_needs_a_question(
    trust_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = trust_bot.world
    alice, officer = Person(world, ALICE, catalogs), Person(world, POLIS_JKB, catalogs)
    assert await file_report(alice, "Jakobsberg", "Belysning") == "JKB-0001"
    # The reporter's own case, but nobody asked: no answer to send.
    await alice.press_forged("v1:a:ans:JKB-0001")
    assert alice.answer() == alice.t("desk.refused")
    assert alice.t("resident.answer_prompt", reference="JKB-0001") not in alice.texts()
    # Once asked, the button works.
    await officer.say("/arende JKB-0001")
    await officer.tap(officer.t("desk.btn.ask"))
    await officer.say("Vilken sida av trappan gäller det?")
    await world.wait_for(ALICE, lambda m: "Vilken sida av trappan" in m.text)
    prompt = await alice.tap(alice.t("resident.answer_btn"))
    assert prompt[-1].text == alice.t("resident.answer_prompt", reference="JKB-0001")


async def test_update_buttons_fit_what_was_shown(
    trust_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = trust_bot.world
    officer = Person(world, POLIS_JKB, catalogs)
    refused = officer.t("desk.refused")
    choose = await officer.say("/uppdatera")
    assert choose[-1].text == officer.t("update.choose")
    commitment = choose[-1].inline_buttons[0]["text"]
    # A commitment that was not listed, and a status before any commitment is picked.
    for data in ("v1:u:c:99", "v1:u:s:done", "v1:u:pub"):
        await officer.press_forged(data)
        assert officer.answer() == refused, data
    await officer.tap(commitment)
    shown = commitment.removesuffix("…")  # a long commitment's button is cut, marked "…"
    assert officer.last_text().startswith(officer.t("update.status", commitment=shown))
    # A status that is not one of ours, and publishing before writing anything.
    for data in ("v1:u:s:bogus", "v1:u:pub"):
        await officer.press_forged(data)
        assert officer.answer() == refused, data
    assert not any(officer.t("error.generic") in t for t in officer.texts())
    assert db_rows(bot_settings, "SELECT 1 FROM commitment_updates") == []
    # The buttons that were shown still work.
    await officer.tap(officer.t("update.keep"))
    assert officer.last_text() == officer.t("update.text")


async def test_a_page_number_no_button_carries_is_refused(
    trust_bot: Emulator, catalogs: Catalogs
) -> None:
    officer = Person(trust_bot.world, POLIS_JKB, catalogs)
    for page in ("9" * 30, "-1", "x"):
        await officer.press_forged(f"v1:c:pg:{page}")
        assert officer.answer() == officer.t("desk.refused"), page


async def test_staff_filing_a_report_meet_the_crime_tip_guard(
    trust_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    officer = Person(trust_bot.world, POLIS_JKB, catalogs)
    await start_report(officer, "Jakobsberg", "Belysning")
    await officer.say("Vid trappan upp till perrong 1")
    await officer.tap(officer.t("nav.continue"))
    await officer.tap(officer.t("times.evening"))
    await officer.tap(officer.t("nav.done"))
    got = await officer.say("Kalle Svensson langar vid pendeln varje kväll")
    assert officer.t("guard.tip") in [m.text for m in got]
    assert db_rows(bot_settings, "SELECT 1 FROM cases") == []
    # Outside a report, staff text is not checked: it is a note on a case, not a report.
    await officer.say("/avbryt")
    noted = await officer.say("Kalle Svensson langar vid pendeln varje kväll")
    assert officer.t("guard.tip") not in [m.text for m in noted]
