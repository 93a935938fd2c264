"""The officer's case card (issue 19, items 1 and 2): it names the resident's language and
the linked commitment in the desk's language, and its buttons are the actions the lifecycle
allows from the case's status, so a closed case offers reopen and nothing that would fail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.context import BotApp
from bot.domain import callbacks
from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.domain.lifecycle import Action, IllegalTransition, Status, allowed, apply
from bot.domain.models import Case, CaseKind
from bot.emulator import Emulator
from bot.emulator.state import Message, World
from bot.i18n import Catalogs
from bot.services.cards import CARD_BUTTONS, Cards
from bot.services.desk import ACTION_CODES
from bot.settings import Settings
from tests.bots import in_process
from tests.people import Person, db_rows, to_description
from tests.test_desk import report, wait_for_text
from tests.test_staff_language import with_staff_language

RESIDENT = 1001
POLIS_JKB = 100000001  # the kommunpolis at Jakobsberg

#: What each status's card offers, by callback code, in the card's order.
EXPECTED = {
    Status.NEW: ["ack", "ask", "start", "rej", "fwd", "link"],
    Status.ACKNOWLEDGED: ["ask", "start", "res", "rej", "fwd", "link"],
    Status.IN_PROGRESS: ["ask", "res", "rej", "fwd", "link"],
    Status.RESOLVED: ["reopen", "link"],
    Status.NOT_ACTIONABLE: ["reopen", "link"],
}


def case_in(status: Status, language: str | None = "fi", commitment: str | None = None) -> Case:
    return Case(
        id=1,
        reference="JKB-0001",
        station_id="jakobsberg",
        number=1,
        kind=CaseKind.REPORT,
        category="belysning",
        status=status,
        resident_id=None,
        place_text="Trappan",
        lat=None,
        lon=None,
        times=(),
        description="Lampan är trasig.",
        language=language,
        created_at="2026-01-05T18:00:00+00:00",
        commitment_id=commitment,
    )


def codes(rows: list[list[list[str]]]) -> list[str]:
    parsed = [callbacks.parse(data) for row in rows for _, data in row]
    assert all(cb is not None and cb.arg == "JKB-0001" for cb in parsed)
    return [cb.action for cb in parsed if cb is not None]


def test_every_status_and_every_action_has_its_row() -> None:
    assert set(EXPECTED) == set(Status)
    assert {action for action, _, _ in CARD_BUTTONS} == set(Action)  # no action without button
    for action, _, code in CARD_BUTTONS:  # the handler reads a code as the action it shows
        assert ACTION_CODES.get(code, action) is action, code


@pytest.mark.parametrize("status", list(Status))
def test_the_buttons_are_what_the_lifecycle_allows(
    status: Status, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    rows = Cards(running_deployment, catalogs).buttons(case_in(status))
    shown = codes(rows)
    assert shown == EXPECTED[status]
    by_code = {code: action for action, _, code in CARD_BUTTONS}
    assert {by_code[c] for c in shown} == allowed(status)
    for code in shown:  # every button shown is a move the table accepts
        apply(status, by_code[code])
    for action in set(Action) - allowed(status):  # every one left out would be refused
        with pytest.raises(IllegalTransition):
            apply(status, action)
    assert all(1 <= len(row) <= 2 for row in rows)


@pytest.mark.parametrize("status", list(Status))
def test_no_link_button_without_a_running_promise(
    status: Status, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The bundled file's promises have ended: nothing to link a case to, so no 🔗 Koppla."""
    assert Cards(deployment, catalogs).linkable_at("jakobsberg") == []
    shown = codes(Cards(deployment, catalogs).buttons(case_in(status)))
    assert shown == [code for code in EXPECTED[status] if code != "link"]


@pytest.mark.parametrize(
    ("desk", "language", "line"),
    [
        ("sv", "fi", "Språk: finska"),
        ("sv", "ar", "Språk: arabiska"),
        ("en", "fi", "Language: Finnish"),
        ("fi", "ar", "Kieli: arabia"),
        ("ar", "sv", "اللغة: السويدية"),
        ("sv", None, "Språk: –"),
    ],
)
def test_the_card_names_the_language_in_the_desks_language(
    desk: str, language: str | None, line: str, deployment: Deployment, catalogs: Catalogs
) -> None:
    cards = Cards(deployment, catalogs)
    cards.lang = desk
    text = cards.text(case_in(Status.NEW, language))
    assert line in text.replace("\u2068", "").replace("\u2069", "").splitlines()  # RTL isolates


def test_the_card_names_the_linked_commitment_in_the_desks_language(
    deployment: Deployment, catalogs: Catalogs
) -> None:
    promise = deployment.promises[0]
    first = promise.commitments[0].model_copy(update={"translations": {"en": "Yearly walk"}})
    promises = [
        promise.model_copy(update={"commitments": [first, *promise.commitments[1:]]}),
        *deployment.promises[1:],
    ]
    cards = Cards(deployment.model_copy(update={"promises": promises}), catalogs)
    assert "löftet" not in cards.text(case_in(Status.NEW))  # not linked: no line
    linked = case_in(Status.NEW, commitment=first.id)
    assert cards.text(linked).endswith(f"\nKopplat till löftet: {first.text}")
    cards.lang = "en"
    assert cards.text(linked).endswith("\nLinked to the promise: Yearly walk")
    gone = case_in(Status.NEW, commitment="removed-from-the-file")
    assert cards.text(gone).endswith("\nLinked to the promise: removed-from-the-file")


def shown_lines(cards: Cards, case: Case) -> list[str]:
    """The card's lines as Telegram shows them, without the RTL isolates."""
    return cards.shown_text(case).replace("\u2068", "").replace("\u2069", "").splitlines()


@pytest.mark.parametrize(
    ("desk", "place", "when"),
    [
        ("sv", "Plats", "När"),
        ("en", "Place", "When"),
        ("fi", "Paikka", "Milloin"),
        ("ar", "المكان", "الوقت"),
    ],
)
def test_an_ideas_card_has_no_report_filler_lines(
    desk: str, place: str, when: str, deployment: Deployment, catalogs: Catalogs
) -> None:
    """Newcomer review: an idea's card showed a report's filler lines ("–", "Plats: –",
    "När: –"); an idea has no category, place or time. A report's card keeps them."""
    cards = Cards(deployment, catalogs)
    cards.lang = desk
    idea = replace(
        case_in(Status.NEW, "sv"),
        reference="JKB-0002",
        kind=CaseKind.IDEA,
        category=None,
        place_text=None,
        description="Fler bänkar vid perrongen.",
    )
    lines = shown_lines(cards, idea)
    assert not [line for line in lines if line.startswith((place, when)) or line == "–"], lines
    assert lines[0] == f"{catalogs.text(desk, 'kind.idea')} JKB-0002 · Jakobsberg"
    assert lines[1].endswith(f": {cards.language_name('sv')}")
    assert "Fler bänkar vid perrongen." in lines
    # A report's card is as before: its category, its place, a "–" for the times it has none.
    report = shown_lines(cards, case_in(Status.NEW, "sv"))
    assert report[1] == deployment.category_label("belysning", desk)
    assert f"{place}: Trappan" in report
    assert f"{when}: –" in report
    # Given a place (an idea from elsewhere may have one), the idea's card shows it.
    assert f"{place}: Torget" in shown_lines(cards, replace(idea, place_text="Torget"))


# ---------------------------------------------------------------------- through the bot
@pytest.fixture
async def desk(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment
) -> AsyncIterator[Emulator]:
    """The bot with the bundled promises running (a case links to a running promise only)."""
    emulator.world.user(POLIS_JKB, "Staff").started = True
    async with in_process(emulator, bot_settings, running_deployment):
        yield emulator


def labels(message: Message) -> list[str]:
    return [b["text"] for b in message.inline_buttons]


def now(world: World, chat: int, message: Message) -> Message:
    """The message as the officer's chat shows it now (after any edit)."""
    return next(m for m in world.received(chat) if m.id == message.id)


async def test_the_officer_sees_language_commitment_and_only_allowed_buttons(
    desk: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = desk.world
    resident = Person(world, RESIDENT, catalogs, lang="fi")
    officer = Person(world, POLIS_JKB, catalogs)
    t = officer.t
    await to_description(
        resident, "Jakobsberg", "Valaistus", "Trappan till perrong 1", resident.t("times.evening")
    )
    await resident.say("Valot ovat rikki ja portaissa on täysin pimeää.")
    await resident.tap(resident.t("nav.skip"))
    await resident.tap(resident.t("summary.send"))
    first = await world.wait_for(
        POLIS_JKB, lambda m: "JKB-0001" in m.text and bool(m.inline_buttons)
    )

    # Item 1: a Finnish text is no surprise; the commitment shows once it is linked.
    assert "Språk: finska" in first.text.splitlines()
    assert "Valot ovat rikki" in first.text
    assert "Kopplat till löftet" not in first.text
    assert t("desk.btn.resolve") not in labels(first)  # a new case is acknowledged first
    assert t("desk.btn.reopen") not in labels(first)
    await officer.tap(t("desk.btn.link"))
    await officer.tap("Ökad polisiär närvaro")
    (card,) = [m for m in await officer.say("/arende JKB-0001") if m.kind == "text"]
    assert "Kopplat till löftet: Ökad polisiär närvaro i centrala Jakobsberg." in card.text
    assert "Språk: finska" in card.text

    # Item 2: the card that is pressed follows the case; a closed one offers reopen.
    await officer.tap(t("desk.btn.ack"))
    acknowledged = world.last(POLIS_JKB)
    assert t("desk.btn.resolve") in labels(acknowledged)
    await officer.tap(t("desk.btn.resolve"))
    await officer.say("Lamporna är bytta.")
    assert officer.last_text() == t("desk.done", reference="JKB-0001", status=t("status.resolved"))
    pressed = now(world, POLIS_JKB, acknowledged)
    assert labels(pressed) == [t("desk.btn.reopen"), t("desk.btn.link")]
    assert f"Status: {t('status.resolved')}" in pressed.text
    assert "Kopplat till löftet: Ökad polisiär närvaro" in pressed.text
    (card,) = [m for m in await officer.say("/arende JKB-0001") if m.kind == "text"]
    assert labels(card) == [t("desk.btn.reopen"), t("desk.btn.link")]

    # A stale button on an old card: the one-line refusal, nothing changes.
    refused = t("desk.illegal", state=t("case.is.resolved"))
    for label in (t("desk.btn.ack"), t("desk.btn.ask")):
        data = next(b["callback_data"] for b in first.inline_buttons if b["text"] == label)
        await officer.press(now(world, POLIS_JKB, first), data)
        assert officer.answer() == refused
        assert "\n" not in refused
    assert db_rows(bot_settings, "SELECT status FROM cases")[0]["status"] == "resolved"

    # Reopened: open actions again, and no reopen.
    await officer.press(card, next(b["callback_data"] for b in card.inline_buttons))
    reopened = world.last(POLIS_JKB)
    assert f"Status: {t('status.in_progress')}" in reopened.text
    assert t("desk.btn.resolve") in labels(reopened)
    assert t("desk.btn.reopen") not in labels(reopened)
    assert db_rows(bot_settings, "SELECT status FROM cases")[0]["status"] == "in_progress"
    await world.wait_for(RESIDENT, lambda m: "JKB-0001" in m.text and "uudelleen" in m.text)


# ---------------------------------------------------------------------- the card pressed
@pytest.fixture
async def app(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment
) -> AsyncIterator[BotApp]:
    emulator.world.user(POLIS_JKB, "Staff").started = True
    async with in_process(emulator, bot_settings, running_deployment) as app:
        yield app


async def jkb_case(app: BotApp, world: World, text: str) -> tuple[str, Message]:
    """A case at Jakobsberg, and its card in the kommunpolis's chat."""
    draft = Draft(
        kind="report",
        station="jakobsberg",
        category="belysning",
        description=text,
        times=["night"],
        place_text="vid perrongen",
    )
    services = app.bot_data.services
    assert services is not None
    case = await services.submit(RESIDENT, draft, "sv")
    card = await world.wait_for(
        POLIS_JKB, lambda m: case.reference in m.text and bool(m.inline_buttons), timeout=30
    )
    return case.reference, card


def data_of(message: Message, code: str) -> str:
    for b in message.inline_buttons:
        cb = callbacks.parse(b.get("callback_data"))
        if cb is not None and cb.action == code:
            return str(b["callback_data"])
    raise AssertionError(f"no {code} on {labels(message)}")


def shown_codes(message: Message) -> list[str]:
    return [
        cb.action for b in message.inline_buttons if (cb := callbacks.parse(b["callback_data"]))
    ]


async def test_every_action_edits_the_card_pressed(
    app: BotApp, emulator: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    """Kvittera, Pågår and ↩️ Öppna igen edit the card pressed, as the note actions do: no
    second card, and the card never keeps buttons that answer 'Det går inte'."""
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs)
    t = officer.t
    ref, card = await jkb_case(app, world, "Lamporna vid trappan är trasiga sedan länge.")
    count = len(world.received(POLIS_JKB))
    for code, status in (("ack", Status.ACKNOWLEDGED), ("start", Status.IN_PROGRESS)):
        pressed = now(world, POLIS_JKB, card)
        await officer.press(pressed, data_of(pressed, code))
        assert officer.answer() == t("desk.done", reference=ref, status=t(f"status.{status}"))
        assert len(world.received(POLIS_JKB)) == count, "a second card was sent"
        shown = now(world, POLIS_JKB, card)
        assert f"Status: {t(f'status.{status}')}" in shown.text
        assert shown_codes(shown) == EXPECTED[status]
    await officer.press(now(world, POLIS_JKB, card), data_of(now(world, POLIS_JKB, card), "res"))
    await officer.say("Lamporna är bytta.")
    count = len(world.received(POLIS_JKB))
    await officer.press(now(world, POLIS_JKB, card), data_of(now(world, POLIS_JKB, card), "reopen"))
    assert len(world.received(POLIS_JKB)) == count, "a second card was sent"
    shown = now(world, POLIS_JKB, card)
    assert f"Status: {t('status.in_progress')}" in shown.text
    assert shown_codes(shown) == EXPECTED[Status.IN_PROGRESS]
    assert db_rows(bot_settings, "SELECT status FROM cases")[0]["status"] == "in_progress"


async def test_stale_forward_button_on_a_resolved_case_opens_no_list(
    app: BotApp, emulator: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    """An older card's ➡️ Skicka vidare on a resolved case: the one-line refusal at once, not
    a list of actors whose every button then fails."""
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs)
    t = officer.t
    ref, card = await jkb_case(app, world, "Lamporna vid trappan är trasiga sedan länge.")
    (old,) = [m for m in await officer.say(f"/arende {ref}") if m.kind == "text"]
    await officer.press(card, data_of(card, "start"))
    await officer.press(now(world, POLIS_JKB, card), data_of(now(world, POLIS_JKB, card), "res"))
    await officer.say("Lamporna är bytta.")
    assert db_rows(bot_settings, "SELECT status FROM cases")[0]["status"] == "resolved"
    shown = await officer.press(old, data_of(old, "fwd"))  # the older card, kept by the client
    assert not [m for m in shown if m.inline_buttons], [m.text for m in shown]
    assert officer.answer() == t("desk.illegal", state=t("case.is.resolved"))


async def test_forged_note_press_on_another_card_does_not_relabel_it(
    app: BotApp, emulator: Emulator, catalogs: Catalogs
) -> None:
    """A res for case A pressed (forged) on case B's card: the note acts on A, and B's card
    keeps B's buttons (the next officer would otherwise reopen A believing it is B)."""
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs)
    ref_a, card_a = await jkb_case(app, world, "Lamporna vid trappan är trasiga sedan länge.")
    ref_b, card_b = await jkb_case(app, world, "Buskarna skymmer sikten vid gångvägen helt.")
    await officer.press(card_a, data_of(card_a, "ack"))
    officer._mark = officer.mark()
    officer.last_query = world.press(POLIS_JKB, card_b.id, f"v1:c:res:{ref_a}", forge=True)
    await officer.settle()
    await officer.say("Åtgärdat.")
    b_now = now(world, POLIS_JKB, card_b)
    refs = {cb.arg for b in b_now.inline_buttons if (cb := callbacks.parse(b["callback_data"]))}
    assert ref_b in b_now.text
    assert refs == {ref_b}, f"case {ref_b}'s card now carries buttons of {refs}"
    assert shown_codes(b_now) == EXPECTED[Status.NEW]


async def test_the_link_list_has_avbryt(
    app: BotApp, emulator: Emulator, catalogs: Catalogs
) -> None:
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs)
    t = officer.t
    ref, card = await jkb_case(app, world, "Lamporna vid trappan är trasiga sedan länge.")
    (offered,) = await officer.press(card, data_of(card, "link"))
    assert offered.text == t("desk.link_prompt", reference=ref)
    assert labels(offered)[-1] == t("nav.cancel")
    assert await officer.tap(t("nav.cancel"))
    assert officer.last_text() == t("desk.cancelled")
    assert now(world, POLIS_JKB, offered).inline_buttons == []
    assert shown_codes(now(world, POLIS_JKB, card)) == EXPECTED[Status.NEW]


async def test_no_promise_running_no_link_and_one_line(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The bundled promises have ended: the card has no 🔗 Koppla, and a link press from a card
    of before (here: forged) gets one line, not a list without buttons."""
    world = emulator.world
    world.user(POLIS_JKB, "Staff").started = True
    async with in_process(emulator, bot_settings, deployment) as app:
        officer = Person(world, POLIS_JKB, catalogs)
        ref, card = await jkb_case(app, world, "Lamporna vid trappan är trasiga sedan länge.")
        assert "link" not in shown_codes(card)
        assert officer.t("desk.btn.link") not in labels(card)
        shown = await officer.press_forged(f"v1:c:link:{ref}")
        assert shown == []
        assert officer.answer() == officer.t("desk.link_none")
        assert "\n" not in officer.answer()


# ---------------------------------------------------------------------- an older card pressed
#: What each status's card offers when no promise runs at the station (nothing to link to).
UNLINKABLE = {status: [c for c in codes if c != "link"] for status, codes in EXPECTED.items()}


async def test_an_older_card_of_the_case_is_redrawn_when_pressed(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The pushed card (Mottaget) and an /arende card; Kvittera on the second; then Pågår on
    the first: the first card is the one pressed and edited, so its text says Pågår too."""
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs)
    world.users[POLIS_JKB].started = True
    async with in_process(emulator, bot_settings, with_staff_language(deployment, None)):
        await report(Person(world, RESIDENT, catalogs))
        first = await wait_for_text(world, POLIS_JKB, "JKB-0001")
        second = (await officer.say("/arende JKB-0001"))[-1]
        await officer.press(second, data_of(second, "ack"))
        await officer.press(first, data_of(first, "start"))
        assert [r["status"] for r in db_rows(bot_settings, "SELECT status FROM cases")] == [
            "in_progress"
        ]
        first_now = now(world, POLIS_JKB, first)
        assert f"Status: {officer.t('status.in_progress')}" in first_now.text, first_now.text
        assert shown_codes(first_now) == UNLINKABLE[Status.IN_PROGRESS]


async def test_a_card_read_before_a_language_change_is_redrawn(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """A card pushed in Swedish; the officer picks English with /sprak; Kvittera on it: its
    text and buttons agree, in English and the new status."""
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs)
    world.users[POLIS_JKB].started = True
    async with in_process(emulator, bot_settings, with_staff_language(deployment, None)):
        await report(Person(world, RESIDENT, catalogs))
        card = await wait_for_text(world, POLIS_JKB, "JKB-0001")
        await officer.say("/sprak")
        await officer.tap("English")
        await officer.press(card, data_of(card, "ack"))
        shown = now(world, POLIS_JKB, card)
        assert catalogs.text("en", "desk.btn.start") in labels(shown)
        assert catalogs.text("en", "kind.report") in shown.text, shown.text
        assert f"Status: {catalogs.text('en', 'status.acknowledged')}" in shown.text, shown.text


async def test_an_answer_with_the_card_buttons_keeps_its_text(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """A resident's answer comes with the card's buttons; Pågår pressed on it changes its
    buttons only: its text is the answer, not a card."""
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs)
    resident = Person(world, RESIDENT, catalogs)
    world.users[POLIS_JKB].started = True
    async with in_process(emulator, bot_settings, with_staff_language(deployment, None)):
        await report(resident)
        card = await wait_for_text(world, POLIS_JKB, "JKB-0001")
        await officer.press(card, data_of(card, "ask"))
        await officer.say("Vilken trappa?")
        await world.wait_for(RESIDENT, lambda m: "Vilken trappa?" in m.text)
        await resident.tap(resident.t("resident.answer_btn"))
        await resident.say("Den norra trappan.")
        answer = await world.wait_for(POLIS_JKB, lambda m: "Den norra trappan." in m.text)
        await officer.press(answer, data_of(answer, "start"))
        shown = now(world, POLIS_JKB, answer)
        assert shown.text == answer.text
        assert shown_codes(shown) == UNLINKABLE[Status.IN_PROGRESS]
